# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads: what the planners need, in a constant number of list calls; plain dicts out (private).

Every read goes through ``Calls.call`` (retried after transient faults,
SDK errors translated into ``_errors`` kinds).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - reported by the modules
    sdk_exceptions = None

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _features as features_module
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls as calls_module

UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
QUOTA_RESOURCES = ("security_group", "security_group_rule", "rbac_policy")


def rule_dict(rule):
    get = rule.get if isinstance(rule, dict) else (lambda name, default=None: getattr(rule, name, default))
    return {
        "id": get("id"),
        "security_group_id": get("security_group_id"),
        "direction": get("direction"),
        "ethertype": get("ethertype") or get("ether_type"),
        "protocol": get("protocol"),
        "port_range_min": get("port_range_min"),
        "port_range_max": get("port_range_max"),
        "remote_ip_prefix": get("remote_ip_prefix"),
        "remote_group_id": get("remote_group_id"),
        "remote_address_group_id": get("remote_address_group_id"),
        "description": get("description") or "",
        "project_id": get("project_id") or get("tenant_id"),
    }


def group_dict(group):
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description or "",
        "stateful": True if group.stateful is None else bool(group.stateful),
        "tags": sorted(group.tags or []),
        "project_id": group.project_id,
        "created_at": group.created_at,
        "rules": [rule_dict(rule) for rule in group.security_group_rules or []],
    }


def address_group_dict(address_group):
    return {
        "id": address_group.id,
        "name": address_group.name,
        "description": address_group.description or "",
        "addresses": model.canonical_addresses(address_group.addresses or []),
        "project_id": address_group.project_id,
    }


def port_dict(port, network_names):
    """A port as the planners see it; ``network_names`` maps network ids to names."""
    return {
        "id": port.id,
        "name": port.name or "",
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "project_id": port.project_id,
        "network_id": port.network_id,
        "network_name": network_names.get(port.network_id),
        "fixed_ips": [ip.get("ip_address") for ip in port.fixed_ips or []],
        "port_security_enabled": True if port.is_port_security_enabled is None else bool(port.is_port_security_enabled),
        "security_group_ids": sorted(port.security_group_ids or []),
    }


def looks_like_id(text):
    return bool(UUID_PATTERN.match(text or ""))


