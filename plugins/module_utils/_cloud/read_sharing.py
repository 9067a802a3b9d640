# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads of sharing: RBAC policies, the declared projects, other projects' groups, referencing rules (private)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import group_reference, policy_dict, rule_dict

SHARED_OBJECT_TYPES = (sharing.SECURITY_GROUP, sharing.ADDRESS_GROUP)


def _policies_of(policies, object_ids):
    return [policy_dict(p) for p in policies if p.object_type in SHARED_OBJECT_TYPES and p.object_id in object_ids]


class SharingReads(object):
    """Needs ``Lists``' calls and ``ProjectReads`` (``reads.Reads`` puts them together)."""

    def observe_sharing(self, observed, desired):
        """The scope project's sharing policies (one list call) and the declared projects' ids (``_sharing``)."""
        project_id = observed["project_id"]
        object_ids = sharing.shared_object_ids(desired, observed)
        observed["rbac"] = []
        if object_ids:  # whoever created them (an admin's policy belongs to the admin's project)
            policies = self.list_network(
                "rbac_policies",
                "listing the sharing (RBAC) policies of the declared groups of project %s" % project_id,
                object_id=object_ids,
                action=sharing.ACTION,
            )
            observed["rbac"] = _policies_of(policies, object_ids)
        observed["projects"] = dict((entry, self.project_id_of(entry)) for entry in sharing.project_entries(desired))
        observed["foreign_groups"] = {}
        wanted = {}
        for ref in sharing.foreign_refs(desired):
            if observed["projects"].get(ref.project):
                wanted.setdefault(observed["projects"][ref.project], set()).add(ref.name)
        for other, names in sorted(wanted.items()):
            found = self.list_network(
                "security_groups", "listing security groups %s of project %s" % (", ".join(sorted(names)), other), project_id=other, name=sorted(names)
            )
            listed = [group_reference(g) for g in found if g.project_id == other and g.name in names]
            observed["foreign_groups"][other] = listed
            observed["known_groups"].update((g["id"], g) for g in listed)

    def rbac_policies_of_objects(self, object_ids):
        """The access_as_shared policies of these groups and address groups (one list call); [] if not readable."""
        try:
            policies = self.list_network(
                "rbac_policies",
                "listing the sharing (RBAC) policies of %s" % ", ".join(object_ids),
                object_id=list(object_ids),
                action=sharing.ACTION,
            )
        except (errors.Forbidden, errors.NotFound):
            return []
        return _policies_of(policies, set(object_ids))

    def sharing_policies(self, object_ids):
        """The access_as_shared policies of these groups and address groups (one list call); None if unreadable."""
        try:
            policies = self.list_network("rbac_policies", "listing sharing (RBAC) policies", action=sharing.ACTION)
        except (errors.Forbidden, errors.NotFound):
            return None
        return _policies_of(policies, object_ids)

    def rules_referencing(self, group_ids, address_group_ids):
        """{(object type, id): [rules that reference it, with the project of the group holding each]}, as far as the
        credentials see (one list call per kind, one for the holding groups)."""
        found = {}
        for object_type, field, ids in (
            (sharing.SECURITY_GROUP, "remote_group_id", group_ids),
            (sharing.ADDRESS_GROUP, "remote_address_group_id", address_group_ids),
        ):
            if not ids:
                continue
            rules = self.list_network("security_group_rules", "listing rules that reference %s(s) %s" % (object_type, ", ".join(ids)), **{field: list(ids)})
            for rule in rules:
                found.setdefault((object_type, getattr(rule, field)), []).append(rule_dict(rule))
        # A rule counts for the project of the group that holds it (a rule an admin made is the admin's).
        holders = sorted(set(r["security_group_id"] for rules in found.values() for r in rules))
        if holders:
            projects = dict((g.id, g.project_id) for g in self.list_network("security_groups", "looking up the groups of the referencing rules", id=holders))
            for rules in found.values():
                for rule in rules:
                    rule["project_id"] = projects.get(rule["security_group_id"], rule["project_id"])
        return found
