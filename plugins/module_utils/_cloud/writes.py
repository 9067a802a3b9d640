# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes: one method per write the executor makes; plain dicts in and out (private).

Each method's body is the SDK call; ``cloud_call`` (``calls``) wraps it:
repeatable writes (deletes that treat 404 as done, PUTs of a whole value,
rule creates whose repeat is refused as a duplicate) are retried after
transient faults; group and address group creates are not (the executor
looks for the result of a lost create before it repeats it).  SDK errors
come out as ``_errors`` kinds (``DuplicateRule`` naming the existing rule,
``OverQuota``, ``InUse``, ...).  ``tests/unit/fake_cloud.py`` implements the
same methods in memory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from openstack import exceptions as sdk_exceptions
    from openstack.network.v2 import address_group as sdk_address_group
    from openstack.network.v2 import security_group as sdk_security_group
except ImportError:  # pragma: no cover - reported by the modules
    sdk_exceptions = sdk_address_group = sdk_security_group = None

from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls as calls_module
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.calls import cloud_call
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import address_group_dict, group_dict, policy_dict, rule_dict


class Writes(object):
    """The writes of one run."""

    def __init__(self, connection, calls=None):
        self.conn = connection
        self.calls = calls or calls_module.Calls()

    def _post(self, path, body):
        """A raw POST that keystoneauth never re-sends by itself; returns the decoded answer."""
        response = self.conn.network.post(path, json=body, raise_exc=False, connect_retries=0)
        if response.status_code >= 400:
            sdk_exceptions.raise_from_response(response)
        return response.json()

    # --- security groups ------------------------------------------------------

    @cloud_call("creating security group {body[name]}", retry=False)
    def create_group(self, body):
        """POST one group, once; returns it with its template rules as ``rules``."""
        created = self._post("/security-groups", {"security_group": body})["security_group"]
        created["rules"] = [rule_dict(r) for r in created.get("security_group_rules") or created.get("rules") or []]
        return created

    @cloud_call("listing security groups named {names}")
    def groups_named(self, project_id, names):
        return [group_dict(g) for g in self.conn.network.security_groups(project_id=project_id, name=sorted(names))]

    @cloud_call("tagging security group {name}")
    def set_group_tags(self, group_id, tags, name):
        self.conn.network.set_tags(sdk_security_group.SecurityGroup(id=group_id), list(tags))

    @cloud_call("updating security group {name}")
    def update_group(self, group_id, attributes, name):
        self.conn.network.update_security_group(group_id, **attributes)

    @cloud_call("deleting security group {name} ({group_id})")
    def delete_group(self, group_id, name):
        self.conn.network.delete_security_group(group_id, ignore_missing=True)

    # --- rules ----------------------------------------------------------------

    @cloud_call("creating rules in group {group_name}")
    def create_rules(self, bodies, group_name):
        """One bulk POST (Neutron makes all or none); retried: a repeat of a lost success is a duplicate."""
        answer = self._post("/security-group-rules", {"security_group_rules": bodies})
        return [rule_dict(r) for r in answer["security_group_rules"]]

    @cloud_call("{what}")
    def create_rule(self, body, what):
        return rule_dict(self._post("/security-group-rules", {"security_group_rule": body})["security_group_rule"])

    @cloud_call("{what}")
    def delete_rule(self, rule_id, what):
        self.conn.network.delete_security_group_rule(rule_id, ignore_missing=True)

    # --- address groups -------------------------------------------------------

    @cloud_call("creating address group {body[name]}", retry=False)
    def create_address_group(self, body):
        return self._post("/address-groups", {"address_group": body})["address_group"]

    @cloud_call("listing address groups named {name}")
    def address_groups_named(self, project_id, name):
        return [address_group_dict(a) for a in self.conn.network.address_groups(project_id=project_id, name=name)]

    @cloud_call("changing the addresses of address group {name}", retry=False)
    def change_addresses(self, address_group_id, add, remove, name):
        """Adding or removing addresses is not repeatable (a second add is refused): no retries."""
        resource = sdk_address_group.AddressGroup(id=address_group_id)
        if add:
            self.conn.network.add_addresses_to_address_group(resource, list(add))
        if remove:
            self.conn.network.remove_addresses_from_address_group(resource, list(remove))

    @cloud_call("updating address group {name}")
    def update_address_group(self, address_group_id, attributes, name):
        self.conn.network.update_address_group(address_group_id, **attributes)

    @cloud_call("deleting address group {name} ({address_group_id})")
    def delete_address_group(self, address_group_id, name):
        self.conn.network.delete_address_group(address_group_id, ignore_missing=True)

    # --- sharing (RBAC policies) -------------------------------------------------

    @cloud_call("sharing {object_type} {name} with project {target_project}", retry=False)
    def create_rbac_policy(self, object_type, object_id, target_project, name, project_id=None):
        """Not repeated after a fault: a repeat of a lost success is a 409 (the kind keeps the existing policy).
        ``project_id``: the owner of the policy (the object's project, also when an admin makes it)."""
        attributes = dict(object_type=object_type, object_id=object_id, action="access_as_shared", target_project_id=target_project)
        if project_id:
            attributes["project_id"] = project_id
        return policy_dict(self.conn.network.create_rbac_policy(**attributes))

    @cloud_call("looking for the sharing policy of {object_type} {object_id} for project {target_project}")
    def rbac_policy_of(self, object_type, object_id, target_project):
        """The access_as_shared policy of one object for one target (None: there is none), to find what a lost
        create made or what a 409 names."""
        for policy in self.conn.network.rbac_policies(object_id=object_id, object_type=object_type, action="access_as_shared"):
            if policy.target_project_id == target_project:
                return policy_dict(policy)
        return None

    @cloud_call("deleting the sharing policy {policy_id} of {what}")
    def delete_rbac_policy(self, policy_id, what):
        self.conn.network.delete_rbac_policy(policy_id, ignore_missing=True)

    # --- ports ------------------------------------------------------------------

    @cloud_call("{what}")
    def set_port_groups(self, port_id, group_ids, what):
        """A PUT of the whole list: safe to repeat."""
        self.conn.network.update_port(port_id, security_group_ids=list(group_ids))
