#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_groups_audit
short_description: Find risky, useless and inconsistent security group rules, live or in a declarations file
version_added: 0.1.0
description:
  - Checks the security groups of a project (live, with the connection options) or of a declarations file (O(declarations),
    before anything is applied) and returns findings, each with a severity, a stable id, the group, the rule, a message
    and a fix hint.
  - Checks (severity) - C(world-admin-port) (high) ingress from 0.0.0.0/0 or ::/0 to an administrative or database port
    (O(admin_ports)); C(world-any-protocol) (high) ingress of every protocol from anywhere; C(stateless-no-reply) (medium)
    a rule of a stateless group without the rule its replies need; C(foreign-remote-group) (medium) a rule referencing a
    group or address group of another project; C(shadowed-rule) (low) a rule fully covered by another rule of the same
    group; C(asymmetric-family) (low) a rule from anywhere on one IP family only, or any rule without its counterpart in a
    group tagged C(audit:symmetric); C(unused-group) (low) a group that no port (live) or no server of the declarations
    wears; C(address-group-family) (medium) a rule referencing an address group that holds addresses of the other IP
    family, which the rule (one ethertype, IPv4 when none is given) does not admit and no other rule of the group does.
  - A rule with protocol 0 is analysed as any protocol (Neutron's firewall drivers match every protocol for it) and
    shown as C(0(any)) in rule texts and ids.
  - "Finding ids are C(<check>:<group>) or C(<check>:<group>:<rule>) where the rule is written
    C(direction/ethertype/protocol/ports/remote), for example C(world-admin-port:web:ingress/IPv4/tcp/22/any); the same
    rule has the same id live and in a declarations file."
  - "A finding is waived by its id or check name in the rule's C(audit_waive) list (declarations), or in a group tag
    C(audit-waive:<id or check>) (declarations and live). Waived findings are still returned, with C(waived=true) and
    the waiver, and never fail the run."
  - With O(fail_on) the task fails when an unwaived finding has that severity or a higher one, which makes it a CI gate.
    The filter P(netsec.openstack.audit_report#filter) renders the result as Markdown.
  - Only reads; never changes the cloud.
author:
  - netsec.openstack contributors (@netsec)
extends_documentation_fragment:
  - netsec.openstack.openstack
  - netsec.openstack.attributes.INFO_MODULE
options:
  declarations:
    description:
      - A declarations file as a mapping (C(project), C(address_groups), C(groups), C(servers)). When given, the file is
        audited and nothing is read from the cloud; C(unused-group) needs its C(servers) list.
    type: dict
  admin_ports:
    description:
      - Ports (numbers, or ranges V(5900-5910)) that must not be open to the world, replacing the default list - 22, 23,
        135, 139, 445, 1433, 1521, 2049, 2375, 2376, 2379, 2380, 3306, 3389, 5432, 5601, 5900, 5984, 5985, 5986, 6379, 6443,
        9042, 9200, 9300, 10250, 11211, 15672, 27017.
    type: list
    elements: raw
  fail_on:
    description:
      - Fail the task when an unwaived finding has this severity or a higher one; V(none) never fails.
    type: str
    choices: [none, low, medium, high]
    default: none
  project:
    description:
      - Live - name or id of the project to audit; defaults to the project of the credentials.
    type: str
notes:
  - See C(docs/access-and-audit.md) in the collection for every check's exact definition, and C(playbooks/audit.yml) for a
    playbook that writes C(audit.json) and C(audit.md).
seealso:
  - module: netsec.openstack.effective_access
  - module: netsec.openstack.security_groups
"""

EXAMPLES = r"""
- name: Audit the live project, fail on high findings (a CI gate)
  netsec.openstack.security_groups_audit:
    cloud: netsec-admin
    fail_on: high
  register: audit

- name: Audit a declarations file before applying it
  netsec.openstack.security_groups_audit:
    declarations: "{{ lookup('ansible.builtin.file', 'declarations/example.yml') | from_yaml }}"
    admin_ports: [22, 3389, "5900-5910"]
  register: planned

- name: Write the Markdown report
  ansible.builtin.copy:
    content: "{{ planned | netsec.openstack.audit_report }}"
    dest: audit.md
    mode: "0644"

# In the declarations file, accept one finding for one rule:
#   - {protocol: tcp, port: 22, description: public bastion, audit_waive: [world-admin-port]}
"""

RETURN = r"""
mode:
  description: V(live) or V(declarations).
  returned: always
  type: str
project_id:
  description: The project audited (live), or the file's C(project) (declarations, may be null).
  returned: always
  type: str
findings:
  description:
    - Every finding, unwaived and waived, highest severity first - C(id), C(check), C(severity) (V(high), V(medium),
      V(low)), C(group), C(group_id) (live), C(rule) (the rule in the declaration's shape with C(text), its canonical form,
      and its C(id) or C(path); null for group findings), C(path) (declarations), C(message), C(hint), C(waived) and
      C(waiver) (C(by), the matching id or check, and C(where)).
  returned: always
  type: list
  elements: dict
  sample:
    - id: world-admin-port:bastion:ingress/IPv4/tcp/22/any
      check: world-admin-port
      severity: high
      group: bastion
      group_id: null
      path: groups[3].rules[0]
      rule: {direction: ingress, ethertype: IPv4, protocol: tcp, port: 22, group: bastion, path: "groups[3].rules[0]",
             text: ingress/IPv4/tcp/22/any}
      message: group bastion admits tcp from 0.0.0.0/0 to administrative/database port 22 (SSH)
      hint: admit these ports only from a bastion (remote_group) or your office prefixes ...
      waived: false
      waiver: null
summary:
  description: Counts of unwaived findings per severity, of waived ones and the total.
  returned: always
  type: dict
  sample: {high: 1, medium: 0, low: 2, waived: 1, total: 4}
gate:
  description: C(fail_on), the number of C(blocking) findings and whether the gate C(passed).
  returned: always
  type: dict
  sample: {fail_on: high, blocking: 0, passed: true}
api_requests:
  description: Live - HTTP requests this run sent, by method (reads only).
  returned: live
  type: dict
"""

from ansible_collections.netsec.openstack.plugins.module_utils._inspect import (
    InspectError,
    audit_live,
    audit_offline,
)
from ansible_collections.netsec.openstack.plugins.module_utils._module import (
    auth_options,
    build_module,
    run_module,
)

ARGUMENT_SPEC = dict(
    declarations=dict(type="dict"),
    admin_ports=dict(type="list", elements="raw"),
    fail_on=dict(type="str", default="none", choices=["none", "low", "medium", "high"]),
    project=dict(type="str"),
)


def run(module):
    try:
        if module.params["declarations"] is not None:
            result = audit_offline(module.params)
        else:
            result = audit_live(module.params, auth_options(module.params))
    except InspectError as exc:
        module.fail_json(msg=str(exc), changed=False)
    gate = result["gate"]
    if not gate["passed"]:
        for warning in result.pop("warnings", []):
            module.warn(warning)
        module.fail_json(
            msg="%d finding(s) at or above severity %s (fail_on): %s"
            % (
                gate["blocking"],
                gate["fail_on"],
                ", ".join(f["id"] for f in result["findings"] if not f["waived"] and f["severity"] in _at_or_above(gate["fail_on"])),
            ),
            **result,
        )
    return result


def _at_or_above(severity):
    order = ["low", "medium", "high"]
    start = order.index(severity)
    return order[start:]


def main():
    module = build_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
