# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads of security groups, their rules and address groups: what the planner observes (private)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import address_group_dict, group_dict, group_reference, looks_like_id


class GroupReads(object):
    """Needs ``Lists``' calls, ``ProjectReads`` and ``SharingReads`` (``reads.Reads`` puts them together)."""

    def observe(self, project_id, desired, need_templates, group_names=None):
        """Everything the planner needs, in a constant number of list calls.

        ``group_names`` (``_plan.observation_scope``): only the groups of these names, not every group of the project.
        """
        if group_names:
            what = "listing security groups %s of project %s" % (", ".join(group_names), project_id)
            listed = self.list_network("security_groups", what, project_id=project_id, name=list(group_names))
        else:
            listed = self.list_network("security_groups", "listing security groups of project %s" % project_id, project_id=project_id)
        groups = [group_dict(g) for g in listed]
        address_groups = []
        if desired.address_groups or self._uses_address_groups(desired, groups):
            listed = self.list_network("address_groups", "listing address groups of project %s" % project_id, project_id=project_id)
            address_groups = [address_group_dict(a) for a in listed]
        observed = {
            "project_id": project_id,
            "groups": groups,
            "address_groups": address_groups,
            "known_groups": {},
            "known_address_groups": {},
            "templates": None,
            "usage": {},
            "address_group_usage": {},
        }
        self._observe_foreign(observed, desired)
        if sharing.uses_sharing(desired) or sharing.foreign_refs(desired):
            self.observe_sharing(observed, desired)
        if need_templates:
            observed["templates"] = self.default_rule_templates()
        return observed

    @staticmethod
    def _uses_address_groups(desired, groups):
        for group in desired.groups:
            for rule in group.rules or ():  # None: rules not declared (issue 13)
                if rule.key.remote_kind == model.REMOTE_ADDRESS_GROUP:
                    return True
        declared = set(g.name for g in desired.groups)
        for group in groups:
            if group["name"] not in declared:
                continue
            for rule in group["rules"]:
                if rule.get("remote_address_group_id"):
                    return True
        return False

    def _observe_foreign(self, observed, desired):
        """Names of groups outside the scope that rules or the user reference by id."""
        wanted, wanted_address_groups = _foreign_ids(observed, desired)
        self.name_groups(observed, wanted, "looking up referenced security groups")
        for address_group_id in sorted(wanted_address_groups):
            try:
                found = self.get_address_group(address_group_id)
            except errors.NotFound:
                continue
            observed["known_address_groups"][found.id] = group_reference(found)

    def name_groups(self, observed, group_ids, what):
        """``observed["known_groups"]`` gains the groups of ``group_ids`` (outside what was observed): one list call."""
        if group_ids:
            for group in self.list_network("security_groups", what, id=sorted(group_ids)):
                observed["known_groups"][group.id] = group_reference(group)


def _foreign_ids(observed, desired):
    """The ids of groups and address groups outside the scope that observed or declared rules reference."""
    local = set(g["id"] for g in observed["groups"])
    local_address_groups = set(a["id"] for a in observed["address_groups"])
    wanted, wanted_address_groups = set(), set()
    for group in observed["groups"]:
        for rule in group["rules"]:
            if rule.get("remote_group_id") and rule["remote_group_id"] not in local:
                wanted.add(rule["remote_group_id"])
            if rule.get("remote_address_group_id") and rule["remote_address_group_id"] not in local_address_groups:
                wanted_address_groups.add(rule["remote_address_group_id"])
    for group in desired.groups:
        for rule in group.rules or ():  # None: rules not declared (issue 13)
            ref = rule.key.remote
            if rule.key.remote_kind == model.REMOTE_GROUP and looks_like_id(ref) and ref not in local:
                wanted.add(ref)
            if rule.key.remote_kind == model.REMOTE_ADDRESS_GROUP and looks_like_id(ref) and ref not in local_address_groups:
                wanted_address_groups.add(ref)
    return wanted, wanted_address_groups
