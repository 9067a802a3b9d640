# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that talks to OpenStack (private to this collection).

Thin: reads what the planner needs in a constant number of list calls,
executes a plan, and returns plain dicts.  Every openstacksdk error becomes
a ``CloudError`` whose message says what was being done.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import traceback

try:
    import openstack
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions as sdk_exceptions
    from openstack.network.v2 import address_group as sdk_address_group
    from openstack.network.v2 import security_group as sdk_security_group

    HAS_OPENSTACKSDK = True
    OPENSTACKSDK_IMPORT_ERROR = None
    # Everything a cloud call can raise: SDK errors and keystoneauth's
    # transport errors (connection refused, timeouts).
    CLOUD_EXCEPTIONS = (sdk_exceptions.SDKException, ksa_exceptions.ClientException)
except ImportError:
    HAS_OPENSTACKSDK = False
    OPENSTACKSDK_IMPORT_ERROR = traceback.format_exc()
    CLOUD_EXCEPTIONS = (Exception,)

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner

UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
RULE_EXISTS_PATTERN = re.compile(r"[Rr]ule id is ([0-9a-fA-F-]{32,36})")
BULK_CHUNK = 500


class CloudError(Exception):
    """A cloud call failed; ``done`` lists the operations completed before it."""

    def __init__(self, message, done=None):
        super(CloudError, self).__init__(message)
        self.done = list(done or [])


def _error_text(exc):
    details = getattr(exc, "details", None)
    message = getattr(exc, "message", None) or str(exc)
    if details and details not in message:
        message = "%s: %s" % (message, details)
    return message


def _status_of(exc):
    return getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)


class RequestCounter(object):
    """Counts HTTP requests the session sends, by method and service."""

    def __init__(self):
        self.by_method = {}
        self.total = 0

    def wrap(self, session):
        original = session.request

        def request(url, method, *args, **kwargs):
            self.total += 1
            self.by_method[method.upper()] = self.by_method.get(method.upper(), 0) + 1
            return original(url, method, *args, **kwargs)

        session.request = request

    def as_dict(self):
        writes = sum(v for k, v in self.by_method.items() if k not in ("GET", "HEAD"))
        return {"total": self.total, "writes": writes, "by_method": dict(sorted(self.by_method.items()))}


def _rule_dict(rule):
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


def _group_dict(group):
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description or "",
        "stateful": True if group.stateful is None else bool(group.stateful),
        "tags": sorted(group.tags or []),
        "project_id": group.project_id,
        "rules": [_rule_dict(rule) for rule in group.security_group_rules or []],
    }


def _address_group_dict(address_group):
    return {
        "id": address_group.id,
        "name": address_group.name,
        "description": address_group.description or "",
        "addresses": model.canonical_addresses(address_group.addresses or []),
        "project_id": address_group.project_id,
    }


def _port_dict(port, network_names):
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


