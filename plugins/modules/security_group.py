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
  adopt:
    description:
      - Take an existing group that does not carry the ownership tag C(managed-by=netsec.openstack) into this
        collection's ownership (the run adds the tag). Without it such a group is managed but never tagged, so never
        deleted by O(netsec.openstack.security_groups#module:purge_groups). See
        O(netsec.openstack.security_groups#module:groups[].adopt).
    type: bool
    default: false
  rules:
    description:
      - The group's rules, as in O(netsec.openstack.security_groups#module:groups[].rules). V([]) means no rules
        (with O(purge_rules=true)).
      - When omitted, the group's rules are not managed - left as they are, whatever O(purge_rules) says. A group
        created without it gets what the cloud's default-rule template gives a new group (usually egress allow-all
        for IPv4 and IPv6), kept as it is.
    type: list
    elements: dict
    suboptions:
      direction:
        description: Direction of traffic the rule admits.
        type: str
        choices: [ingress, egress]
        default: ingress
      ethertype:
        description:
          - V(IPv4) or V(IPv6). When omitted, inferred from the rule's C(remote_ip_prefix), IPv6 for IPv6-only
            protocols, else V(IPv4) as Neutron does.
        type: str
        aliases: [ether_type]
      protocol:
        description:
          - A protocol name (V(tcp), V(udp), V(icmp), V(ipv6-icmp), V(icmpv6), V(sctp), V(gre), ...), a number 0-255,
            or V(any). Omitted means any protocol.
          - On IPv6, V(icmp) and V(1) mean V(ipv6-icmp), as Neutron stores them.
        type: str
      port:
        description:
          - A port (V(22)) or an inclusive range (V(8000-8100), or V(8000:8100) as the openstack CLI writes it) for
            tcp, udp, sctp, dccp and udplite. Omitted means all ports; V(1-65535) means the same.
        type: str
      port_range_min:
        description:
          - First port (openstack.cloud's spelling, so rule lists written for it work unchanged). V(-1) together with
            C(port_range_max=-1) means all ports, stored as Neutron stores all ports (V(-1) on one side only is
            refused).
          - For ICMP, the ICMP type (V(-1) for any).
        type: int
      port_range_max:
        description:
          - Last port (V(-1) with C(port_range_min=-1) means all ports). For ICMP, the ICMP code (V(-1) for any).
        type: int
      icmp_type:
        description:
          - ICMP type, for icmp and ipv6-icmp. Checked against the rule's family (IANA's ICMP and ICMPv6 type tables)
            - echo is V(8) on IPv4 but V(128) on IPv6, and a type of the other family is refused with the equivalent
            as hint.
        type: int
      icmp_code:
        description: ICMP code, for icmp and ipv6-icmp; needs C(icmp_type).
        type: int
      remote_ip_prefix:
        description:
          - Source (ingress) or destination (egress) CIDR or address, or a list of them (one rule per prefix).
            V(0.0.0.0/0), V(::/0) and omitted all mean anywhere.
        type: raw
      remote_group:
        description:
          - A security group (name or id) whose member ports the rule admits. Names resolve to groups of this
            declaration first, then to groups of the project.
          - A group of another project that is shared with this one (see C(shared_with)) is named by a mapping with
            the keys C(name) (the group's name) and C(project) (the project's name or id); the name resolves within
            that project.
        type: raw
      remote_address_group:
        description: An address group (name or id).
        type: str
      description:
        description:
          - The rule's description. Not part of its identity. When omitted, the description is not managed - a rule
            that matches in every other field is kept whatever its description (a new rule gets none).
          - When given (V("") included), it must be exactly that; rules are immutable in Neutron, so a changed
            description replaces the rule.
        type: str
      audit_waive:
        description:
          - Ids of audit findings accepted for this rule (see M(netsec.openstack.security_groups_audit)). Not sent to
            the cloud and not part of the rule.
          - V(icmp-family) accepts an ICMP type of the other family (refused otherwise); an export writes it for such
            rules found in the cloud, so that applying the export changes nothing.
        type: list
        elements: str
  shared_with:
    description:
      - Projects (names or ids) the group is shared with through Neutron RBAC policies, exactly; V(*) means every
        project, V([]) nobody. Left as it is when omitted. See M(netsec.openstack.security_groups).
    type: list
    elements: str
  force_unshare:
    description:
      - Remove projects from O(shared_with) even while their rules reference the group.
      - Also lets O(state=absent) delete a group that is shared with other projects (refused without it).
    type: bool
    default: false
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
      - {protocol: udp, port_range_min: -1, port_range_max: -1}

- name: Only the description; the rules (no rules option) are left as they are
  netsec.openstack.security_group:
    cloud: netsec-admin
    name: legacy
    description: Owned by the platform team

- name: No rules at all
  netsec.openstack.security_group:
    cloud: netsec-admin
    name: quarantine
    rules: []

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
  description: "Machine-readable: the group before and after (without ids), computed from the plan."
  returned: in diff mode
  type: dict
api_requests:
  description: HTTP requests this run sent, by method; C(retried) counts the requests repeated after a transient fault.
  returned: always
  type: dict
retries:
  description: How many requests were repeated after a transient fault (429, 5xx, a dropped connection).
  returned: always
  type: int
quota:
  description: The project's quota details the plan was checked against, with the plan's C(peak) usage (see
    M(netsec.openstack.security_groups)); null when the plan creates nothing.
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
    rules=dict(type="list", elements="dict"),
    shared_with=dict(type="list", elements="str"),
    adopt=dict(type="bool", default=False),
    force_unshare=dict(type="bool", default=False),
    project=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    purge_rules=dict(type="bool", default=True),
)
ARGUMENT_SPEC.update(RUN_ARGUMENT_SPEC)
ARGUMENT_SPEC.update(CONCURRENCY_ARGUMENT_SPEC)
ARGUMENT_SPEC.update(LOCKOUT_ARGUMENT_SPEC)


def run(module):
    params = module.params
    group = dict((k, params[k]) for k in ("name", "description", "stateful", "tags", "rules", "shared_with") if params[k] is not None)
    if params["adopt"]:
        group["adopt"] = True
    options = dict((k, params[k]) for k in ("project", "state", "purge_rules", "force_unshare"))
    options.update(run_options(params))
    options.update(lockout_options(params))
    return readable_diff(reconcile_one_group(group, options, auth_options(params), module.check_mode, with_diff=module._diff))


def main():
    module = build_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
