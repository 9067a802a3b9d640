#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: default_security_group_rules
short_description: Make the cloud's default security group rule templates match a declaration (admin)
version_added: 0.1.0
description:
  - Neutron (2023.2 and newer, API extension C(security-groups-default-rules)) copies its default security group rule
    templates into every security group it creates - those with C(used_in_default_sg) into each project's
    C(default) group (made when a project first uses the network API), those with C(used_in_non_default_sg) into every other new
    group. This module declares that set of templates, exactly. It changes no existing group.
  - O(rules) takes the same rule fields, spellings and validation as
    O(netsec.openstack.security_groups#module:groups[].rules), compared by the same canonical identity, plus the two
    flags. V(PARENT) as C(remote_group) means "the new group itself" (how Neutron's own ingress template of
    C(default) groups admits their members).
  - Templates can not be updated in Neutron; a declared template that differs from the existing one with the same
    rule only in its flags or description is replaced (delete, then create - Neutron refuses a duplicate). New
    templates are created first, surplus ones deleted last. If the create of a replacement fails, the old template is
    put back before the error is reported.
  - The lockout guard warns (O(lockout_guard)) when a change leaves new groups without any egress rule, or new
    C(default) groups without any ingress rule.
  - Changing the templates needs the admin role (Neutron's default policy). Reading them needs the reader role, so a
    non-admin can run it in check mode (with a warning that a real run would be refused).
  - On a cloud without the API (before 2023.2) the module fails with an error naming the missing extension, before
    any other request.
  - Runs on one controller take turns (O(lock)); the lock's scope is the cloud's templates.
  - See the role R(netsec.openstack.egress_baseline,ansible_collections.netsec.openstack.egress_baseline_role)
    for the per-project side (groups that exist already) and how the two fit together.
author:
  - netsec.openstack contributors (@netsec)
extends_documentation_fragment:
  - netsec.openstack.openstack
  - netsec.openstack.run_options
options:
  rules:
    description:
      - The templates, exactly. Templates not declared are deleted (unless O(purge_rules=false)). An empty list
        deletes them all - new groups then start with no rule at all (the guard warns).
      - Each item is a rule as in O(netsec.openstack.security_groups#module:groups[].rules) (V(direction),
        V(ethertype), V(protocol), V(port), V(icmp_type), V(icmp_code), V(remote_ip_prefix), V(remote_group),
        V(remote_address_group), V(description), ...) plus two booleans, both V(true) when omitted -
        C(used_in_default_sg) (copy the rule into each new project's C(default) group) and C(used_in_non_default_sg)
        (copy it into every other new group). A V(remote_ip_prefix) list makes one template per prefix.
      - C(remote_group) is V(PARENT) (the new group itself) or a group id; C(remote_address_group) is an address group
        id.
      - A rule without V(description) leaves the template's description as it is (Neutron does not copy it into the
        rules it creates).
      - A rule may appear once; say where it applies with the two flags.
    type: list
    elements: dict
    required: true
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
      used_in_default_sg:
        description: Copy this rule into each new project's C(default) group.
        type: bool
        default: true
      used_in_non_default_sg:
        description: Copy this rule into every other new group.
        type: bool
        default: true
  purge_rules:
    description:
      - Delete templates that are not declared. V(false) only creates and replaces declared ones.
    type: bool
    default: true
  lockout_guard:
    description:
      - What to do when the change leaves new groups (default or other) without any egress rule, or new C(default)
        groups without any ingress rule. Only losses the change causes are reported.
      - V(warn) - carry on with a loud warning (in check mode too). V(fail) - fail before any change, with the same
        message. V(ignore) - do not check.
    type: str
    choices: [warn, fail, ignore]
    default: warn
attributes:
  check_mode:
    support: full
    description:
      - Check mode computes the plan a real run executes and returns it, with the diff and the templates as they would
        be, without changing anything.
  diff_mode:
    support: full
    description:
      - Returns the templates before and after, one sorted line per template, computed from the plan.
  idempotent:
    support: full
    description:
      - A second run with the same declaration sends no write request and reports C(changed=false).
notes:
  - The templates apply to groups created after the change only. Existing groups, including existing C(default)
    groups, keep their rules; manage those with M(netsec.openstack.security_groups) or the role
    R(netsec.openstack.egress_baseline,ansible_collections.netsec.openstack.egress_baseline_role).
seealso:
  - module: netsec.openstack.security_groups
  - name: Neutron API reference, default security group rules
    description: The API this module drives.
    link: https://docs.openstack.org/api-ref/network/v2/index.html#security-group-default-rules-security-group-default-rules
"""

EXAMPLES = r"""
- name: New groups start egress-only (IPv4 and IPv6); default groups keep admitting their members
  netsec.openstack.default_security_group_rules:
    cloud: netsec-admin
    rules:
      - {direction: egress}
      - {direction: egress, ethertype: IPv6}
      - {remote_group: PARENT, used_in_non_default_sg: false, description: members of default}
      - {remote_group: PARENT, ethertype: IPv6, used_in_non_default_sg: false, description: members of default}

- name: Preview a change (nothing is changed)
  netsec.openstack.default_security_group_rules:
    cloud: netsec-admin
    rules:
      - {direction: egress}
      - {remote_group: PARENT, used_in_non_default_sg: false}
      - {protocol: tcp, port: 22, remote_ip_prefix: 203.0.113.0/24, used_in_default_sg: false, description: office SSH}
  check_mode: true
  diff: true

- name: Back to Neutron's own templates
  netsec.openstack.default_security_group_rules:
    cloud: netsec-admin
    rules:
      - {remote_group: PARENT, used_in_non_default_sg: false, description: Legacy default SG rule for ingress traffic}
      - {remote_group: PARENT, ethertype: IPv6, used_in_non_default_sg: false,
         description: Legacy default SG rule for ingress traffic}
      - {direction: egress, description: Legacy default SG rule for egress traffic}
      - {direction: egress, ethertype: IPv6, description: Legacy default SG rule for egress traffic}
"""

RETURN = r"""
changed:
  description: Whether the plan had operations.
  returned: always
  type: bool
plan:
  description:
    - The operations, in order - V(create), V(replace) (delete, then create) and V(delete) - each with the
      C(template) (canonical, declaration-shaped, with its flags), the C(id) deleted (or, after a real run, created),
      the declaration C(path) and the C(reason).
  returned: always
  type: list
  elements: dict
  sample:
    - action: delete
      id: a0185a5a-44dc-4745-bc87-584388b71c63
      template: {direction: egress, ethertype: IPv6, protocol: any, used_in_default_sg: true, used_in_non_default_sg: true}
      reason: not declared (exact set)
summary:
  description: Number of operations of each action.
  returned: always
  type: dict
  sample: {create: 0, replace: 0, delete: 1}
templates:
  description: The templates after the run (as they would be, in check mode), sorted; C(id) is absent for templates a
    check-mode run would create.
  returned: always
  type: list
  elements: dict
  sample:
    - {direction: egress, ethertype: IPv4, protocol: any, used_in_default_sg: true, used_in_non_default_sg: true,
       id: d25e3dc5-fa69-49eb-9dfc-c9aef91d3507}
lockouts:
  description: What the change takes away from new groups (see O(lockout_guard)); the same text is in the warnings.
  returned: always
  type: list
  elements: dict
  sample:
    - scope: used_in_non_default_sg
      lost: egress
      message: "LOCKOUT: after this change the default security group rule templates give new security groups ..."
diff:
  description: The templates before and after, one sorted line per template.
  returned: in diff mode
  type: dict
api_requests:
  description: HTTP requests this run sent, by method.
  returned: always
  type: dict
"""

from ansible_collections.netsec.openstack.plugins.module_utils._default_rules_run import reconcile
from ansible_collections.netsec.openstack.plugins.module_utils._module import (
    RUN_ARGUMENT_SPEC,
    auth_options,
    build_module,
    run_module,
)

ARGUMENT_SPEC = dict(
    rules=dict(type="list", elements="dict", required=True),
    purge_rules=dict(type="bool", default=True),
    lockout_guard=dict(type="str", default="warn", choices=["warn", "fail", "ignore"]),
)
ARGUMENT_SPEC.update(RUN_ARGUMENT_SPEC)


def run(module):
    options = dict((k, module.params[k]) for k in ("purge_rules", "lockout_guard", "lock", "lock_timeout"))
    return reconcile(module.params["rules"], options, auth_options(module.params), module.check_mode, with_diff=module._diff)


def main():
    module = build_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
