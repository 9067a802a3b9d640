#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: effective_access
short_description: Who can reach a server - the merged policy of its security groups, and yes/no answers
version_added: 0.1.0
description:
  - Computes the effective ingress (or egress) policy of a server - the union of the rules of every security group its
    ports wear - merged per direction, ethertype and protocol into port ranges, each with the sources that may use it and
    the rules that admit each source.
  - Live (O(server) with the connection options), remote-group sources are expanded to the addresses of the ports that
    wear the remote group, keeping the group's name. Offline (O(declarations), before anything is applied), they stay
    symbolic.
  - Optionally answers a question - "can 203.0.113.7 reach tcp/22 on web-1?" (O(source), O(protocol), O(port)) with
    RV(allowed) and every rule that allows it (RV(matching_rules)); "what can reach web-1 on udp?" (O(protocol) alone)
    lists the sources.
  - Only reads; never changes the cloud.
author:
  - netsec.openstack contributors (@netsec)
extends_documentation_fragment:
  - netsec.openstack.openstack
  - netsec.openstack.attributes.INFO_MODULE
options:
  server:
    description:
      - Live - name or id of a server of the project (or the id of one port). Its ports' groups are merged.
      - With O(declarations) - the name of a server in the declarations file's C(servers) list; it wears the groups of its
        entries (entries with C(mode=remove) take groups off).
      - Mutually exclusive with O(security_groups).
    type: str
  security_groups:
    description:
      - Offline - the names of groups declared in O(declarations) that a server would wear. Needs O(declarations).
    type: list
    elements: str
  declarations:
    description:
      - A declarations file as a mapping - C(groups) and C(address_groups) as the M(netsec.openstack.security_groups) module
        takes them, an optional C(servers) list (C({server, security_groups, mode, ports})) and an optional C(project).
      - When given, nothing is read from the cloud.
    type: dict
  direction:
    description:
      - Which policy to compute - traffic the server receives (V(ingress)) or sends (V(egress)). For V(egress), O(source)
        is the destination.
    type: str
    choices: [ingress, egress]
    default: ingress
  source:
    description:
      - The question's source (the destination for O(direction=egress)) - an IP address or a CIDR, or the name of a
        security group meaning "a server wearing that group".
      - A CIDR is allowed only when every address of it is admitted; rules that admit part of it are listed with
        C(coverage=partial).
    type: str
  protocol:
    description:
      - The question's protocol - a name (V(tcp), V(udp), V(icmp)...) or a number. Omitted, any protocol.
    type: str
  port:
    description:
      - The question's port (for V(icmp), the ICMP type). Omitted, any port.
    type: int
  project:
    description:
      - Live - name or id of the project of the server; defaults to the project of the credentials.
    type: str
notes:
  - Rules for any protocol count for every protocol. A rule's remote group admits the fixed IPs of the ports wearing the
    group; addresses added to those ports as allowed address pairs are not included.
  - Groups referenced by id from another project, and undeclared address groups offline, stay symbolic - the rules they
    take part in are listed in RV(undetermined_rules).
  - See C(docs/access-and-audit.md) in the collection for the exact merging rules.
seealso:
  - module: netsec.openstack.security_groups_audit
  - module: netsec.openstack.server_security_groups
"""

EXAMPLES = r"""
- name: Can 203.0.113.7 reach tcp/22 on web-1?
  netsec.openstack.effective_access:
    cloud: netsec-admin
    server: web-1
    source: 203.0.113.7
    protocol: tcp
    port: 22
  register: ssh

- name: Show the answer
  ansible.builtin.debug:
    msg: "{{ ssh.answer }}"   # yes: 203.0.113.7 can reach tcp/22 on web-1 (ssh ingress/IPv4/tcp/22/any)

- name: What can reach web-1 on udp?
  netsec.openstack.effective_access:
    cloud: netsec-admin
    server: web-1
    protocol: udp
  register: udp

- name: Before anything is applied - db-1 as the declarations file says
  netsec.openstack.effective_access:
    declarations: "{{ lookup('ansible.builtin.file', 'declarations/example.yml') | from_yaml }}"
    security_groups: [db, bastion]
    source: 0.0.0.0/0
    protocol: tcp
    port: 5432
  register: db_world
"""

RETURN = r"""
mode:
  description: V(live) or V(declarations).
  returned: always
  type: str
