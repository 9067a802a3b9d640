# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads of servers: their ports, the ports' networks and the groups involved (private).

What ``server_security_groups`` plans with, in a constant number of list calls.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import looks_like_id, port_dict, rule_dict, server_dict, stateful_of


def attachment_group_dict(group):
    return {
        "id": group.id,
        "name": group.name,
        "project_id": group.project_id,
        "stateful": stateful_of(group),
        "shared": bool(getattr(group, "is_shared", False)),
        # The lockout guard of server_security_groups (Neutron lists groups with their rules).
        "rules": [rule_dict(rule) for rule in group.security_group_rules or []],
    }


class ServerReads(object):
    """Needs ``Lists``' calls (``reads.Reads`` puts them together)."""

    def observe_attachments(self, project_id, servers):
        """Servers, their ports and the groups involved, in a constant number of list calls."""
        found = self._servers_named(project_id, servers)
        wanted_ids = set()
        for entry in servers:
            for server in found:
                if entry["server"] in (server["id"], server["name"]):
                    wanted_ids.add(server["id"])
        ports = []
        if wanted_ids:
            ports = self.list_network("ports", "listing ports of the servers", device_id=sorted(wanted_ids))
        network_names = self._network_names(sorted(set(p.network_id for p in ports)))
        port_dicts = [port_dict(p, network_names) for p in ports]
        projects = sorted(set([project_id] + [s["project_id"] for s in found if s["id"] in wanted_ids and s["project_id"]]))
        groups = self._groups_involved(projects, servers, port_dicts)
        return {"servers": found, "ports": port_dicts, "groups": [attachment_group_dict(g) for g in groups.values()]}

    def _servers_named(self, project_id, servers):
        """The project's servers, and the servers of other projects that entries name by id."""
        listed = self.list_servers("listing servers of project %s" % project_id, project_id)
        found = [server_dict(s, project_id) for s in listed]
        known = set(s["id"] for s in found) | set(s["name"] for s in found)
        for entry in servers:
            ref = entry["server"]
            if ref not in known and looks_like_id(ref):
                try:
                    found.append(server_dict(self.get_server(ref)))
                except errors.NotFound:
                    continue
        return found

    def _network_names(self, network_ids):
        """{network id: name} of these networks."""
        network_names = {}
        if network_ids:
            for network in self.list_network("networks", "listing networks of the servers' ports", id=network_ids):
                network_names[network.id] = network.name
            if set(network_ids) - set(network_names):
                # openstacksdk 4.5 has no 'id' query filter for networks: it filters on
                # the client and finds nothing (4.22 sends it to Neutron). List them all.
                for network in self.list_network("networks", "listing networks"):
                    network_names[network.id] = network.name
        return network_names

    def _groups_involved(self, projects, servers, port_dicts):
        """{id: SDK group} of the projects' groups, of the groups entries name by id and of those ports wear."""
        groups = {}
        for project in projects:
            for group in self.list_network("security_groups", "listing security groups of project %s" % project, project_id=project):
                groups[group.id] = group
        extra = set()
        for entry in servers:
            for ref in entry.get("security_groups") or []:
                if looks_like_id(ref) and ref not in groups:
                    extra.add(ref)
        for port in port_dicts:
            extra.update(g for g in port["security_group_ids"] if g not in groups)
        if extra:
            for group in self.list_network("security_groups", "looking up security groups by id", id=sorted(extra)):
                groups[group.id] = group
        return groups
