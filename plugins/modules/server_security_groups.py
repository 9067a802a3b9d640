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
      names) and the C(reason); the same in check mode and in the real run.
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
  description: The servers before and after.
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
from ansible_collections.netsec.openstack.plugins.module_utils._reconcile import reconcile_attachments

ARGUMENT_SPEC = dict(
    server=dict(type="str"),
    security_groups=dict(type="list", elements="str"),
    mode=dict(type="str", default="exact", choices=["exact", "add", "remove"]),
    ports=dict(type="raw", default="all"),
    servers=dict(type="list", elements="dict"),
    project=dict(type="str"),
)
ARGUMENT_SPEC.update(RUN_ARGUMENT_SPEC)


def run(module):
    params = module.params
    if params["servers"] is not None:
        servers = params["servers"]
    else:
        servers = [{"server": params["server"], "security_groups": params["security_groups"],
                    "mode": params["mode"], "ports": params["ports"]}]
    options = dict(run_options(params), project=params["project"])
    result = reconcile_attachments(servers, options, auth_options(params), module.check_mode)
    if not module._diff:
        result.pop("diff")
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