target:
  description: What was examined - C(kind) (V(server), V(port) or V(declaration)), C(name) and, live, C(id).
  returned: always
  type: dict
security_groups:
  description: The names of the groups whose rules were merged.
  returned: always
  type: list
  elements: str
direction:
  description: The direction computed.
  returned: always
  type: str
policy:
  description:
    - The merged rules - one entry per direction, ethertype, protocol and port range where the same sources are
      admitted, with C(direction), C(ethertype), C(protocol) (V(any) for any-protocol rules), C(ports) (V(all), C(22),
      C(8000-8099), C(type 8) for ICMP), C(port_min), C(port_max), C(sources), C(addresses) (the known addresses of all
      sources, collapsed) and C(unresolved) (symbolic sources).
    - Each source has C(kind) (V(cidr), V(remote_group), V(address_group)), C(source) (a CIDR or a name), C(addresses)
      (null when unknown) and C(rules) (C(group), C(rule) in the canonical text form and the rule C(id) or the declaration
      C(path)).
  returned: always
  type: list
  elements: dict
  sample:
    - direction: ingress
      ethertype: IPv4
      protocol: tcp
      ports: "21"
      port_min: 21
      port_max: 21
      addresses: [0.0.0.0/0]
      unresolved: []
      sources:
        - kind: cidr
          source: 0.0.0.0/0
          addresses: [0.0.0.0/0]
          rules: [{group: A, rule: ingress/IPv4/tcp/21/any, id: 5e1b0f3c-0c5e-4d7e-9a59-2f0e6b3d8a11}]
policy_text:
  description: The policy, one readable line per entry.
  returned: always
  type: list
  elements: str
  sample: ["ingress IPv4 tcp/21 from 0.0.0.0/0", "ingress IPv4 udp from group B (10.250.0.17/32)"]
ports:
  description: Live - the target's ports with C(id), C(name), C(fixed_ips), C(network), C(port_security_enabled),
    C(security_groups) and, when a question is asked, C(allowed) for that port.
  returned: live
  type: list
  elements: dict
allowed:
  description: Whether the rules admit the question's whole source for the protocol and port (on some port of the server).
  returned: when O(source), O(protocol) or O(port) is given
  type: bool
matching_rules:
  description:
    - Every rule that admits the question's traffic, each in the declaration's shape with C(group), C(text) (canonical
      form), C(id) (live) or C(path) (declarations), C(source) and C(coverage) (V(full) or V(partial)).
  returned: when O(source), O(protocol) or O(port) is given
  type: list
  elements: dict
undetermined_rules:
  description: Rules whose symbolic source (a remote group offline, an unknown address group) might admit the source.
  returned: when O(source), O(protocol) or O(port) is given
  type: list
  elements: dict
sources:
  description: The distinct sources of RV(matching_rules).
  returned: when O(source), O(protocol) or O(port) is given
  type: list
  elements: str
answer:
  description: The answer in one sentence, with the rules that decide it.
  returned: when O(source), O(protocol) or O(port) is given
  type: str
  sample: "no: 203.0.113.7 can not reach tcp/4443 on web-1; no rule admits it"
project_id:
  description: Live - the project examined.
  returned: live
  type: str
api_requests:
  description: Live - HTTP requests this run sent, by method (reads only).
  returned: live
  type: dict
"""

from ansible_collections.netsec.openstack.plugins.module_utils._inspect import (
    InspectError,
    effective_access_live,
    effective_access_offline,
)
from ansible_collections.netsec.openstack.plugins.module_utils._module import (
    auth_options,
    build_module,
    run_module,
)

ARGUMENT_SPEC = dict(
    server=dict(type="str"),
    security_groups=dict(type="list", elements="str"),
    declarations=dict(type="dict"),
    direction=dict(type="str", default="ingress", choices=["ingress", "egress"]),
    source=dict(type="str"),
    protocol=dict(type="str"),
    port=dict(type="int"),
    project=dict(type="str"),
)


def run(module):
    try:
        if module.params["declarations"] is not None:
            return effective_access_offline(module.params)
        return effective_access_live(module.params, auth_options(module.params))
    except InspectError as exc:
        module.fail_json(msg=str(exc), changed=False)


def main():
    module = build_module(
        ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("server", "security_groups")],
        required_one_of=[("server", "security_groups")],
        required_by={"security_groups": "declarations"},
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
