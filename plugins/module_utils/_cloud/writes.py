# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes: one method per write the executor makes; plain dicts in and out (private).

Each goes through ``Calls.call``: repeatable writes (deletes that treat
404 as done, PUTs of a whole value, rule creates whose repeat is refused
as a duplicate) are retried after transient faults; group creates are not
(the executor looks for the result of a lost create before it repeats it).
SDK errors come out as ``_errors`` kinds (``DuplicateRule`` naming the
existing rule, ``OverQuota``, ``InUse``, ...).  ``tests/unit/fake_cloud.py``
implements the same methods in memory.
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
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.reads import address_group_dict, group_dict, rule_dict


class Writes(object):
    """The writes of one run."""

    def __init__(self, connection, calls=None):
        self.conn = connection
        self.calls = calls or calls_module.Calls()

    def _post(self, path, body, what):
        """A raw POST that keystoneauth never re-sends by itself; returns the decoded answer."""
        response = self.conn.network.post(path, json=body, raise_exc=False, connect_retries=0)
        if response.status_code >= 400:
            sdk_exceptions.raise_from_response(response)
        return response.json()

    # --- security groups ------------------------------------------------------

    def create_group(self, body):
        """POST one group, once (no retry); returns it with its template rules."""
        what = "creating security group %s" % body["name"]
        created = self.calls.call(what, lambda: self._post("/security-groups", {"security_group": body}, what),
                                  retry=False)["security_group"]
        created["rules"] = [rule_dict(r) for r in created.get("security_group_rules") or created.get("rules") or []]
        return created

    def groups_named(self, project_id, names):
        """The project's groups of these names (a read)."""
        return [group_dict(g) for g in self.calls.call(
            "listing security groups named %s" % ", ".join(sorted(names)),
            lambda: list(self.conn.network.security_groups(project_id=project_id, name=sorted(names))))]

    def set_group_tags(self, group_id, tags, name):
        self.calls.call("tagging security group %s" % name, lambda: self.conn.network.set_tags(
            sdk_security_group.SecurityGroup(id=group_id), list(tags)))

    def update_group(self, group_id, attributes, name):
        self.calls.call("updating security group %s" % name,
                        lambda: self.conn.network.update_security_group(group_id, **attributes))

    def delete_group(self, group_id, name):
        self.calls.call("deleting security group %s (%s)" % (name, group_id),
                        lambda: self.conn.network.delete_security_group(group_id, ignore_missing=True))

    # --- rules ----------------------------------------------------------------

    def create_rules(self, bodies, group_name):
        """One bulk POST (Neutron makes all or none); retried: a repeat of a lost success is a duplicate."""
        what = "creating %d rule(s) in group %s" % (len(bodies), group_name)
        answer = self.calls.call(what, lambda: self._post("/security-group-rules", {"security_group_rules": bodies},
                                                          what))
        return [rule_dict(r) for r in answer["security_group_rules"]]

    def create_rule(self, body, what):
        answer = self.calls.call(what, lambda: self._post("/security-group-rules", {"security_group_rule": body}, what))
        return rule_dict(answer["security_group_rule"])

    def delete_rule(self, rule_id, what):
        self.calls.call(what, lambda: self.conn.network.delete_security_group_rule(rule_id, ignore_missing=True))

    # --- address groups -------------------------------------------------------

    def create_address_group(self, body):
        what = "creating address group %s" % body["name"]
        return self.calls.call(what, lambda: self._post("/address-groups", {"address_group": body}, what),
                               retry=False)["address_group"]

    def address_groups_named(self, project_id, name):
        return [address_group_dict(a) for a in self.calls.call(
            "listing address groups named %s" % name,
            lambda: list(self.conn.network.address_groups(project_id=project_id, name=name)))]

    def change_addresses(self, address_group_id, add, remove, name):
        """Adding or removing addresses is not repeatable (a second add is refused): no retries."""
        resource = sdk_address_group.AddressGroup(id=address_group_id)
        if add:
            self.calls.call("adding addresses to address group %s" % name,
                            lambda: self.conn.network.add_addresses_to_address_group(resource, list(add)), retry=False)
        if remove:
            self.calls.call("removing addresses from address group %s" % name,
                            lambda: self.conn.network.remove_addresses_from_address_group(resource, list(remove)),
                            retry=False)

    def update_address_group(self, address_group_id, attributes, name):
        self.calls.call("updating address group %s" % name,
                        lambda: self.conn.network.update_address_group(address_group_id, **attributes))

    def delete_address_group(self, address_group_id, name):
        self.calls.call("deleting address group %s (%s)" % (name, address_group_id),
                        lambda: self.conn.network.delete_address_group(address_group_id, ignore_missing=True))

    # --- ports ------------------------------------------------------------------

    def set_port_groups(self, port_id, group_ids, what):
        """A PUT of the whole list: safe to repeat."""
        self.calls.call(what, lambda: self.conn.network.update_port(port_id, security_group_ids=list(group_ids)))
