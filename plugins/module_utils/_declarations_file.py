# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declarations file: its published schema, and live state exported in its shape (private).

Pure code, no I/O.  A declarations file is one YAML mapping::

    project: demo                  # optional; name or id, default the project of the credentials
    address_groups: [...]          # as netsec.openstack.security_groups takes them
    groups: [...]                  # as netsec.openstack.security_groups takes them
    servers: [...]                 # as netsec.openstack.server_security_groups takes them

``file_schema()`` builds its JSON Schema from the schemas the modules
validate with (so the published file can not drift from them);
``export_scope()`` turns what ``Adapter.observe_inventory`` read into such
mappings, compact (fields that mean the default are left out) and exact
(applying the result to the same cloud changes nothing).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import fnmatch
import json
import re

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._attachments import SERVER_SCHEMA
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import expand_rule
from ansible_collections.netsec.openstack.plugins.module_utils import _fields as fields
from ansible_collections.netsec.openstack.plugins.module_utils import _icmp as icmp
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DECLARATION_SCHEMA, DECLARATIONS_FILE_KEYS

SCHEMA_ID = "https://raw.githubusercontent.com/netsec/openstack/main/schemas/declarations.schema.json"
SCHEMA_PATH = "schemas/declarations.schema.json"
FILE_KEYS = DECLARATIONS_FILE_KEYS


def file_schema():
    """JSON Schema (draft 7) of a whole declarations file."""
    schema = copy.deepcopy(DECLARATION_SCHEMA)
    schema["$id"] = SCHEMA_ID
    schema["title"] = "netsec.openstack declarations file"
    schema["description"] = (
        "Security groups, address groups and server attachments of one OpenStack project, as applied by "
        "the netsec.openstack playbooks apply.yml and drift.yml and written by export.yml. Cross-field "
        "rules (one remote per rule, ports only with port protocols, no host bits in prefixes, unique "
        "names) are checked by the modules."
    )
    properties = {
        "project": {
            "type": "string",
            "minLength": 1,
            "description": "Project (name or id) the file describes; default: the project of the credentials.",
        },
    }
    properties.update(copy.deepcopy(schema["properties"]))
    properties["address_groups"]["description"] = "Address groups, as netsec.openstack.security_groups takes them."
    properties["groups"]["description"] = "Security groups and their rules, as netsec.openstack.security_groups takes them."
    properties["servers"] = {
        "type": "array",
        "items": copy.deepcopy(SERVER_SCHEMA),
        "description": "Which groups servers wear, as netsec.openstack.server_security_groups takes them.",
    }
    schema["properties"] = properties
    return schema


def file_schema_text():
    """The published schema file's exact content."""
    return json.dumps(file_schema(), indent=2, sort_keys=True) + "\n"


# --- export ---------------------------------------------------------------


def _unique_names(items):
    counts = {}
    for item in items:
        counts[item.get("name")] = counts.get(item.get("name"), 0) + 1
    return set(name for name, count in counts.items() if count == 1 and name)


def _selected(group, names, tags):
    if names and not any(fnmatch.fnmatchcase(group.get("name") or "", pattern) for pattern in names):
        return False
    if tags and not set(tags) <= set(group.get("tags") or []):
        return False
    return True


def compact_rule(key, description, name_of):
    """A RuleKey as the shortest declaration that means exactly it.

    Leaves out what the declaration format infers (direction ingress, protocol
    any, the ethertype when the prefix or protocol implies it), checking each
    omission with the same parser the modules use.
    """
    full = model.key_to_declaration(key, description, name_of)
    reference = [r.key for r in expand_rule(full, "export")]
    rule = dict(full)
    for field in ("direction", "protocol", "ethertype"):
        candidate = dict(rule)
        candidate.pop(field, None)
        if [r.key for r in expand_rule(candidate, "export")] == reference:
            rule = candidate
    if icmp.key_problem(key):
        rule["audit_waive"] = [icmp.WAIVER]  # a rule someone made with the other family's ICMP type: kept as it is
    return dict((field, rule[field]) for field in fields.export_order() if field in rule)


