# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_attachments
short_description: Build the servers list of netsec.openstack.server_security_groups from inventory hosts
version_added: 0.1.0
description:
  - For each host that sets C(fleet_server_security_groups), one entry C({server, security_groups, mode, ports}) with the
    server name from C(fleet_server_name) (default the inventory hostname), C(fleet_server_mode) (default V(exact)) and
    C(fleet_server_ports) (default V(all)).
  - Hosts without C(fleet_server_security_groups) are left out, so their servers are not touched.
author:
  - netsec.openstack contributors (@netsec)
options:
  _input:
    description: The inventory hostnames, usually C(ansible_play_hosts).
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) mapping.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: One batched call for the whole play
  netsec.openstack.server_security_groups:
    cloud: netsec-admin
    servers: "{{ ansible_play_hosts | netsec.openstack.fleet_attachments(hostvars) }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The servers list, in host order.
  type: list
  elements: dict
"""


def fleet_attachments(hosts, hostvars):
    servers = []
    for host in hosts or []:
        variables = hostvars[host] if host in hostvars else {}
        groups = variables.get("fleet_server_security_groups")
        if groups is None:
            continue
        servers.append(
            {
                "server": variables.get("fleet_server_name") or host,
                "security_groups": list(groups),
                "mode": variables.get("fleet_server_mode") or "exact",
                "ports": variables.get("fleet_server_ports") or "all",
            }
        )
    return servers


class FilterModule(object):
    def filters(self):
        return {"fleet_attachments": fleet_attachments}
