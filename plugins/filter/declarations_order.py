# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: declarations_order
short_description: The order in which a directory of declarations files is applied (cross-project references first)
version_added: 1.0.0
description:
  - Given the declarations files of one multi-project run (one host per file, as C(playbooks/apply.yml) and
    C(playbooks/drift.yml) build them), computes for each file its I(wave) - files of a wave are applied together,
    wave after wave - so that a file whose group another file's rule references across projects
    (a rule's C(remote_group) mapping C({name, project})) is applied before the file that references it.
  - A file I(provides) a reference when it declares C(project:) spelled exactly as the reference's C(project) (a name
    matches a name, an id an id) and declares a group of that name. Where files on the referencing file's cloud and on
    other clouds both qualify, only those on its cloud count (two cloud names may be two sets of credentials for one
    cloud, so another cloud's file counts when it is the only one). References to projects that no file of the run
    declares order nothing.
  - Files whose references form a cycle share a wave (the smallest that follows what they reference) and are listed in
    RV(_value.cycles).
  - Each file also gets C(planned_foreign_groups), its references to groups that a file of an earlier wave declares.
    In check mode (C(playbooks/drift.yml)) they may not exist yet, and M(netsec.openstack.security_groups) plans them as
    groups another file creates (its O(netsec.openstack.security_groups#module:planned_foreign_groups)).
author:
  - netsec.openstack contributors (@netsec)
options:
  _input:
    description: The hosts of the run, usually C(groups['netsec_projects']).
    type: list
    elements: str
    required: true
  hostvars:
    description:
      - The C(hostvars) mapping. Of each host it reads C(declarations_data) (the loaded file; a host without it, whose
        file did not load, provides and references nothing), C(netsec_file_label) (the name in messages, default the
        host) and C(netsec_file_cloud) (default empty).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Compute the waves of the run
  ansible.builtin.set_fact:
    netsec_order: "{{ groups['netsec_projects'] | netsec.openstack.declarations_order(hostvars) }}"

- name: This file's wave
  ansible.builtin.debug:
    msg: "{{ netsec_order.files[inventory_hostname].wave }} of {{ netsec_order.waves }}"
"""

RETURN = r"""
_value:
  description: The order of the run.
  type: dict
  contains:
    waves:
      description: How many waves (at least 1).
      type: int
    order:
      description: The file labels of each wave, wave after wave.
      type: list
      elements: list
    cycles:
      description: The file labels of each cycle of references (files of a cycle share a wave).
      type: list
      elements: list
    files:
      description:
        - Per host, C(wave) (int), C(depends_on) and C(depends_on_files) (the hosts and labels of the files it references),
          C(cycle) (the labels of its cycle, empty when none) and C(planned_foreign_groups) (list of C({name, project}),
          as the file spells them).
      type: dict
"""


def _get(variables, key, default=None):
    try:
        value = variables.get(key)
    except Exception:  # hostvars of a host whose variable does not template (a file that did not load)
        return default
    return default if value is None else value


def _file(host, variables):
    declarations = _get(variables, "declarations_data", {})
    if not isinstance(declarations, dict):
        declarations = {}
    groups = [g for g in declarations.get("groups") or [] if isinstance(g, dict)]
    return {
        "host": host,
        "label": str(_get(variables, "netsec_file_label", host)).strip(),
        "cloud": str(_get(variables, "netsec_file_cloud", "")),
        "project": declarations.get("project"),
        "groups": set(str(g.get("name")) for g in groups if g.get("name") is not None),
        "refs": _foreign_refs(groups),
    }


def _foreign_refs(groups):
    """(name, project) of the rules' remote_group mappings, sorted, once each."""
    refs = set()
    for group in groups:
        for rule in group.get("rules") or []:
            remote = rule.get("remote_group") if isinstance(rule, dict) else None
            if isinstance(remote, dict) and remote.get("name") is not None and remote.get("project") is not None:
                refs.add((str(remote["name"]), str(remote["project"])))
    return sorted(refs)


def _providers(files):
    """{project as spelled: [files that declare it]}."""
    providers = {}
    for item in files:
        if item["project"] is not None:
            providers.setdefault(str(item["project"]), []).append(item)
    return providers


def _provider_hosts(item, name, project, providers):
    """The other files that declare group ``name`` in ``project``: those on the file's cloud, or, when none is, those on
    any cloud (two cloud names may well be two sets of credentials for one cloud; an order too many costs only time)."""
    candidates = [p for p in providers.get(project) or [] if p["host"] != item["host"] and name in p["groups"]]
    same_cloud = [p for p in candidates if p["cloud"] == item["cloud"]]
    return [p["host"] for p in same_cloud or candidates]


def _edges(files):
    """{host: {host it references: [(name, project)]}}: the references that another file of the run provides."""
    providers = _providers(files)
    edges = {}
    for item in files:
        edges[item["host"]] = {}
        for name, project in item["refs"]:
            if item["project"] is not None and str(item["project"]) == project:
                continue  # its own project
            for provider in _provider_hosts(item, name, project, providers):
                edges[item["host"]].setdefault(provider, []).append((name, project))
    return edges


def _components(hosts, edges):
    """Strongly connected components (Tarjan), each a sorted list, in an order where a component comes after the
    components it references."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(host):
        index[host] = low[host] = len(index)
        stack.append(host)
        on_stack.add(host)
        for other in sorted(edges[host]):
            if other not in index:
                visit(other)
                low[host] = min(low[host], low[other])
            elif other in on_stack:
                low[host] = min(low[host], index[other])
        if low[host] == index[host]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == host:
                    break
            found.append(sorted(component))

    for host in hosts:
        if host not in index:
            visit(host)
    return found


def _waves(components, edges):
    """{host: wave}: 0 for a file that references no other file, else one more than the latest wave it references
    (members of a cycle share their component's wave)."""
    wave = {}
    for component in components:  # referenced components come first
        members = set(component)
        outside = [wave[other] for host in component for other in edges[host] if other not in members]
        value = max(outside) + 1 if outside else 0
        for host in component:
            wave[host] = value
    return wave


def declarations_order(hosts, hostvars):
    hosts = [str(h) for h in hosts or []]
    files = [_file(host, hostvars[host] if host in hostvars else {}) for host in hosts]
    labels = dict((item["host"], item["label"]) for item in files)
    edges = _edges(files)
    components = _components(hosts, edges)
    wave = _waves(components, edges)
    cycles = [[labels[h] for h in component] for component in components if len(component) > 1]
    cycle_of = dict((h, [labels[m] for m in component]) for component in components if len(component) > 1 for h in component)
    count = max(wave.values()) + 1 if wave else 1
    result = {"waves": count, "order": [[labels[h] for h in hosts if wave[h] == n] for n in range(count)], "cycles": cycles, "files": {}}
    for host in hosts:
        depends_on = sorted(edges[host])
        planned = sorted(set(ref for other in depends_on if wave[other] < wave[host] for ref in edges[host][other]))
        result["files"][host] = {
            "wave": wave[host],
            "depends_on": depends_on,
            "depends_on_files": [labels[h] for h in depends_on],
            "cycle": cycle_of.get(host, []),
            "planned_foreign_groups": [{"name": name, "project": project} for name, project in planned],
        }
    return result


class FilterModule(object):
    def filters(self):
        return {"declarations_order": declarations_order}