def _rule_order(key):
    """Ingress first, then egress; each in the model's total order."""
    return (key.direction != "ingress", model.sort_key_of_rule_key(key))


def _stored_protocol(rule, stored_zero):
    """Protocol 0 is exported as 0 (stored as 0, or as the name of the number, hopopt: the same rule to Neutron)."""
    if stored_zero:
        rule["protocol"] = 0
    return rule


def _export_group(group, group_name_of, address_group_name_of):
    def name_of_for(key):
        return group_name_of if key.remote_kind == model.REMOTE_GROUP else address_group_name_of

    rules = {}
    stored_zero = set()
    for rule in group.get("rules") or []:
        key = model.key_from_neutron(rule)
        # Neutron refuses duplicates, so a key appears once; keep the first if not.
        rules.setdefault(key, rule.get("description") or "")
        if str(rule.get("protocol")).lower() in ("0", "hopopt"):  # one number, two spellings; 0 is the one users know
            stored_zero.add(key)
    exported = {"name": group["name"]}
    if group.get("description"):
        exported["description"] = group["description"]
    if group.get("stateful") is False:
        exported["stateful"] = False
    tags = sorted(t for t in group.get("tags") or [] if t != model.OWNER_TAG)
    if tags:
        exported["tags"] = tags
    exported["rules"] = [_stored_protocol(compact_rule(key, rules[key], name_of_for(key)), key in stored_zero) for key in sorted(rules, key=_rule_order)]
    return exported


def _export_address_group(address_group):
    exported = {"name": address_group["name"]}
    if address_group.get("description"):
        exported["description"] = address_group["description"]
    exported["addresses"] = model.canonical_addresses(address_group.get("addresses") or [])
    return exported


def _referenced_address_groups(groups):
    refs = set()
    for group in groups:
        for rule in group.get("rules") or []:
            if rule.get("remote_address_group_id"):
                refs.add(rule["remote_address_group_id"])
    return refs


def _export_servers(project_id, servers, ports, groups, selected_ids, filtered, warnings):
    """Each server's attachments, exactly (one entry per distinct set of groups on its ports)."""
    servers = [s for s in servers if s.get("project_id") == project_id]
    server_names = _unique_names(servers)
    group_by_id = dict((g["id"], g) for g in groups)
    names_in_project = _unique_names([g for g in groups if g.get("project_id") == project_id])
    ports_by_server = {}
    for port in ports:
        ports_by_server.setdefault(port.get("device_id"), []).append(port)

    def group_ref(group_id):
        group = group_by_id.get(group_id)
        if group is not None and group.get("project_id") == project_id and group.get("name") in names_in_project:
            return group["name"]
        return group_id

    entries = []
    for server in sorted(servers, key=lambda s: (s.get("name") or "", s["id"])):
        server_ports = sorted(ports_by_server.get(server["id"]) or [], key=lambda p: p["id"])
        if not server_ports:
            continue
        if filtered and not any(set(p.get("security_group_ids") or []) & selected_ids for p in server_ports):
            continue
        variants = {}
        for port in server_ports:
            variants.setdefault(tuple(sorted(port.get("security_group_ids") or [])), []).append(port["id"])
        # The largest variant first; ties by their groups, for a stable order.
        ordered = sorted(variants.items(), key=lambda item: (-len(item[1]), [group_ref(g) for g in item[0]]))
        # Every entry names the server the same way (its name when unique in the project, else its id);
        # a server whose ports wear different sets of groups gets one entry per set, each with its ports.
        ref = server["name"] if server.get("name") in server_names else server["id"]
        for group_ids, port_ids in ordered:
            entry = {"server": ref, "security_groups": sorted(group_ref(g) for g in group_ids)}
            if len(ordered) > 1:
                entry["ports"] = list(port_ids)
            entries.append(entry)
    return entries


