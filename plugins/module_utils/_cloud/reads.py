# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads: what the planners need, in a constant number of list calls; plain dicts out (private).

``Reads`` puts together the SDK calls (``lists``: one ``cloud_call``-wrapped
method per call, retried after transient faults, SDK errors translated into
``_errors`` kinds) and the reads by subject: the project and the cloud
(``read_project``: scope, quotas, extensions, templates), groups and address
groups (``read_groups``), usage (``read_usage``), sharing (``read_sharing``)
and servers (``read_servers``).  The plain dicts are ``dicts``'.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import address_group_dict, group_dict, port_dict, server_dict
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.lists import Lists
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.read_groups import GroupReads
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.read_project import ProjectReads
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.read_servers import ServerReads
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.read_sharing import SharingReads
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.read_usage import UsageReads


class Reads(Lists, ProjectReads, GroupReads, UsageReads, SharingReads, ServerReads):
    """The reads of one run."""

    def observe_inventory(self, project_id=None, with_servers=True, with_sharing=False):
        """The live state of a scope as plain dicts, in a constant number of list calls.

        ``project_id`` None means every project the credentials can see (all of them for an
        admin).  Returns {groups (with rules), address_groups, ports, servers, networks}.
        """
        query = {} if project_id is None else {"project_id": project_id}
        groups = [group_dict(g) for g in self.list_network("security_groups", "listing security groups", **query)]
        address_groups = [address_group_dict(a) for a in self.list_network("address_groups", "listing address groups", **query)]
        ports = self.list_network("ports", "listing ports", **query)
        networks = dict((n.id, n.name) for n in self.list_network("networks", "listing networks"))
        inventory = {
            "project_id": project_id,
            "groups": groups,
            "address_groups": address_groups,
            "ports": [port_dict(p, networks) for p in ports],
            "servers": self._inventory_servers(project_id) if with_servers else [],
        }
        if with_sharing:  # the export writes shared_with back (one list call)
            inventory["rbac"] = self.sharing_policies(set(g["id"] for g in groups) | set(a["id"] for a in address_groups))
        return inventory

    def _inventory_servers(self, project_id):
        """The scope's servers; the credentials' own project's when they may not list other projects'."""
        try:
            listed = self.list_servers("listing servers", project_id)
        except errors.Forbidden:
            listed = self.list_servers("listing servers", self.conn.current_project_id)
        return [server_dict(s) for s in listed]
