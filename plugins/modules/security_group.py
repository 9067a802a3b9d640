#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_group
short_description: Make one security group and its rules match a declaration
version_added: 0.1.0
description:
  - The same engine as M(netsec.openstack.security_groups), for one group, with the group's fields at the top level.
    Everything said there (canonical rule identity, validation before any call, ownership tag, refusal of unsafe
    deletes, check and diff mode) holds here.
  - Remote groups named in rules resolve to existing groups of the project (or the group itself).
author:
  - netsec.openstack contributors (@netsec)
extends_documentation_fragment:
  - netsec.openstack.openstack
  - netsec.openstack.attributes
  - netsec.openstack.run_options
  - netsec.openstack.run_options.CONCURRENCY
  - netsec.openstack.lockout
options:
  name:
    description: Name of the group, unique in the project.
    type: str
    required: true
  description:
    description: Description. Left as it is when omitted.
    type: str
  stateful:
    description: Whether the group is stateful. Left as it is when omitted (a new group is stateful).
    type: bool
  tags:
    description: The group's tags, exactly (the ownership tag is always kept). Left as they are when omitted.
    type: list
    elements: str
  rules:
    description:
      - The group's rules, as in O(netsec.openstack.security_groups#module:groups[].rules). Omitted or empty means
        no rules (with O(purge_rules=true)).
    type: list
    elements: dict
    default: []
  project:
    description: Name or id of the project; defaults to the project of the credentials.
    type: str
  state:
    description: V(present) or V(absent).
    type: str
    choices: [present, absent]
    default: present
  purge_rules:
    description: Delete rules of the group that are not declared.
    type: bool
    default: true
seealso:
  - module: netsec.openstack.security_groups
"""

EXAMPLES = r"""
- name: SSH from the office only
  netsec.openstack.security_group:
    cloud: netsec-admin
    name: ssh
    description: SSH from the office
    rules:
      - {protocol: tcp, port: 22, remote_ip_prefix: 203.0.113.0/24}
      - {protocol: tcp, port: 22, remote_ip_prefix: "2001:db8::/48"}

- name: Rule list written for openstack.cloud.security_group works unchanged
  netsec.openstack.security_group:
    cloud: netsec-admin
    name: legacy
    rules:
      - {protocol: tcp, port_range_min: 80, port_range_max: 80, remote_ip_prefix: 0.0.0.0/0}
      - {protocol: icmp, port_range_min: -1, port_range_max: -1, ether_type: IPv4}

- name: Remove it
  netsec.openstack.security_group:
    cloud: netsec-admin
    name: legacy
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the plan had operations.
  returned: always
  type: bool
plan:
  description: The ordered operations, as in M(netsec.openstack.security_groups).
  returned: always
  type: list
  elements: dict
summary:
  description: Number of operations of each action.
  returned: always
  type: dict
security_group:
  description: The group after the run (as it would be, in check mode), with ids; null when absent.
  returned: always
  type: dict
  sample:
    name: ssh
    id: 4f1c3c2e-0b7c-4d4b-9a53-3d1c8cbb2f10
    description: SSH from the office
    stateful: true
    tags: [managed-by=netsec.openstack]
    rules:
      - {id: 9a1e..., direction: ingress, ethertype: IPv4, protocol: tcp, port: 22, remote_ip_prefix: 203.0.113.0/24}
lockouts:
  description:
    - Groups that ports wear and that the plan leaves without any ingress rule admitting a port of O(lockout_ports)
      (see O(lockout_guard)); empty when there are none. The same text is in the run's warnings.
  returned: always
  type: list
  elements: dict
  sample:
    - group: web
      group_id: 4f1c3c2e-0b7c-4d4b-9a53-3d1c8cbb2f10
      ports: [22]
      rules_removed: [9a1e0c8d-5b8e-4c1b-a0b7-1c2d3e4f5a6b]
      wearers:
        - {id: 0c3e..., name: "", device_id: 7d2f..., device_owner: "compute:nova", fixed_ips: [10.0.0.5]}
      message: "LOCKOUT: this plan removes every ingress rule of security group web ..."
project_id:
  description: The project the run worked in.
  returned: always
  type: str
diff:
  description:
    - One item per group (and address group) that changes, for Ansible's unified diff - C(before_header) and
      C(after_header) name the group, C(before) and C(after) list its fields and one canonical line per rule
      (C(ingress tcp 22 from 0.0.0.0/0 "ssh")), sorted. Computed from the plan, so check mode shows the same diff.
  returned: in diff mode
  type: list
  elements: dict
diff_data:
  description: Machine-readable: the group before and after (without ids), computed from the plan.
  returned: in diff mode
  type: dict
api_requests:
  description: HTTP requests this run sent, by method.
  returned: always
  type: dict
"""

from ansible_collections.netsec.openstack.plugins.module_utils._diff_view import readable as readable_diff
from ansible_collections.netsec.openstack.plugins.module_utils._lockout import ARGUMENT_SPEC as LOCKOUT_ARGUMENT_SPEC
from ansible_collections.netsec.openstack.plugins.module_utils._lockout import options_of as lockout_options
from ansible_collections.netsec.openstack.plugins.module_utils._module import (
    CONCURRENCY_ARGUMENT_SPEC,
    RUN_ARGUMENT_SPEC,
    auth_options,
    build_module,
    run_module,
    run_options,
)
from ansible_collections.netsec.openstack.plugins.module_utils._reconcile import reconcile_one_group

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    description=dict(type="str"),
    stateful=dict(type="bool"),
    tags=dict(type="list", elements="str"),
    rules=dict(type="list", elements="dict", default=[]),
    project=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    purge_rules=dict(type="bool", default=True),
)
ARGUMENT_SPEC.update(RUN_ARGUMENT_SPEC)
ARGUMENT_SPEC.update(CONCURRENCY_ARGUMENT_SPEC)
ARGUMENT_SPEC.update(LOCKOUT_ARGUMENT_SPEC)


def run(module):
    params = module.params
    group = dict((k, params[k]) for k in ("name", "description", "stateful", "tags", "rules") if params[k] is not None)
    options = dict((k, params[k]) for k in ("project", "state", "purge_rules"))
    options.update(run_options(params))
    options.update(lockout_options(params))
    return readable_diff(reconcile_one_group(group, options, auth_options(params), module.check_mode, with_diff=module._diff))


def main():
    module = build_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
