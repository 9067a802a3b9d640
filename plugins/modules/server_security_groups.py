#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: server_security_groups
short_description: Make servers wear exactly the declared security groups
version_added: 0.1.0
description:
  - Sets which security groups servers wear, through their Neutron ports - one update per port carrying the full new
    list, which is atomic per port and cheaper than one Nova action per group.
  - A server wearing several groups gets the union of their rules.
  - One task can handle a whole fleet with O(servers); reads are batched (servers, their ports, the groups) in a
    constant number of list calls.
  - Everything is resolved and checked before any change - unknown or ambiguous servers and groups, ports with port
    security disabled, groups of another project the port can not use, stateful and stateless groups mixed on one port.
  - The lockout guard refuses, before any change and in check mode too, a change that leaves a server with no
    security group at all, or with no group admitting a port of O(lockout_ports) that some group admitted before
    (see O(lockout_guard)).
  - In check mode, groups that the same play creates (O(planned_groups)) are valid targets although they do not
    exist yet, so the plan of a change that adds a group and attaches it runs through.
author:
  - netsec.openstack contributors (@netsec)
extends_documentation_fragment:
  - netsec.openstack.openstack
  - netsec.openstack.attributes
  - netsec.openstack.run_options
options:
  server:
    description:
      - Name or id of one server. An ambiguous name fails listing the candidates.
      - Mutually exclusive with O(servers).
    type: str
  security_groups:
    description:
      - Names or ids of the groups, resolved in the server's project. Unknown ones fail before any change.
      - Required with O(server).
    type: list
    elements: str
  mode:
    description:
      - V(exact) - the server wears exactly these groups; V(add) - these are added to what it wears; V(remove) -
        these are taken off.
    type: str
    choices: [exact, add, remove]
    default: exact
  ports:
    description:
      - V(all) ports of the server, or a list of port ids, port names, fixed IPs or network names or ids to restrict
        the change to some interfaces (so a server with several interfaces can wear different groups on each).
    type: raw
    default: all
  servers:
    description:
      - Several servers at once; each item takes the keys C(server), C(security_groups), C(mode) and C(ports) with the
        meanings above (C(mode) defaults to V(exact), C(ports) to V(all)).
    type: list
    elements: dict
  project:
    description:
      - Name or id of the project whose servers are listed; defaults to the project of the credentials.
    type: str
  planned_groups:
    description:
      - Names of security groups that the same play declares (and creates, with M(netsec.openstack.security_groups),
        before this task). In check mode nothing has been created, so a listed name that does not exist yet is a
        valid target there - the plan reports C(would attach NAME (created by this plan)) and the run ends without
        error and without any write. A listed name that exists is resolved as usual.
      - In a real run the groups must exist by then; one that does not fails before any change, with a message
        saying that the task creating it must run first.
      - The lockout guard can not judge the rules of a group that does not exist yet; in check mode it warns, and the
        real run judges the group as created.
    type: list
    elements: str
    default: []
  lockout_ports:
    description:
      - TCP ports the lockout guard protects. A server is cut off from port P when some group its ports wear (or a
        port with port security disabled) admitted tcp/P before the change and none does after it. The server is
        judged as a whole - a port that keeps a group admitting P keeps it reachable.
      - A rule admits tcp/P when it is ingress, its protocol is tcp or any, and its port range covers P, whatever its
        source and ethertype.
      - An empty list checks only that a server keeps some group.
    type: list
    elements: int
    default: [22]
  lockout_guard:
    description:
      - What to do when the change leaves a server with no security group on any port (Neutron then drops all its
        traffic; O(security_groups=[]) in V(exact) mode does that), or cuts it off from a port of O(lockout_ports).
      - V(fail) - refuse before any change (in check mode too), naming the server, the port and the groups it would
        wear. This is the default; unlike M(netsec.openstack.security_groups), where a lockout is a side effect of
        editing rules, here it is the change itself.
      - V(warn) - carry on, with a loud warning naming the same. V(ignore) - do not check.
    type: str
    choices: [warn, fail, ignore]
    default: fail
notes:
  - Groups given by name are looked up in the server's project; groups shared from other projects can be given by id.
seealso:
  - module: netsec.openstack.security_groups
"""

EXAMPLES = r"""
- name: web-1 wears exactly default and web
  netsec.openstack.server_security_groups:
    cloud: netsec-admin
    server: web-1
    security_groups: [default, web]

- name: A fleet in one task
  netsec.openstack.server_security_groups:
    cloud: netsec-admin
    servers:
      - {server: web-1, security_groups: [web, ssh]}
      - {server: web-2, security_groups: [web, ssh]}
      - {server: db-1, security_groups: [db, ssh]}