def export_project(inventory, project_id, names=None, tags=None, include_servers=True, project=None):
    """One project's live state as a declarations mapping.  Returns (mapping, warnings)."""
    warnings = []
    all_groups = inventory.get("groups") or []
    all_address_groups = inventory.get("address_groups") or []
    groups = [g for g in all_groups if g.get("project_id") == project_id]
    address_groups = [a for a in all_address_groups if a.get("project_id") == project_id]
    unique_groups = _unique_names(groups)
    unique_address_groups = _unique_names(address_groups)
    local_group_ids = set(g["id"] for g in groups)
    local_address_group_ids = set(a["id"] for a in address_groups)

    def group_name_of(ref):
        for group in groups:
            if group["id"] == ref and group.get("name") in unique_groups:
                return group["name"]
        return ref

    def address_group_name_of(ref):
        for address_group in address_groups:
            if address_group["id"] == ref and address_group.get("name") in unique_address_groups:
                return address_group["name"]
        return ref

    filtered = bool(names or tags)
    selected = [g for g in groups if _selected(g, names, tags)]
    exported_groups = []
    for group in sorted(selected, key=lambda g: (g.get("name") or "", g["id"])):
        if group.get("name") not in unique_groups:
            warnings.append(
                "security group %s (%s): its name %r is not unique in project %s, and a declarations file "
                "names groups uniquely; left out (rules of other groups refer to it by id)" % (group.get("name"), group["id"], group.get("name"), project_id)
            )
            continue
        exported_groups.append(sharing.with_shared_with(_export_group(group, group_name_of, address_group_name_of), inventory, "security_group", group["id"]))

    if filtered:
        wanted = _referenced_address_groups(selected) & local_address_group_ids
        chosen_address_groups = [a for a in address_groups if a["id"] in wanted]
    else:
        chosen_address_groups = address_groups
    exported_address_groups = []
    for address_group in sorted(chosen_address_groups, key=lambda a: (a.get("name") or "", a["id"])):
        if address_group.get("name") not in unique_address_groups:
            warnings.append(
                "address group %s (%s): its name is not unique in project %s; left out (rules refer to it "
                "by id)" % (address_group.get("name"), address_group["id"], project_id)
            )
            continue
        exported_address_groups.append(sharing.with_shared_with(_export_address_group(address_group), inventory, "address_group", address_group["id"]))

    mapping = {}
    if project:
        mapping["project"] = project
    mapping["address_groups"] = exported_address_groups
    mapping["groups"] = exported_groups
    if include_servers:
        mapping["servers"] = _export_servers(
            project_id,
            inventory.get("servers") or [],
            inventory.get("ports") or [],
            all_groups,
            set(g["id"] for g in selected) & local_group_ids,
            filtered,
            warnings,
        )
    return mapping, warnings


def projects_in(inventory):
    """Project ids that own groups, address groups or servers in an inventory, sorted."""
    found = set()
    for field in ("groups", "address_groups", "servers"):
        for item in inventory.get(field) or []:
            if item.get("project_id"):
                found.add(item["project_id"])
    return sorted(found)


# Characters a project name keeps in a file name; others become "_" (a name with "/" must not make a directory).
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._@+=,-]")


def _file_stem(name):
    stem = _UNSAFE_IN_FILE_NAME.sub("_", name or "")
    return stem if stem.strip("._") else None


def tree_file_names(project_ids, project_names):
    """{project id: file name} for an export tree: ``<project name>.yml``, or ``<project id>.yml`` when the
    name is unknown (not visible to these credentials) or clashes with another project's (names are unique per
    domain only; compared case-insensitively, for file systems that are)."""
    stems = dict((project_id, _file_stem(project_names.get(project_id))) for project_id in project_ids)
    seen = {}
    for stem in stems.values():
        if stem:
            seen[stem.lower()] = seen.get(stem.lower(), 0) + 1
    ids = set(project_id.lower() for project_id in project_ids)
    return dict(
        (project_id, "%s.yml" % (stem if stem and seen[stem.lower()] == 1 and stem.lower() not in ids - set([project_id.lower()]) else project_id))
        for project_id, stem in stems.items()
    )