class Reads(object):
    """The reads of one run."""

    def __init__(self, connection, calls=None):
        self.conn = connection
        self.calls = calls or calls_module.Calls()
        self._features = None

    def _call(self, what, func):
        return self.calls.call(what, func)

    def _get_json(self, path):
        """A raw GET on the network API, decoded (for what openstacksdk has no call for)."""
        response = self.conn.network.get(path, raise_exc=False)
        if response.status_code >= 400:
            sdk_exceptions.raise_from_response(response)
        return response.json()

    def quota_details(self, project_id):
        """{resource: {limit, used, reserved}} of security groups and rules; None if the cloud does not say."""
        try:
            answer = self._call("reading the quota details of project %s" % project_id, lambda: self._get_json("/quotas/%s/details" % project_id))
        except (errors.NotFound, errors.Forbidden):
            return None  # no quota_details extension, or not allowed to read it
        quota = (answer or {}).get("quota") or {}
        return dict((resource, quota[resource]) for resource in QUOTA_RESOURCES if isinstance(quota.get(resource), dict))

    # --- scope ------------------------------------------------------------

    def scope_project(self, project):
        """The id of the project a run works in (default: the auth project)."""
        current = self.conn.current_project_id
        if not project or project == current:
            return current
        try:
            access = self.conn.session.auth.get_access(self.conn.session)
            if project == access.project_name:
                return current
        except Exception:  # pragma: no cover - auth plugins without access info
            pass
        try:
            found = self._call("looking up project %r" % project, lambda: self.conn.identity.find_project(project, ignore_missing=True))
        except errors.Forbidden:
            found = None
        if found is None:
            raise errors.CloudError("project %r not found, or not visible to these credentials" % project)
        return found.id

    # --- reads --------------------------------------------------------------

    def observe(self, project_id, desired, need_templates):
        """Everything the planner needs, in a constant number of list calls."""
        groups = [
            group_dict(g)
            for g in self._call("listing security groups of project %s" % project_id, lambda: list(self.conn.network.security_groups(project_id=project_id)))
        ]
        address_groups = []
        if desired.address_groups or self._uses_address_groups(desired, groups):
            address_groups = [
                address_group_dict(a)
                for a in self._call("listing address groups of project %s" % project_id, lambda: list(self.conn.network.address_groups(project_id=project_id)))
            ]
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
        if wanted:
            for group in self._call("looking up referenced security groups", lambda: list(self.conn.network.security_groups(id=sorted(wanted)))):
                observed["known_groups"][group.id] = {"id": group.id, "name": group.name, "project_id": group.project_id}
        for address_group_id in sorted(wanted_address_groups):
            try:
                found = self._call("looking up address group %s" % address_group_id, lambda: self.conn.network.get_address_group(address_group_id))
            except errors.NotFound:
                continue
            observed["known_address_groups"][found.id] = {"id": found.id, "name": found.name, "project_id": found.project_id}

    def observe_sharing(self, observed, desired):
        """The scope project's sharing policies (one list call) and the declared projects' ids (``_sharing``)."""
        project_id = observed["project_id"]
        object_ids = sharing.shared_object_ids(desired, observed)
        observed["rbac"] = []
        if object_ids:  # whoever created them (an admin's policy belongs to the admin's project)
            policies = self._call(
                "listing the sharing (RBAC) policies of the declared groups of project %s" % project_id,
                lambda: list(self.conn.network.rbac_policies(object_id=object_ids, action=sharing.ACTION)),
            )
            observed["rbac"] = [
                {"id": p.id, "object_type": p.object_type, "object_id": p.object_id, "target_project_id": p.target_project_id}
                for p in policies
                if p.object_type in (sharing.SECURITY_GROUP, sharing.ADDRESS_GROUP) and p.object_id in object_ids
            ]
        observed["projects"] = dict((entry, self.project_id_of(entry)) for entry in sharing.project_entries(desired))
        observed["foreign_groups"] = {}
        wanted = {}
        for ref in sharing.foreign_refs(desired):
            if observed["projects"].get(ref.project):
                wanted.setdefault(observed["projects"][ref.project], set()).add(ref.name)
        for other, names in sorted(wanted.items()):
            found = self._call(
                "listing security groups %s of project %s" % (", ".join(sorted(names)), other),
                lambda: list(self.conn.network.security_groups(project_id=other, name=sorted(names))),
            )
            listed = [{"id": g.id, "name": g.name, "project_id": g.project_id} for g in found if g.project_id == other and g.name in names]
            observed["foreign_groups"][other] = listed
            observed["known_groups"].update((g["id"], g) for g in listed)

    def project_name_of(self, project_id):
        """A project's name (None when the credentials may not look it up, or it is gone)."""
        try:
            found = self._call("looking up project %s" % project_id, lambda: self.conn.identity.get_project(project_id))
        except (errors.Forbidden, errors.NotFound):
            return None
        return found.name

    def rbac_policies_of_objects(self, object_ids):
        """The access_as_shared policies of these groups and address groups (one list call); [] if not readable."""
        try:
            policies = self._call(
                "listing the sharing (RBAC) policies of %s" % ", ".join(object_ids),
                lambda: list(self.conn.network.rbac_policies(object_id=list(object_ids), action=sharing.ACTION)),
            )
        except (errors.Forbidden, errors.NotFound):
            return []
        return [
            {"id": p.id, "object_type": p.object_type, "object_id": p.object_id, "target_project_id": p.target_project_id}
            for p in policies
            if p.object_id in set(object_ids)
        ]

    def project_id_of(self, entry):
        """A project's id from its name or id; None when not found.  An id is taken as it is only when the
        credentials may not look projects up (Neutron accepts a policy for a project that does not exist)."""
        try:
            found = self._call("looking up project %r" % entry, lambda: self.conn.identity.find_project(entry, ignore_missing=True))
        except errors.Forbidden:
            return entry if looks_like_id(entry) else None
        return found.id if found is not None else None

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
            rules = self._call(
                "listing rules that reference %s(s) %s" % (object_type, ", ".join(ids)),
                lambda: list(self.conn.network.security_group_rules(**{field: list(ids)})),
            )
            for rule in rules:
                found.setdefault((object_type, getattr(rule, field)), []).append(rule_dict(rule))
        # A rule counts for the project of the group that holds it (a rule an admin made is the admin's).
        holders = sorted(set(r["security_group_id"] for rules in found.values() for r in rules))
        if holders:
            projects = dict(
                (g.id, g.project_id)
                for g in self._call("looking up the groups of the referencing rules", lambda: list(self.conn.network.security_groups(id=holders)))
            )
            for rules in found.values():
                for rule in rules:
                    rule["project_id"] = projects.get(rule["security_group_id"], rule["project_id"])
        return found

    def features(self):
        """What this cloud's Neutron can do (``_features``): one GET /v2.0/extensions, read once per run, when asked."""
        if self._features is None:
            listed = self._call("reading the network API's extension list", lambda: list(self.conn.network.extensions()))
            self._features = features_module.features_from_extensions(listed)
        return self._features

    def default_rule_templates(self):
        """The cloud's default security group rule templates, or None if unreadable or absent (before 2023.2)."""
        if "default_rules" not in self.features():
            return None
        try:
            return [
                dict(
                    direction=t.direction,
                    ethertype=t.ether_type if getattr(t, "ether_type", None) else getattr(t, "ethertype", None),
                    protocol=t.protocol,
                    port_range_min=t.port_range_min,
                    port_range_max=t.port_range_max,
                    remote_ip_prefix=t.remote_ip_prefix,
                    remote_group_id=t.remote_group_id,
                    remote_address_group_id=getattr(t, "remote_address_group_id", None),
                    description=t.description or "",
                    used_in_default_sg=bool(t.used_in_default_sg),
                    used_in_non_default_sg=bool(t.used_in_non_default_sg),
                )
                for t in self._call("reading the default security group rule templates", lambda: list(self.conn.network.default_security_group_rules()))
            ]
        except (errors.Forbidden, errors.NotFound):
            return None  # a cloud without the templates API, or not allowed to read it

    def ports_wearing(self, group_ids):
        """{group id: [ports wearing it]} in one list call (the lockout guard's read)."""
        group_ids = sorted(set(group_ids))
        wearing = dict((group_id, []) for group_id in group_ids)
        if not group_ids:
            return wearing
        ports = self._call("listing ports of security groups %s" % ", ".join(group_ids), lambda: list(self.conn.network.ports(security_groups=group_ids)))
        for port in sorted(ports, key=lambda p: p.id):
            for group_id in port.security_group_ids or []:
                if group_id in wearing:
                    wearing[group_id].append(
                        {
                            "id": port.id,
                            "name": port.name or "",
                            "device_id": port.device_id,
                            "device_owner": port.device_owner,
                            "fixed_ips": [ip.get("ip_address") for ip in port.fixed_ips or []],
                            "project_id": port.project_id,
                        }
                    )
        return wearing

    def read_usage(self, observed, group_ids, address_group_ids):
        """Ports wearing, and rules referencing, the groups a plan may delete."""
        for group_id in group_ids:
            ports = self._call("listing ports of security group %s" % group_id, lambda: list(self.conn.network.ports(security_groups=[group_id])))
            ports = [p for p in ports if group_id in (p.security_group_ids or [])]
            rules = self._call(
                "listing rules that reference security group %s" % group_id, lambda: list(self.conn.network.security_group_rules(remote_group_id=group_id))
            )
            observed["usage"][group_id] = {
                "ports": [{"id": p.id, "name": p.name, "device_id": p.device_id, "device_owner": p.device_owner} for p in ports],
                "rules": [rule_dict(r) for r in rules],
            }
        for address_group_id in address_group_ids:
            rules = self._call(
                "listing rules that reference address group %s" % address_group_id,
                lambda: list(self.conn.network.security_group_rules(remote_address_group_id=address_group_id)),
            )
            observed["address_group_usage"][address_group_id] = {"rules": [rule_dict(r) for r in rules]}
        return observed

    def _list_servers(self, project_id):
        """Servers of a project (None: of every project, for an admin)."""
        if project_id is None:
            return list(self.conn.compute.servers(details=True, all_projects=True))
        if project_id == self.conn.current_project_id:
            return list(self.conn.compute.servers(details=True))
        return list(self.conn.compute.servers(details=True, all_projects=True, project_id=project_id))

    def observe_attachments(self, project_id, servers):
        """Servers, their ports and the groups involved, in a constant number of list calls."""
        listed = self._call("listing servers of project %s" % project_id, lambda: self._list_servers(project_id))
        found = [{"id": s.id, "name": s.name, "project_id": s.project_id or project_id} for s in listed]
        known = set(s["id"] for s in found) | set(s["name"] for s in found)
        for entry in servers:
            ref = entry["server"]
            if ref not in known and looks_like_id(ref):
                try:
                    server = self._call("looking up server %s" % ref, lambda: self.conn.compute.get_server(ref))
                except errors.NotFound:
                    continue
                found.append({"id": server.id, "name": server.name, "project_id": server.project_id})
        wanted_ids = set()
        for entry in servers:
            for server in found:
                if entry["server"] in (server["id"], server["name"]):
                    wanted_ids.add(server["id"])
        ports = []
        if wanted_ids:
            ports = self._call("listing ports of the servers", lambda: list(self.conn.network.ports(device_id=sorted(wanted_ids))))
        network_ids = sorted(set(p.network_id for p in ports))
        network_names = {}
        if network_ids:
            for network in self._call("listing networks of the servers' ports", lambda: list(self.conn.network.networks(id=network_ids))):
                network_names[network.id] = network.name
            if set(network_ids) - set(network_names):
                # openstacksdk 4.5 has no 'id' query filter for networks: it filters on
                # the client and finds nothing (4.22 sends it to Neutron). List them all.
                for network in self._call("listing networks", lambda: list(self.conn.network.networks())):
                    network_names[network.id] = network.name
        port_dicts = [port_dict(p, network_names) for p in ports]
        projects = sorted(set([project_id] + [s["project_id"] for s in found if s["id"] in wanted_ids and s["project_id"]]))
        groups = {}
        for project in projects:
            for group in self._call("listing security groups of project %s" % project, lambda: list(self.conn.network.security_groups(project_id=project))):
                groups[group.id] = group
        extra = set()
        for entry in servers:
            for ref in entry.get("security_groups") or []:
                if looks_like_id(ref) and ref not in groups:
                    extra.add(ref)
        for port in port_dicts:
            extra.update(g for g in port["security_group_ids"] if g not in groups)
        if extra:
            for group in self._call("looking up security groups by id", lambda: list(self.conn.network.security_groups(id=sorted(extra)))):
                groups[group.id] = group
        return {
            "servers": found,
            "ports": port_dicts,
            "groups": [
                {
                    "id": g.id,
                    "name": g.name,
                    "project_id": g.project_id,
                    "stateful": True if g.stateful is None else bool(g.stateful),
                    "shared": bool(getattr(g, "is_shared", False)),
                    # The lockout guard of server_security_groups (Neutron lists groups with their rules).
                    "rules": [rule_dict(rule) for rule in g.security_group_rules or []],
                }
                for g in groups.values()
            ],
        }

    def observe_inventory(self, project_id=None, with_servers=True, with_sharing=False):
        """The live state of a scope as plain dicts, in a constant number of list calls.

        ``project_id`` None means every project the credentials can see (all of them for an
        admin).  Returns {groups (with rules), address_groups, ports, servers, networks}.
        """
        query = {} if project_id is None else {"project_id": project_id}
        groups = [group_dict(g) for g in self._call("listing security groups", lambda: list(self.conn.network.security_groups(**query)))]
        address_groups = [address_group_dict(a) for a in self._call("listing address groups", lambda: list(self.conn.network.address_groups(**query)))]
        ports = self._call("listing ports", lambda: list(self.conn.network.ports(**query)))
        networks = dict((n.id, n.name) for n in self._call("listing networks", lambda: list(self.conn.network.networks())))
        servers = []
        if with_servers:
            try:
                listed = self._call("listing servers", lambda: self._list_servers(project_id))
                servers = [{"id": s.id, "name": s.name, "project_id": s.project_id} for s in listed]
            except errors.Forbidden:
                listed = self._call("listing servers", lambda: list(self.conn.compute.servers(details=True)))
                servers = [{"id": s.id, "name": s.name, "project_id": s.project_id} for s in listed]
        inventory = {
            "project_id": project_id,
            "groups": groups,
            "address_groups": address_groups,
            "ports": [port_dict(p, networks) for p in ports],
            "servers": servers,
        }
        if with_sharing:  # the export writes shared_with back (one list call)
            inventory["rbac"] = self.sharing_policies(set(g["id"] for g in groups) | set(a["id"] for a in address_groups))
        return inventory

    def sharing_policies(self, object_ids):
        """The access_as_shared policies of these groups and address groups (one list call); None if unreadable."""
        try:
            policies = self._call("listing sharing (RBAC) policies", lambda: list(self.conn.network.rbac_policies(action=sharing.ACTION)))
        except (errors.Forbidden, errors.NotFound):
            return None
        return [
            {"id": p.id, "object_type": p.object_type, "object_id": p.object_id, "target_project_id": p.target_project_id}
            for p in policies
            if p.object_type in (sharing.SECURITY_GROUP, sharing.ADDRESS_GROUP) and p.object_id in object_ids
        ]
