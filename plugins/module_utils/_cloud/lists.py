# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SDK calls the reads make, one method each, wrapped by ``cloud_call`` (private).

Every read is repeatable, so every call here is retried after transient
faults; SDK errors come out as ``_errors`` kinds.  ``what`` says what the
caller was reading, in messages and retry notes.  The classes of
``read_*`` build on these; ``reads.Reads`` puts them together.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - reported by the modules
    sdk_exceptions = None

from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls as calls_module
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.calls import cloud_call


class Lists(object):
    """The read calls of one run, over one connection."""

    def __init__(self, connection, calls=None):
        self.conn = connection
        self.calls = calls or calls_module.Calls()

    @cloud_call("{what}")
    def network_json(self, what, path):
        """A raw GET on the network API, decoded (for what openstacksdk has no call for)."""
        response = self.conn.network.get(path, raise_exc=False)
        if response.status_code >= 400:
            sdk_exceptions.raise_from_response(response)
        return response.json()

    @cloud_call("looking up project {project!r}")
    def find_project(self, project):
        return self.conn.identity.find_project(project, ignore_missing=True)

    @cloud_call("listing projects")
    def list_projects(self):
        return list(self.conn.identity.projects())

    @cloud_call("reading the network API's extension list")
    def list_extensions(self):
        return list(self.conn.network.extensions())

    @cloud_call("reading the default security group rule templates")
    def list_default_rule_templates(self):
        return list(self.conn.network.default_security_group_rules())

    @cloud_call("{what}")
    def list_network(self, resource, what, **query):
        """``list(connection.network.<resource>(**query))``: resource is one of openstacksdk's network list calls
        (security_groups, security_group_rules, address_groups, ports, networks, rbac_policies)."""
        return list(getattr(self.conn.network, resource)(**query))

    @cloud_call("looking up address group {address_group_id}")
    def get_address_group(self, address_group_id):
        return self.conn.network.get_address_group(address_group_id)

    @cloud_call("{what}")
    def list_servers(self, what, project_id):
        """Servers of a project (None: of every project, for an admin)."""
        if project_id is None:
            return list(self.conn.compute.servers(details=True, all_projects=True))
        if project_id == self.conn.current_project_id:
            return list(self.conn.compute.servers(details=True))
        return list(self.conn.compute.servers(details=True, all_projects=True, project_id=project_id))

    @cloud_call("looking up server {server_id}")
    def get_server(self, server_id):
        return self.conn.compute.get_server(server_id)