- name: Only the interface on the management network gets ssh
  netsec.openstack.server_security_groups:
    cloud: netsec-admin
    server: db-1
    security_groups: [ssh]
    ports: [mgmt-net]

- name: Plan (check mode) a group and its attachment that the same play creates
  netsec.openstack.server_security_groups:
    cloud: netsec-admin
    server: web-1
    security_groups: [default, newweb]
    planned_groups: [newweb]

- name: Deliberately leave a server without any group (the lockout guard refuses it otherwise)
  netsec.openstack.server_security_groups:
    cloud: netsec-admin
    server: quarantined-1
    security_groups: []
    lockout_guard: warn

- name: Take the debug group off, leave the rest
  netsec.openstack.server_security_groups:
    cloud: netsec-admin
    server: web-1
    security_groups: [debug]
    mode: remove
"""

RETURN = r"""
changed:
  description: Whether any port's groups changed (in check mode, would change).
  returned: always
  type: bool
plan:
  description:
    - One C(update_port) operation per port whose groups change, with C(server), C(port), C(before) and C(after) (group
      names), C(created_by_plan) (groups of O(planned_groups) it attaches before they exist, check mode only) and the
      C(reason); the same in check mode and in the real run.
  returned: always
  type: list
  elements: dict
lockouts:
  description:
    - Servers the change cuts off (with O(lockout_guard=warn)); C(kind) is C(no_group) (no group on any port) or
      C(port) (C(ports) lists the guarded ports lost); C(message) says which groups each port would wear.
  returned: always
  type: list
  elements: dict
servers:
  description:
    - Each server after the run (as it would be, in check mode) - its C(ports) with the groups each wears, and
      C(security_groups), the union.
  returned: always
  type: list
  elements: dict
  sample:
    - server: web-1
      id: 1b0e2a84-6c1c-4e3a-9d51-2a1f0c9f7e11
      security_groups: [default, web]
      ports:
        - {id: 7c1..., name: "", fixed_ips: [10.250.0.12], network: netsec-net, security_groups: [default, web]}
project_id:
  description: The project whose servers were listed.
  returned: always
  type: str
diff:
  description:
    - One item per port whose groups change, sorted by server and port - C(before_header)/C(after_header) name the
      server and the port, C(before)/C(after) list the groups it wears, one per line - so Ansible shows a unified diff.
  returned: in diff mode
  type: list
  elements: dict
diff_data:
  description: The servers before and after (as in RV(servers)), machine-readable.
  returned: in diff mode
  type: dict
api_requests:
  description: HTTP requests this run sent, by method.
  returned: always
  type: dict
"""

from ansible_collections.netsec.openstack.plugins.module_utils._module import (
    RUN_ARGUMENT_SPEC,
    auth_options,
    build_module,
    run_module,
    run_options,
)
from ansible_collections.netsec.openstack.plugins.module_utils._reconcile_attachments import (
    DEFAULT_LOCKOUT_GUARD,
    reconcile_attachments,
)

ARGUMENT_SPEC = dict(
    server=dict(type="str"),
    security_groups=dict(type="list", elements="str"),
    mode=dict(type="str", default="exact", choices=["exact", "add", "remove"]),
    ports=dict(type="raw", default="all"),
    servers=dict(type="list", elements="dict"),
    project=dict(type="str"),
    planned_groups=dict(type="list", elements="str", default=[]),
    lockout_ports=dict(type="list", elements="int", default=[22]),
    lockout_guard=dict(type="str", default=DEFAULT_LOCKOUT_GUARD, choices=["warn", "fail", "ignore"]),
)
ARGUMENT_SPEC.update(RUN_ARGUMENT_SPEC)


def run(module):
    params = module.params
    if params["servers"] is not None:
        servers = params["servers"]
    else:
        servers = [{"server": params["server"], "security_groups": params["security_groups"], "mode": params["mode"], "ports": params["ports"]}]
    options = dict(
        run_options(params),
        project=params["project"],
        planned_groups=params["planned_groups"],
        lockout_ports=params["lockout_ports"],
        lockout_guard=params["lockout_guard"],
    )
    result = reconcile_attachments(servers, options, auth_options(params), module.check_mode)
    if not module._diff:
        result.pop("diff")
        result.pop("diff_data")
    return result


def main():
    module = build_module(
        ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("server", "servers")],
        required_one_of=[("server", "servers")],
        required_together=[("server", "security_groups")],
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