class Adapter(object):
    def __init__(self, connection, counter=None):
        self.conn = connection
        self.counter = counter

    def _call(self, what, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CLOUD_EXCEPTIONS as exc:
            raise CloudError("%s failed: %s" % (what, _error_text(exc)))

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
            found = self.conn.identity.find_project(project, ignore_missing=True)
        except sdk_exceptions.ForbiddenException:
            found = None
        except sdk_exceptions.SDKException as exc:
            raise CloudError("looking up project %r failed: %s" % (project, _error_text(exc)))
        if found is None:
            raise CloudError("project %r not found, or not visible to these credentials" % project)
        return found.id

    # --- reads --------------------------------------------------------------

    def observe(self, project_id, desired, need_templates):
        """Everything the planner needs, in a constant number of list calls."""
        groups = [_group_dict(g) for g in self._call(
            "listing security groups of project %s" % project_id,
            lambda: list(self.conn.network.security_groups(project_id=project_id)))]
        address_groups = []
        if desired.address_groups or self._uses_address_groups(desired, groups):
            address_groups = [_address_group_dict(a) for a in self._call(
                "listing address groups of project %s" % project_id,
                lambda: list(self.conn.network.address_groups(project_id=project_id)))]
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
        if need_templates:
            observed["templates"] = self.default_rule_templates()
        return observed

    @staticmethod
    def _uses_address_groups(desired, groups):
        for group in desired.groups:
            for rule in group.rules:
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
            for rule in group.rules:
                ref = rule.key.remote
                if rule.key.remote_kind == model.REMOTE_GROUP and looks_like_id(ref) and ref not in local:
                    wanted.add(ref)
                if rule.key.remote_kind == model.REMOTE_ADDRESS_GROUP and looks_like_id(ref) and ref not in local_address_groups:
                    wanted_address_groups.add(ref)
        if wanted:
            for group in self._call("looking up referenced security groups",
                                    lambda: list(self.conn.network.security_groups(id=sorted(wanted)))):
                observed["known_groups"][group.id] = {"id": group.id, "name": group.name, "project_id": group.project_id}
        for address_group_id in sorted(wanted_address_groups):
            try:
                found = self.conn.network.get_address_group(address_group_id)
            except sdk_exceptions.NotFoundException:
                continue
            except sdk_exceptions.SDKException as exc:
                raise CloudError("looking up address group %s failed: %s" % (address_group_id, _error_text(exc)))
            observed["known_address_groups"][found.id] = {"id": found.id, "name": found.name, "project_id": found.project_id}

    def default_rule_templates(self):
        """The cloud's default security group rule templates, or None if unreadable."""
        try:
            return [dict(
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
            ) for t in self.conn.network.default_security_group_rules()]
        except sdk_exceptions.SDKException:
            return None

    def read_usage(self, observed, group_ids, address_group_ids):
        """Ports wearing, and rules referencing, the groups a plan may delete."""
        for group_id in group_ids:
            ports = self._call("listing ports of security group %s" % group_id,
                               lambda: list(self.conn.network.ports(security_groups=[group_id])))
            ports = [p for p in ports if group_id in (p.security_group_ids or [])]
            rules = self._call("listing rules that reference security group %s" % group_id,
                               lambda: list(self.conn.network.security_group_rules(remote_group_id=group_id)))
            observed["usage"][group_id] = {
                "ports": [{"id": p.id, "name": p.name, "device_id": p.device_id, "device_owner": p.device_owner}
                          for p in ports],
                "rules": [_rule_dict(r) for r in rules],
            }
        for address_group_id in address_group_ids:
            rules = self._call("listing rules that reference address group %s" % address_group_id,
                               lambda: list(self.conn.network.security_group_rules(
                                   remote_address_group_id=address_group_id)))
            observed["address_group_usage"][address_group_id] = {"rules": [_rule_dict(r) for r in rules]}
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
                    server = self.conn.compute.get_server(ref)
                except sdk_exceptions.NotFoundException:
                    continue
                except sdk_exceptions.SDKException as exc:
                    raise CloudError("looking up server %s failed: %s" % (ref, _error_text(exc)))
                found.append({"id": server.id, "name": server.name, "project_id": server.project_id})
        wanted_ids = set()
        for entry in servers:
            for server in found:
                if entry["server"] in (server["id"], server["name"]):
                    wanted_ids.add(server["id"])
        ports = []
        if wanted_ids:
            ports = self._call("listing ports of the servers",
                               lambda: list(self.conn.network.ports(device_id=sorted(wanted_ids))))
        network_ids = sorted(set(p.network_id for p in ports))
        network_names = {}
        if network_ids:
            for network in self._call("listing networks of the servers' ports",
                                      lambda: list(self.conn.network.networks(id=network_ids))):
                network_names[network.id] = network.name
        port_dicts = [_port_dict(p, network_names) for p in ports]
        projects = sorted(set([project_id] + [s["project_id"] for s in found if s["id"] in wanted_ids and s["project_id"]]))
        groups = {}
        for project in projects:
            for group in self._call("listing security groups of project %s" % project,
                                    lambda: list(self.conn.network.security_groups(project_id=project))):
                groups[group.id] = group
        extra = set()
        for entry in servers:
            for ref in entry.get("security_groups") or []:
                if looks_like_id(ref) and ref not in groups:
                    extra.add(ref)
        for port in port_dicts:
            extra.update(g for g in port["security_group_ids"] if g not in groups)
        if extra:
            for group in self._call("looking up security groups by id",
                                    lambda: list(self.conn.network.security_groups(id=sorted(extra)))):
                groups[group.id] = group
        return {
            "servers": found,
            "ports": port_dicts,
            "groups": [{"id": g.id, "name": g.name, "project_id": g.project_id,
                        "stateful": True if g.stateful is None else bool(g.stateful),
                        "shared": bool(getattr(g, "is_shared", False))} for g in groups.values()],
        }

    def observe_inventory(self, project_id=None, with_servers=True):
        """The live state of a scope as plain dicts, in a constant number of list calls.

        ``project_id`` None means every project the credentials can see (all of them for an
        admin).  Returns {groups (with rules), address_groups, ports, servers, networks}.
        """
        query = {} if project_id is None else {"project_id": project_id}
        groups = [_group_dict(g) for g in self._call(
            "listing security groups", lambda: list(self.conn.network.security_groups(**query)))]
        address_groups = [_address_group_dict(a) for a in self._call(
            "listing address groups", lambda: list(self.conn.network.address_groups(**query)))]
        ports = self._call("listing ports", lambda: list(self.conn.network.ports(**query)))
        networks = dict((n.id, n.name) for n in self._call("listing networks",
                                                           lambda: list(self.conn.network.networks())))
        servers = []
        if with_servers:
            try:
                listed = self._list_servers(project_id)
                servers = [{"id": s.id, "name": s.name, "project_id": s.project_id} for s in listed]
            except sdk_exceptions.ForbiddenException:
                listed = list(self.conn.compute.servers(details=True))
                servers = [{"id": s.id, "name": s.name, "project_id": s.project_id} for s in listed]
            except CLOUD_EXCEPTIONS as exc:
                raise CloudError("listing servers failed: %s" % _error_text(exc))
        return {
            "project_id": project_id,
            "groups": groups,
            "address_groups": address_groups,
            "ports": [_port_dict(p, networks) for p in ports],
            "servers": servers,
        }

    def execute_attachments(self, ops):
        done = []
        for op in ops:
            try:
                self.conn.network.update_port(op["port"], security_group_ids=op["security_group_ids"])
            except CLOUD_EXCEPTIONS as exc:
                raise CloudError("setting the security groups of port %s (server %s) to %s failed: %s"
                                 % (op["port"], op["server"], ", ".join(op["after"]) or "none", _error_text(exc)), done)
            done.append(op)
        return done

    # --- writes -------------------------------------------------------------

    def execute(self, plan, project_id):
        """Run a plan in order; create_rule ops of one group go in one bulk POST.

        Returns (executed ops, warnings).  On failure raises CloudError whose
        ``done`` lists what was completed.
        """
        refs = {}
        done = []
        warnings = []

        def resolve(ref):
            if planner.is_placeholder(ref):
                if ref not in refs:
                    raise CloudError("internal error: %s was not created before use" % ref, done)
                return refs[ref]
            return ref

        index = 0
        try:
            while index < len(plan):
                op = plan[index]
                action = op["action"]
                if action == "create_rule":
                    batch = [op]
                    while (index + len(batch) < len(plan) and plan[index + len(batch)]["action"] == "create_rule"
                           and plan[index + len(batch)]["group_ref"] == op["group_ref"]):
                        batch.append(plan[index + len(batch)])
                    done.extend(self._create_rules(batch, resolve, warnings))
                    index += len(batch)
                    continue
                handler = getattr(self, "_" + action)
                result = handler(op, resolve, refs, project_id, warnings)
                done.append(result)
                index += 1
        except CloudError as exc:
            exc.done = done
            raise
        except CLOUD_EXCEPTIONS as exc:
            raise CloudError("%s failed: %s" % (_describe(plan[index]), _error_text(exc)), done)
        return done, warnings

    def _create_address_group(self, op, resolve, refs, project_id, warnings):
        created = self.conn.network.create_address_group(
            name=op["address_group"], description=op["description"], addresses=op["addresses"], project_id=project_id)
        refs[op["ref"]] = created.id
        return dict(op, id=created.id)

    def _update_address_group(self, op, resolve, refs, project_id, warnings):
        resource = sdk_address_group.AddressGroup(id=op["id"])
        if op.get("add_addresses"):
            self.conn.network.add_addresses_to_address_group(resource, op["add_addresses"])
        if op.get("remove_addresses"):
            self.conn.network.remove_addresses_from_address_group(resource, op["remove_addresses"])
        changes = op.get("changes") or {}
        if "description" in changes:
            self.conn.network.update_address_group(op["id"], description=changes["description"]["after"])
        return dict(op)

    def _create_group(self, op, resolve, refs, project_id, warnings):
        attributes = {"name": op["group"], "description": op["description"], "project_id": project_id}
        if "stateful" in op:
            attributes["stateful"] = op["stateful"]
        created = self.conn.network.create_security_group(**attributes)
        refs[op["ref"]] = created.id
        self.conn.network.set_tags(sdk_security_group.SecurityGroup(id=created.id), op["tags"])
        initial = [_rule_dict(r) for r in created.security_group_rules or []]
        self._bind_template_rules(op, created.id, initial, warnings)
        return dict(op, id=created.id, initial_rule_ids=[r["id"] for r in initial])

    def _bind_template_rules(self, op, group_id, initial, warnings):
        """Give the plan's id-less deletes of template rules the real ids."""
        predicted = [model.key_from_neutron(dict(b, remote_group_id=group_id if b.get("remote_group_id") == op["ref"]
                                                 else b.get("remote_group_id")))
                     for b in op.get("initial_rules") or []]
        actual = [model.key_from_neutron(r) for r in initial]
        if sorted(map(model.sort_key_of_rule_key, predicted)) != sorted(map(model.sort_key_of_rule_key, actual)):
            warnings.append("group %s: the cloud gave the new group other rules than its default-rule templates "
                            "said; the run re-checks the group after applying" % op["group"])
        self._template_rules = getattr(self, "_template_rules", {})
        self._template_rules[op["ref"]] = initial

    def _create_rules(self, batch, resolve, warnings):
        group_id = resolve(batch[0]["group_ref"])
        bodies = []
        for op in batch:
            body = dict(op["body"], security_group_id=group_id)
            if "remote_group_id" in body:
                body["remote_group_id"] = resolve(body["remote_group_id"])
            if "remote_address_group_id" in body:
                body["remote_address_group_id"] = resolve(body["remote_address_group_id"])
            bodies.append(body)
        results = []
        for start in range(0, len(bodies), BULK_CHUNK):
            chunk = bodies[start:start + BULK_CHUNK]
            ops = batch[start:start + BULK_CHUNK]
            try:
                created = list(self.conn.network.create_security_group_rules(chunk))
                results.extend(dict(op, id=rule.id) for op, rule in zip(ops, created))
            except sdk_exceptions.ConflictException:
                # One of them exists already (a concurrent run, or a spelling
                # we did not foresee): go one by one and adopt the existing.
                for op, body in zip(ops, chunk):
                    results.append(self._create_one_rule(op, body, warnings))
        return results

    def _create_one_rule(self, op, body, warnings):
        try:
            rule = self.conn.network.create_security_group_rule(**body)
            return dict(op, id=rule.id)
        except sdk_exceptions.ConflictException as exc:
            match = RULE_EXISTS_PATTERN.search(_error_text(exc))
            if not match:
                raise CloudError("creating rule %s in group %s failed: %s" % (op["rule"], op["group"], _error_text(exc)))
            warnings.append("group %s: rule %s already existed as %s; adopted it" % (op["group"], op["rule"], match.group(1)))
            return dict(op, id=match.group(1), adopted=True)

    def _delete_rule(self, op, resolve, refs, project_id, warnings):
        rule_id = op.get("id")
        if rule_id is None:
            rule_id = self._take_template_rule(op, resolve)
            if rule_id is None:
                warnings.append("group %s: the template rule %s to remove was not there" % (op["group"], op["rule"]))
                return dict(op, skipped=True)
        self.conn.network.delete_security_group_rule(rule_id, ignore_missing=True)
        return dict(op, id=rule_id)

    def _take_template_rule(self, op, resolve):
        initial = getattr(self, "_template_rules", {}).get(op["group_ref"], [])
        wanted = dict(op["body"])
        if wanted.get("remote_group_id"):
            wanted["remote_group_id"] = resolve(wanted["remote_group_id"])
        wanted_key = model.key_from_neutron(wanted)
        for index, rule in enumerate(initial):
            rule_key = model.key_from_neutron(dict(rule, remote_group_id=rule.get("remote_group_id")))
            if rule_key == wanted_key:
                del initial[index]
                return rule["id"]
        return None

    def _update_group(self, op, resolve, refs, project_id, warnings):
        changes = op["changes"]
        attributes = dict((field, changes[field]["after"]) for field in ("description", "stateful") if field in changes)
        if attributes:
            self.conn.network.update_security_group(op["id"], **attributes)
        if "tags" in changes:
            self.conn.network.set_tags(sdk_security_group.SecurityGroup(id=op["id"]), changes["tags"]["after"])
        return dict(op)

    def _delete_group(self, op, resolve, refs, project_id, warnings):
        try:
            self.conn.network.delete_security_group(op["id"], ignore_missing=True)
        except sdk_exceptions.ConflictException as exc:
            raise CloudError("deleting security group %s (%s) was refused: %s" % (op["group"], op["id"], _error_text(exc)))
        return dict(op)

    def _delete_address_group(self, op, resolve, refs, project_id, warnings):
        try:
            self.conn.network.delete_address_group(op["id"], ignore_missing=True)
        except sdk_exceptions.ConflictException as exc:
            raise CloudError("deleting address group %s (%s) was refused: %s"
                             % (op["address_group"], op["id"], _error_text(exc)))
        return dict(op)


def _describe(op):
    what = op.get("group") or op.get("address_group")
    text = "%s %s" % (op["action"].replace("_", " "), what)
    if op.get("rule"):
        text += " rule %s" % op["rule"]
    return text


def connect(auth_options):
    """An openstacksdk connection from the common auth options."""
    if not HAS_OPENSTACKSDK:
        raise CloudError("the python library openstacksdk is required")
    options = dict((k, v) for k, v in auth_options.items() if v is not None)
    cloud = options.pop("cloud", None)
    if isinstance(cloud, dict):
        options.update(cloud)
        cloud = None
    if "validate_certs" in options:
        options["verify"] = options.pop("validate_certs")
    if "ca_cert" in options:
        options["cacert"] = options.pop("ca_cert")
    if "client_cert" in options:
        options["cert"] = options.pop("client_cert")
    if "client_key" in options:
        options["key"] = options.pop("client_key")
    if "api_timeout" in options:
        options["api_timeout"] = options.pop("api_timeout")
    options.setdefault("app_name", "netsec.openstack")
    try:
        connection = openstack.connect(cloud=cloud, **options)
        connection.authorize()
    except sdk_exceptions.SDKException as exc:
        raise CloudError("connecting to the cloud failed: %s" % _error_text(exc))
    except Exception as exc:  # keystoneauth raises its own exception types
        raise CloudError("connecting to the cloud failed: %s: %s" % (type(exc).__name__, exc))
    return connection
