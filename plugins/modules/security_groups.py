#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_groups
short_description: Make a project's security groups, rules and address groups match a declaration
version_added: 0.1.0
description:
  - Declares a whole set of OpenStack security groups, their rules and address groups in one task and makes the
    cloud match it exactly; says what it changed (or would change) as an ordered plan; a second run changes nothing.
  - Rules are compared by their canonical identity, which copies Neutron's own rewrites, so a rule created by any
    tool in any spelling (C(6) or C(tcp), C(icmp) or C(ipv6-icmp) on IPv6, ports C(1-65535) or none,
    C(0.0.0.0/0) or no prefix, C(192.0.2.7) or C(192.0.2.7/32)) matches its declaration without a write.
  - A field left out of a rule means none, never anything - except the description, which is not part of a rule's
    identity. A declared description (V("") included) is managed; rules are immutable in Neutron, so a changed
    description replaces the rule. An omitted description is not managed; a rule that matches in every other field
    is kept whatever its description.
  - What is not declared is left alone - a group without a C(rules) key keeps its rules, a rule without a
    C(description) keeps its description. Declare an empty list of rules for "no rules" and V("") as the description for
    "no description".
  - Prefixes with host bits set (C(10.1.2.3/8)) are refused with an error that names the network meant; existing
    rules with host bits are compared on their network.
  - Names of remote groups resolve in the scope project, to groups declared in the same task first (which may
    reference each other, cycles included), then to existing groups; an ambiguous or unknown name fails before any
    change, listing the candidates.
  - Order of operations - create address groups, delete surplus rules that no new rule overlaps (this lowers the
    peak quota usage and takes no declared access away), create groups, replace rules whose description changes,
    bulk-create missing rules (one request per group), delete surplus rules that a new rule overlaps (create before
    delete, so no access is lost while a rule changes), update group attributes, delete groups. Deletes of groups
    that ports use, or that other groups' rules reference (Neutron would silently delete those rules), are refused
    before any change.
  - A rule whose description changes is one C(replace_rule) operation - Neutron refuses a second rule identical but
    for the description, so the old rule is deleted and the new one created back to back; if the create fails for
    any reason, the old rule is created again as it was before the run fails, and the failure says so.
  - Before the first write, when the plan creates anything, the project's quota details are read (limit, used,
    reserved of security groups and rules) and the plan's peak usage in its order is computed; a plan that can not
    fit fails before any write, naming the quota, what the plan needs and what is free. Check mode fails the same
    way. A change of O(groups[].stateful) on a group that ports wear is refused the same way (Neutron refuses it).
  - Requests answered 429 (throttled) or 503 are repeated after a jittered backoff that honours C(Retry-After) up to
    20 seconds, at most 3 times; RV(retries) counts them.
  - Groups the module creates carry the tag C(managed-by=netsec.openstack). A declared group that exists without the
    tag (made by hand or by another tool) is managed - its rules and attributes are made to match - but stays
    unowned, unless declared with O(groups[].adopt=true), which adds the tag. Only tagged groups are ever deleted by
    O(purge_groups). The project's C(default) group can be declared
    (its rules are managed) but is never deleted.
  - Every declaration is validated before any API call; all errors are reported at once, each with its path such as
    C(groups[1].rules[3].port).
author:
  - netsec.openstack contributors (@netsec)
extends_documentation_fragment:
  - netsec.openstack.openstack
  - netsec.openstack.attributes
  - netsec.openstack.run_options
  - netsec.openstack.run_options.CONCURRENCY
  - netsec.openstack.lockout
options:
  project:
    description:
      - Name or id of the project to work in; groups are created there and names resolve there.
      - Defaults to the project of the credentials. Naming another project needs credentials that may see it
        (admin).
    type: str
  state:
    description:
      - V(present) makes the declared groups and address groups exist exactly as declared.
      - V(absent) deletes the declared groups and address groups (their rules go with them). Refused, with the
        ports and rules listed, when ports use a group or other groups' rules reference it.
    type: str
    choices: [present, absent]
    default: present
  purge_rules:
    description:
      - Delete rules of a declared group that are not declared, including those the cloud's default-rule template
        adds to a new group.
      - When false, undeclared rules are left alone (declared ones are still created and updated).
    type: bool
    default: true
  purge_groups:
    description:
      - Delete security groups of the scope project that carry the ownership tag C(managed-by=netsec.openstack) and
        are not declared. Untagged groups and other projects' groups are never touched.
      - Neutron keeps no tags on address groups, so ownership of an address group can not be recorded; address
        groups are deleted only when declared with O(state=absent).
    type: bool
    default: false
  force_unshare:
    description:
      - Remove projects from O(groups[].shared_with) or O(address_groups[].shared_with) even while rules of those
        projects still reference the group (the rules stay, but the project loses access to what they name).
      - Also lets a run delete (O(purge_groups), O(state=absent)) a group or address group that is shared with other
        projects; without it that is refused, because Neutron deletes the other projects' rules that reference a
        deleted group.
      - Never overrides Neutron's own refusal to unshare a group that ports of the project losing it wear; that is
        refused before any write.
    type: bool
    default: false
  planned_foreign_groups:
    description:
      - Groups of other projects that the same run creates or shares with this project before this task applies
        (C(playbooks/apply.yml) with a directory applies their files first; C(playbooks/drift.yml) passes what the
        filter P(netsec.openstack.declarations_order#filter) computes). Each is C({name, project}), spelled as the
        rules' C(remote_group) mapping spells it.
      - In check mode nothing has been created or shared, so a rule's C(remote_group) mapping naming a listed
        group that these credentials do not see yet is planned against a placeholder (the rule's C(remote_group_id) is
        null in the diff) instead of failing. A listed group that is visible is resolved as usual.
      - Ignored in a real run, where the group must exist and be shared by then (a rule naming one that is not fails
        before any change).
    type: list
    elements: dict
    default: []
    version_added: 1.0.0
    suboptions:
      name:
        description: The group's name.
        type: str
        required: true
      project:
        description: The project's name or id, as the rule spells it.
        type: str
        required: true
  declarations_file:
    description:
      - Path of a declarations file (YAML, or JSON when the name ends in C(.json)) on the controller - the format of
        the playbooks' files (C(playbooks/declarations/example.yml), C(schemas/declarations.schema.json)) - whose
        C(groups) and C(address_groups) are declared as if given in O(groups) and O(address_groups); the plan, check
        mode and diff are the same.
      - The module reads the file itself, so a large declaration (thousands of rules) does not pass through
        Ansible's playbook parser, templating and module arguments, which cost seconds per thousand rules.
      - The file's C(project) is used unless the task sets O(project), its C(cloud) unless the task sets O(cloud); a
        different value in the task is an error naming both. Its C(servers) are left to
        M(netsec.openstack.server_security_groups). Any other key is an error.
      - 'Errors name the file and the field path (C(decl.yml: groups[3].rules[1].port: ...)); a file that can not be
        read or parsed, or that is invalid, fails before any cloud call.'
      - A relative path is relative to the directory ansible-playbook runs in; write C({{ playbook_dir }}/...) to
        be independent of it. Mutually exclusive with O(groups) and O(address_groups).
    type: path
    version_added: 1.0.0
  return_groups:
    description:
      - Whether RV(security_groups) and RV(address_groups) list every declared group with all its fields and rules.
      - V(false) returns each declared group and address group as C(id) and C(name) only (C(id) null for what check
        mode would create), and skips rendering the rules. On a declaration of thousands of rules this saves the
        module the rendering and Ansible the walk over a result that lists every rule (about 1.5 seconds at 6,000
        rules); RV(changed), RV(plan), RV(summary), RV(diff), RV(quota), RV(api_requests) and, on failure,
        RV(completed) and RV(not_completed) are the same either way.
    type: bool
    default: true
    version_added: 1.0.0
  address_groups:
    description:
      - Address groups to manage. Rules reference them by name (or id) with O(groups[].rules[].remote_address_group).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name, unique in the project.
        type: str
        required: true
      description:
        description: Description. Left as it is when omitted.
        type: str
      addresses:
        description:
          - IP addresses and CIDRs. Hosts without a mask become C(/32) or C(/128). When omitted, the addresses of an
            existing address group are left as they are.
        type: list
        elements: str
      shared_with:
        description:
          - Projects (names or ids) this address group is shared with through Neutron RBAC policies
            (C(access_as_shared)), exactly; V(*) shares it with every project. V([]) shares it with nobody.
          - When omitted, the address group's sharing is left as it is (not managed).
          - Removing a project is refused while rules of that project reference the address group, unless
            O(force_unshare=true). Needs the API extension C(rbac-address-group).
        type: list
        elements: str
  groups:
    description:
      - Security groups to manage.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name, unique in the declaration; at most 255 characters.
        type: str
        required: true
      description:
        description: Description. Left as it is when omitted (a new group gets an empty one).
        type: str
      stateful:
        description:
          - Whether the group is stateful. Left as it is when omitted (a new group is stateful).
          - Neutron refuses to change this on a group that ports use.
        type: bool
      tags:
        description:
          - The group's tags, exactly (the ownership tag is always kept). Left as they are when omitted.
        type: list
        elements: str
      adopt:
        description:
          - Take an existing group that does not carry the ownership tag C(managed-by=netsec.openstack) into this
            collection's ownership - the next run adds the tag, and from then on O(purge_groups) deletes the group once
            it is no longer declared. Without it such a group is managed (its rules and attributes made to match) but
            never tagged, so never purged, and an export of it re-applied writes nothing.
          - A group that carries the tag keeps it (V(false) does not release it). Refused on the project's
            C(default) group, which is Neutron's.
        type: bool
        default: false
      shared_with:
        description:
          - Projects (names or ids) this group is shared with through Neutron RBAC policies (C(access_as_shared)),
            exactly - a policy is created for each project missing and deleted for each project no longer listed.
            V(*) shares the group with every project. V([]) shares it with nobody.
          - When omitted, the group's sharing is left as it is (not managed).
          - Removing a project is refused, before any write, while rules of that project reference the group (as
            far as the credentials see them; an admin sees all), unless O(force_unshare=true).
          - Needs the API extension C(rbac-security-groups); project names are looked up in Keystone (give ids
            when the credentials can not).
        type: list
        elements: str
      rules:
        description:
          - The group's rules, exactly (with O(purge_rules=true)). The order means nothing. V([]) means no rules.
          - When the key is omitted, the group's rules are not managed - left as they are, whatever
            O(purge_rules) says (as openstack.cloud, amazon.aws and Terraform do). A group created without it gets
            what the cloud's default-rule template gives a new group (usually egress allow-all for IPv4 and IPv6),
            kept as it is.
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
              - A protocol name (V(tcp), V(udp), V(icmp), V(ipv6-icmp), V(icmpv6), V(sctp), V(gre), ...), a number
                0-255, or V(any). Omitted means any protocol.
              - On IPv6, V(icmp) and V(1) mean V(ipv6-icmp), as Neutron stores them.
            type: str
          port:
            description:
              - A port (V(22)) or an inclusive range (V(8000-8100), or V(8000:8100) as the openstack CLI writes it)
                for tcp, udp, sctp, dccp and udplite. Omitted means all ports; V(1-65535) means the same.
            type: str
          port_range_min:
            description:
              - First port (openstack.cloud's spelling, so rule lists written for it work unchanged). V(-1) together
                with C(port_range_max=-1) means all ports, stored as Neutron stores all ports (V(-1) on one side only
                is refused).
              - For ICMP, the ICMP type (V(-1) for any).
            type: int
          port_range_max:
            description:
              - Last port (V(-1) with C(port_range_min=-1) means all ports). For ICMP, the ICMP code (V(-1) for any).
            type: int
          icmp_type:
            description:
              - ICMP type, for icmp and ipv6-icmp. Checked against the rule's family (IANA's ICMP and ICMPv6 type
                tables) - echo is V(8) on IPv4 but V(128) on IPv6, and a type of the other family is refused with the
                equivalent as hint.
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
              - A group of another project that is shared with this one (see C(shared_with)) is named by a mapping
                with the keys C(name) (the group's name) and C(project) (the project's name or id); the name resolves
                within that project.
            type: raw
          remote_address_group:
            description: An address group (name or id).
            type: str
          description:
            description:
              - The rule's description. Not part of its identity. When omitted, the description is not managed - a
                rule that matches in every other field is kept whatever its description (a new rule gets none).
              - When given (V("") included), it must be exactly that; rules are immutable in Neutron, so a changed
                description replaces the rule.
            type: str
          audit_waive:
            description:
              - Ids of audit findings accepted for this rule (see M(netsec.openstack.security_groups_audit)). Not sent
                to the cloud and not part of the rule.
              - V(icmp-family) accepts an ICMP type of the other family (refused otherwise); an export writes it for
                such rules found in the cloud, so that applying the export changes nothing.
            type: list
            elements: str
notes:
  - At most one of O(groups[].rules[].remote_ip_prefix), O(groups[].rules[].remote_group) and
    O(groups[].rules[].remote_address_group) per rule.
  - Reads the whole scope in a constant number of list calls; a run that changes nothing sends no write request.
seealso:
  - module: netsec.openstack.security_group
"""

EXAMPLES = r"""
- name: Web and bastion tiers, each rule exactly as declared
  netsec.openstack.security_groups:
    cloud: netsec-admin
    address_groups:
      - name: db-clients
        description: App servers
        addresses: [10.0.1.0/24, 10.0.2.7]
    groups:
      - name: web
        description: Public web tier
        tags: [tier=web]
        rules:
          - {protocol: tcp, port: 443, remote_ip_prefix: 0.0.0.0/0}
          - {protocol: tcp, port: 22, remote_group: bastion}
          - {protocol: udp, port: 8000-8100, remote_ip_prefix: [10.0.0.0/8, "fd00::/8"]}
          - {protocol: icmp, ethertype: IPv6}
          - {protocol: tcp, port: 5432, remote_address_group: db-clients}
          - {direction: egress, ethertype: IPv4}
          - {direction: egress, ethertype: IPv6}
      - name: bastion
        rules:
          - {protocol: tcp, port: 22, remote_ip_prefix: 203.0.113.0/24, description: office}
  register: result

- name: Show what was done
  ansible.builtin.debug:
    var: result.plan

- name: Preview only (same plan as a real run), with a before/after diff
  netsec.openstack.security_groups:
    cloud: netsec-admin
    groups:
      - name: web
        rules:
          - {protocol: tcp, port: 443}
  check_mode: true
  diff: true

- name: Tighten the bastion group; refuse if that would cut off SSH or RDP from servers wearing it
  netsec.openstack.security_groups:
    cloud: netsec-admin
    lockout_ports: [22, 3389]
    lockout_guard: fail
    groups:
      - name: bastion
        rules:
          - {protocol: tcp, port: 22, remote_ip_prefix: 203.0.113.0/24}

- name: Manage only the description of a group; its rules (no rules key) are left as they are
  netsec.openstack.security_groups:
    cloud: netsec-admin
    groups:
      - name: legacy
        description: Owned by the platform team

- name: A group with no rules at all (an empty list, not an omitted key)
  netsec.openstack.security_groups:
    cloud: netsec-admin
    groups:
      - name: quarantine
        rules: []

- name: Descriptions - omitted keeps whatever the matching rule has, "" means empty
  netsec.openstack.security_groups:
    cloud: netsec-admin
    groups:
      - name: web
        rules:
          - {protocol: tcp, port: 443}
          - {protocol: tcp, port: "8000:8100", description: ""}
          - {protocol: icmp, ethertype: IPv6, icmp_type: 128}

- name: Remove groups this collection created that are no longer declared
  netsec.openstack.security_groups:
    cloud: netsec-admin
    purge_groups: true
    groups:
      - name: web
        rules:
          - {protocol: tcp, port: 443}

- name: A large declaration kept in a file, read by the module itself (no Ansible templating of thousands of rules)
  netsec.openstack.security_groups:
    cloud: netsec-admin
    declarations_file: "{{ playbook_dir }}/declarations/big-project.yml"
  register: result

- name: The same in a scheduled drift check - the plan and summary only, without listing every rule back
  netsec.openstack.security_groups:
    cloud: netsec-admin
    declarations_file: "{{ playbook_dir }}/declarations/big-project.yml"
    return_groups: false
  check_mode: true
  register: drift

- name: Delete two groups
  netsec.openstack.security_groups:
    cloud: netsec-admin
    state: absent
    groups:
      - name: web
      - name: bastion
"""

RETURN = r"""
changed:
  description: Whether the plan had operations (in check mode, whether it would change anything).
  returned: always
  type: bool
plan:
  description:
    - The ordered operations, the same in check mode and in the real run. Each has C(action) (one of
      create_address_group, update_address_group, create_group, replace_rule, create_rule, delete_rule,
      update_group, delete_group, delete_address_group), the C(group) or C(address_group) name, the C(rule) in the
      declaration's shape where it concerns a rule (for replace_rule also C(old_rule), the rule it replaces, whose
      id is C(id)), the C(id) where known, and the C(reason).
  returned: always
  type: list
  elements: dict
  sample:
    - action: create_rule
      group: web
      group_ref: new:web
      rule: {direction: ingress, ethertype: IPv4, protocol: tcp, port: 22, remote_group: bastion}
      path: groups[0].rules[1]
      reason: declared at groups[0].rules[1]; not present
summary:
  description: Number of operations of each action.
  returned: always
  type: dict
  sample: {create_group: 2, create_rule: 7}
security_groups:
  description:
    - The declared groups as they are after the run (in check mode, as they would be), in the declaration's shape,
      with ids (null for what check mode would create).
    - With O(return_groups=false), only the C(id) and C(name) of each declared group.
  returned: when O(state=present); [] when O(state=absent)
  type: list
  elements: dict
  sample:
    - name: bastion
      id: 4f1c3c2e-0b7c-4d4b-9a53-3d1c8cbb2f10
      description: ""
      stateful: true
      tags: [managed-by=netsec.openstack]
      project_id: 0b1e5c6f9d8e4b7fa1d0c9e8b7a6f5e4
      rules:
        - {id: 9a1e..., direction: ingress, ethertype: IPv4, protocol: tcp, port: 22,
           remote_ip_prefix: 203.0.113.0/24, description: office}
address_groups:
  description:
    - The declared address groups after the run, with ids.
    - With O(return_groups=false), only the C(id) and C(name) of each declared address group.
  returned: when O(state=present); [] when O(state=absent)
  type: list
  elements: dict
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
  description: "Machine-readable: the touched groups before and after (without ids), computed from the plan."
  returned: in diff mode
  type: dict
api_requests:
  description: HTTP requests this run sent (all services, authentication included), by method; C(retried) counts the
    requests repeated after a transient fault (429, 5xx, a dropped connection).
  returned: always
  type: dict
  sample: {total: 3, writes: 1, by_method: {GET: 2, POST: 1}, retried: 0}
retries:
  description: How many requests were repeated after a transient fault (throttling included); the run's warnings say
    which.
  returned: always
  type: int
  sample: 0
quota:
  description:
    - The project's quota details the plan was checked against, with the plan's C(peak) usage, per resource
      (C(security_group), C(security_group_rule)); a C(limit) of -1 means unlimited.
    - Null when the plan creates nothing (the quota is then not read) or the cloud does not tell.
  returned: always
  type: dict
  sample: {security_group_rule: {limit: 100, used: 41, reserved: 0, peak: 47}}
completed:
  description: When the run failed - the operations that were carried out, as the cloud holds them. A replacement
    whose old rule could not be restored is listed here with its C(outcome).
  returned: on failure after a write
  type: list
  elements: dict
not_completed:
  description: When the run failed - the planned operations that were not carried out. A replacement whose old rule
    was restored is listed here with C(restored_id), the id of the restored rule.
  returned: on failure after a write
  type: list
  elements: dict
"""

from ansible_collections.netsec.openstack.plugins.module_utils import _declarations_file_option as declarations_file
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
from ansible_collections.netsec.openstack.plugins.module_utils._reconcile import reconcile

ARGUMENT_SPEC = dict(
    project=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    purge_rules=dict(type="bool", default=True),
    purge_groups=dict(type="bool", default=False),
    force_unshare=dict(type="bool", default=False),
    planned_foreign_groups=dict(
        type="list", elements="dict", default=[], options=dict(name=dict(type="str", required=True), project=dict(type="str", required=True))
    ),
    declarations_file=dict(type="path"),
    return_groups=dict(type="bool", default=True),
    address_groups=dict(type="list", elements="dict", default=[]),
    groups=dict(type="list", elements="dict", default=[]),
)
MUTUALLY_EXCLUSIVE = [("declarations_file", "groups"), ("declarations_file", "address_groups")]
ARGUMENT_SPEC.update(RUN_ARGUMENT_SPEC)
ARGUMENT_SPEC.update(CONCURRENCY_ARGUMENT_SPEC)
ARGUMENT_SPEC.update(LOCKOUT_ARGUMENT_SPEC)


def run(module):
    params = module.params
    declaration = {"groups": params["groups"], "address_groups": params["address_groups"]}
    options = dict((k, params[k]) for k in ("project", "state", "purge_rules", "purge_groups", "force_unshare", "return_groups", "planned_foreign_groups"))
    options.update(run_options(params))
    options.update(lockout_options(params))
    auth = auth_options(params)
    path = params["declarations_file"]
    with declarations_file.errors_name_file(path):
        if path is not None:
            declaration, options["project"], auth["cloud"] = declarations_file.load(path, params["project"], params["cloud"])
        return readable_diff(reconcile(declaration, options, auth, module.check_mode, with_diff=module._diff))


def main():
    module = build_module(ARGUMENT_SPEC, supports_check_mode=True, mutually_exclusive=MUTUALLY_EXCLUSIVE)
    run_module(module, run)


if __name__ == "__main__":
    main()
