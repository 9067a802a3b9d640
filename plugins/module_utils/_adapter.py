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

import random
import re
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

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
    # Faults after which the same request may simply be sent again: the
    # connection failed or timed out (the request may or may not have been
    # carried out: only idempotent operations are retried blindly).
    TRANSIENT_TRANSPORT = (ksa_exceptions.RetriableConnectionFailure, ksa_exceptions.UnknownConnectionError)
except ImportError:
    HAS_OPENSTACKSDK = False
    OPENSTACKSDK_IMPORT_ERROR = traceback.format_exc()
    CLOUD_EXCEPTIONS = (Exception,)
    TRANSIENT_TRANSPORT = ()

from ansible_collections.netsec.openstack.plugins.module_utils import _features as features
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner

UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
RULE_EXISTS_PATTERN = re.compile(r"[Rr]ule id is ([0-9a-fA-F-]{32,36})")
# Neutron's API lives under /v2.0; an endpoint without it means version discovery failed.
VERSIONED_NETWORK_ENDPOINT = re.compile(r"/v2(\.0)?/?$")
BULK_CHUNK = 500
# Pauses before the 2nd, 3rd and 4th attempt of a request that failed with a
# transient fault (5xx, connection refused or dropped, timeout).
RETRY_DELAYS = (0.5, 1.5, 3.0)
DEFAULT_CONCURRENCY = 4


class CloudError(Exception):
    """A cloud call failed; ``done`` lists the operations completed before it, ``pending`` those not done."""

    def __init__(self, message, done=None, pending=None):
        super(CloudError, self).__init__(message)
        self.done = list(done or [])
        self.pending = list(pending or [])


def _error_text(exc):
    details = getattr(exc, "details", None)
    message = getattr(exc, "message", None) or str(exc)
    if details and details not in message:
        message = "%s: %s" % (message, details)
    return message


def _status_of(exc):
    return (getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
            or getattr(getattr(exc, "response", None), "status_code", None))


def is_transient(exc):
    """True for faults worth another try: a 5xx answer, a failed or timed-out connection."""
    status = _status_of(exc)
    if status is not None:
        try:
            return int(status) >= 500
        except (TypeError, ValueError):
            return False
    return isinstance(exc, TRANSIENT_TRANSPORT)


def with_retries(func, on_retry=None, delays=RETRY_DELAYS, sleep=time.sleep):
    """``func()``, called again after each transient fault, at most ``len(delays)`` more times.

    Only for operations that are safe to repeat (reads, PUTs of a whole
    value, deletes that treat 404 as done, creates that treat 409 as done).
    ``on_retry(exc, attempt)`` is told about each retry.
    """
    attempt = 0
    while True:
        try:
            return func()
        except CLOUD_EXCEPTIONS as exc:
            if attempt >= len(delays) or not is_transient(exc):
                try:
                    exc.netsec_attempts = attempt + 1
                except AttributeError:  # pragma: no cover - exceptions without a __dict__
                    pass
                raise
            if on_retry is not None:
                on_retry(exc, attempt + 1)
            sleep(delays[attempt] * (0.75 + random.random() / 2))
            attempt += 1


def _attempts_text(exc):
    attempts = getattr(exc, "netsec_attempts", 1)
    return " (gave up after %d attempts)" % attempts if attempts > 1 else ""


class RequestCounter(object):
    """Counts HTTP requests the session sends, by method and service."""

    def __init__(self):
        self.by_method = {}
        self.total = 0
        self.lock = threading.Lock()

    def wrap(self, session):
        original = session.request

        def request(url, method, *args, **kwargs):
            with self.lock:
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
        "created_at": group.created_at,
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
        self.retried = []
        self._lock = threading.Lock()
        self._refs = {}
        self._template_rules = {}
        self._features = None

    def _note_retry(self, what):
        def note(exc, attempt):
            with self._lock:
                self.retried.append("%s (attempt %d failed: %s)" % (what, attempt, _error_text(exc)))
        return note

    def _retrying(self, what, func):
        """``func()`` with retries after transient faults; errors are raised as they are."""
        return with_retries(func, on_retry=self._note_retry(what))

    def _call(self, what, func, *args, **kwargs):
        """A read (or another repeatable call), retried after transient faults."""
        try:
            return with_retries(lambda: func(*args, **kwargs), on_retry=self._note_retry(what))
        except CLOUD_EXCEPTIONS as exc:
            raise CloudError("%s failed: %s%s" % (what, _error_text(exc), _attempts_text(exc)))

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
            found = self._retrying("looking up project %r" % project,
                                   lambda: self.conn.identity.find_project(project, ignore_missing=True))
        except sdk_exceptions.ForbiddenException:
            found = None
        except CLOUD_EXCEPTIONS as exc:
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
            for group in self._call("looking up referenced security groups",
                                    lambda: list(self.conn.network.security_groups(id=sorted(wanted)))):
                observed["known_groups"][group.id] = {"id": group.id, "name": group.name, "project_id": group.project_id}
        for address_group_id in sorted(wanted_address_groups):
            try:
                found = self._retrying("looking up address group %s" % address_group_id,
                                       lambda: self.conn.network.get_address_group(address_group_id))
            except sdk_exceptions.NotFoundException:
                continue
            except CLOUD_EXCEPTIONS as exc:
                raise CloudError("looking up address group %s failed: %s" % (address_group_id, _error_text(exc)))
            observed["known_address_groups"][found.id] = {"id": found.id, "name": found.name, "project_id": found.project_id}

    def features(self):
        """What this cloud's Neutron can do (``_features``): one GET /v2.0/extensions, read once per run, when asked."""
        if self._features is None:
            listed = self._call("reading the network API's extension list", lambda: list(self.conn.network.extensions()))
            self._features = features.features_from_extensions(listed)
        return self._features

    def default_rule_templates(self):
        """The cloud's default security group rule templates, or None if unreadable or absent (before 2023.2)."""
        if "default_rules" not in self.features():
            return None
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
            ) for t in self._retrying("reading the default security group rule templates",
                                      lambda: list(self.conn.network.default_security_group_rules()))]
        except (sdk_exceptions.ForbiddenException, sdk_exceptions.NotFoundException):
            return None  # a cloud without the templates API, or not allowed to read it
        except CLOUD_EXCEPTIONS as exc:
            raise CloudError("reading the default security group rule templates failed: %s%s"
                             % (_error_text(exc), _attempts_text(exc)))

    def ports_wearing(self, group_ids):
        """{group id: [ports wearing it]} in one list call (the lockout guard's read)."""
        group_ids = sorted(set(group_ids))
        wearing = dict((group_id, []) for group_id in group_ids)
        if not group_ids:
            return wearing
        ports = self._call("listing ports of security groups %s" % ", ".join(group_ids),
                           lambda: list(self.conn.network.ports(security_groups=group_ids)))
        for port in sorted(ports, key=lambda p: p.id):
            for group_id in port.security_group_ids or []:
                if group_id in wearing:
                    wearing[group_id].append({
                        "id": port.id, "name": port.name or "", "device_id": port.device_id,
                        "device_owner": port.device_owner,
                        "fixed_ips": [ip.get("ip_address") for ip in port.fixed_ips or []],
                    })
        return wearing

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
                    server = self._retrying("looking up server %s" % ref, lambda: self.conn.compute.get_server(ref))
                except sdk_exceptions.NotFoundException:
                    continue
                except CLOUD_EXCEPTIONS as exc:
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
            if set(network_ids) - set(network_names):
                # openstacksdk 4.5 has no 'id' query filter for networks: it filters on
                # the client and finds nothing (4.22 sends it to Neutron). List them all.
                for network in self._call("listing networks", lambda: list(self.conn.network.networks())):
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
                        "shared": bool(getattr(g, "is_shared", False)),
                        # The lockout guard of server_security_groups (Neutron lists groups with their rules).
                        "rules": [_rule_dict(rule) for rule in g.security_group_rules or []]} for g in groups.values()],
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
                listed = self._retrying("listing servers", lambda: self._list_servers(project_id))
                servers = [{"id": s.id, "name": s.name, "project_id": s.project_id} for s in listed]
            except sdk_exceptions.ForbiddenException:
                listed = self._retrying("listing servers", lambda: list(self.conn.compute.servers(details=True)))
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
        """Set each port's groups (a PUT of the whole list: safe to repeat)."""
        done = []
        for op in ops:
            try:
                self._retrying("setting the security groups of port %s" % op["port"],
                               lambda: self.conn.network.update_port(op["port"], security_group_ids=op["security_group_ids"]))
            except CLOUD_EXCEPTIONS as exc:
                raise CloudError("setting the security groups of port %s (server %s) to %s failed: %s%s"
                                 % (op["port"], op["server"], ", ".join(op["after"]) or "none", _error_text(exc),
                                    _attempts_text(exc)), done, ops[len(done):])
            done.append(op)
        return done

    # --- writes -------------------------------------------------------------

    def execute(self, plan, project_id, concurrency=DEFAULT_CONCURRENCY, known_group_ids=()):
        """Run a plan; return (executed ops, warnings).

        Phases follow the plan's action order and each ends before the next
        starts.  In the rule phases the create_rule ops of one group go in one
        bulk POST, and the units (a group's bulk POST, one delete) run up to
        ``concurrency`` at a time.  ``known_group_ids`` are the groups read
        before planning: a group of a declared name that is not among them
        after a failed create was made by that create (or by a concurrent
        run) and is adopted instead of created twice.

        On failure raises CloudError whose ``done`` lists what was completed
        and ``pending`` what was not.
        """
        self._refs = {}
        self._template_rules = {}
        self._known_group_ids = set(known_group_ids)
        results = {}
        warnings = []
        failure = None
        for action, units in _phases(plan):
            parallel = action in PARALLEL_ACTIONS and concurrency > 1 and len(units) > 1
            if parallel:
                stop = threading.Event()
                with ThreadPoolExecutor(max_workers=min(concurrency, len(units))) as pool:
                    outcomes = list(pool.map(lambda unit: self._run_unit(unit, project_id, warnings, stop), units))
            else:
                outcomes = []
                for unit in units:
                    outcomes.append(self._run_unit(unit, project_id, warnings))
                    if outcomes[-1][1] is not None:
                        break
            for unit_results, error in outcomes:
                results.update(unit_results)
                if error is not None and failure is None:
                    failure = error
            if failure is None and action == "create_group":
                self._settle_created_groups([results[index] for index, op in _flatten(units) if index in results],
                                            project_id, warnings)
            if failure is not None:
                break
        done = [results[index] for index in sorted(results)]
        if failure is not None:
            pending = [op for index, op in enumerate(plan) if index not in results]
            raise CloudError(str(failure), done, pending)
        return done, warnings

    def _run_unit(self, unit, project_id, warnings, stop=None):
        """Run one unit (ops of one kind); return ({plan index: executed op}, CloudError or None)."""
        results = {}
        if stop is not None and stop.is_set():
            return results, None
        index, op = unit[0]
        try:
            if op["action"] == "create_rule":
                for (index, op), result in zip(unit, self._create_rules([o for i, o in unit], warnings)):
                    results[index] = result
            else:
                for index, op in unit:
                    results[index] = getattr(self, "_" + op["action"])(op, project_id, warnings)
        except CloudError as exc:
            error = exc
        except CLOUD_EXCEPTIONS as exc:
            error = CloudError("%s failed: %s%s" % (_describe(op), _error_text(exc), _attempts_text(exc)))
        else:
            return results, None
        if stop is not None:
            stop.set()
        return results, error

    def _resolve(self, ref):
        if planner.is_placeholder(ref):
            with self._lock:
                if ref not in self._refs:
                    raise CloudError("internal error: %s was not created before use" % ref)
                return self._refs[ref]
        return ref

    def _post(self, path, body, what):
        """A raw POST that is never re-sent blindly; returns the decoded answer."""
        response = self.conn.network.post(path, json=body, raise_exc=False, connect_retries=0)
        if response.status_code >= 400:
            sdk_exceptions.raise_from_response(response, error_message="%s failed" % what)
        return response.json()

    def _create_adopting(self, what, create, find_new):
        """Create once; after a fault that leaves it unknown whether the create happened, look
        (``find_new()``, a read) and adopt what the lost create made instead of creating it twice."""
        attempts = []

        def attempt():
            if attempts:
                found = self._call("looking for the result of " + what, find_new)
                if found is not None:
                    return found, True
            attempts.append(what)
            return create(), False

        return with_retries(attempt, on_retry=self._note_retry(what))

    def _create_address_group(self, op, project_id, warnings):
        body = {"name": op["address_group"], "description": op["description"], "addresses": op["addresses"],
                "project_id": project_id}
        what = "creating address group %s" % op["address_group"]

        def find_new():
            for found in self.conn.network.address_groups(project_id=project_id, name=op["address_group"]):
                return {"id": found.id}
            return None

        created, adopted = self._create_adopting(
            what, lambda: self._post("/address-groups", {"address_group": body}, what)["address_group"], find_new)
        with self._lock:
            self._refs[op["ref"]] = created["id"]
        return dict(op, id=created["id"], adopted=True) if adopted else dict(op, id=created["id"])

    def _update_address_group(self, op, project_id, warnings):
        # Adding or removing addresses is not repeatable (a second add of the same
        # address is refused): no retries; a re-run plans from what is there.
        resource = sdk_address_group.AddressGroup(id=op["id"])
        if op.get("add_addresses"):
            self.conn.network.add_addresses_to_address_group(resource, op["add_addresses"])
        if op.get("remove_addresses"):
            self.conn.network.remove_addresses_from_address_group(resource, op["remove_addresses"])
        changes = op.get("changes") or {}
        if "description" in changes:
            self._retrying("updating address group %s" % op["address_group"],
                           lambda: self.conn.network.update_address_group(op["id"], description=changes["description"]["after"]))
        return dict(op)

    def _create_group(self, op, project_id, warnings):
        # Neutron 2025.2 refuses tags in a security group's POST ("Attribute 'tags'
        # not allowed"), so the group is tagged right after; until then a re-run
        # would adopt it by name, as it adopts any declared group.
        body = {"name": op["group"], "description": op["description"], "project_id": project_id}
        if "stateful" in op and (op["stateful"] is False or "stateful" in self.features()):
            body["stateful"] = op["stateful"]  # without the extension every group is stateful
        what = "creating security group %s" % op["group"]

        def create():
            return self._post("/security-groups", {"security_group": body}, what)["security_group"]

        def find_new():
            for found in self.conn.network.security_groups(project_id=project_id, name=op["group"]):
                if found.id not in self._known_group_ids:
                    return _group_dict(found)
            return None

        created, adopted = self._create_adopting(what, create, find_new)
        group_id = created["id"]
        with self._lock:
            self._refs[op["ref"]] = group_id
            self._known_group_ids.add(group_id)
        if sorted(created.get("tags") or []) != sorted(op["tags"]):
            self._retrying("tagging security group %s" % op["group"],
                           lambda: self.conn.network.set_tags(sdk_security_group.SecurityGroup(id=group_id), op["tags"]))
        initial = [_rule_dict(r) for r in created.get("security_group_rules") or created.get("rules") or []]
        self._bind_template_rules(op, group_id, initial, warnings)
        result = dict(op, id=group_id, initial_rule_ids=[r["id"] for r in initial])
        if adopted:
            result["adopted"] = True
            warnings.append("group %s: creating it failed with a transient fault but the group had been made; "
                            "adopted %s" % (op["group"], group_id))
        return result

    def _settle_created_groups(self, created, project_id, warnings):
        """After creating groups, make sure each declared name has one owned group.

        Two runs of the same declaration at once (or a create whose answer was
        lost) can make two groups of one name.  Every run keeps the oldest
        (created_at, then id) and deletes the others of that name that carry
        our tag and were not there before this run, so all runs agree.
        """
        created = [op for op in created if op.get("action") == "create_group"]
        if not created:
            return
        names = sorted(set(op["group"] for op in created))
        listed = self._call("checking the new security groups",
                            lambda: list(self.conn.network.security_groups(project_id=project_id, name=names)))
        for op in created:
            same = [g for g in listed if g.name == op["group"] and model.OWNER_TAG in (g.tags or [])]
            if len(same) < 2:
                continue
            keep = min(same, key=lambda g: planner.age_key({"created_at": g.created_at, "id": g.id}))
            for extra in same:
                if extra.id == keep.id or extra.id in self._known_group_ids - set([op["id"]]):
                    continue
                self._retrying("deleting duplicate security group %s" % extra.id,
                               lambda: self.conn.network.delete_security_group(extra.id, ignore_missing=True))
                warnings.append("group %s: a concurrent run (or a lost answer) made a second group of this name; "
                                "kept %s, deleted %s" % (op["group"], keep.id, extra.id))
            if keep.id != op["id"]:
                with self._lock:
                    self._refs[op["ref"]] = keep.id
                    self._template_rules[op["ref"]] = [_rule_dict(r) for r in keep.security_group_rules or []]
                op["id"] = keep.id
                op["merged"] = True

    def _bind_template_rules(self, op, group_id, initial, warnings):
        """Give the plan's id-less deletes of template rules the real ids."""
        predicted = [model.key_from_neutron(dict(b, remote_group_id=group_id if b.get("remote_group_id") == op["ref"]
                                                 else b.get("remote_group_id")))
                     for b in op.get("initial_rules") or []]
        actual = [model.key_from_neutron(r) for r in initial]
        if sorted(map(model.sort_key_of_rule_key, predicted)) != sorted(map(model.sort_key_of_rule_key, actual)):
            warnings.append("group %s: the cloud gave the new group other rules than its default-rule templates "
                            "said; the run re-checks the group after applying" % op["group"])
        with self._lock:
            self._template_rules[op["ref"]] = initial

    def _create_rules(self, batch, warnings):
        group_id = self._resolve(batch[0]["group_ref"])
        bodies = []
        for op in batch:
            body = dict(op["body"], security_group_id=group_id)
            if "remote_group_id" in body:
                body["remote_group_id"] = self._resolve(body["remote_group_id"])
            if "remote_address_group_id" in body:
                body["remote_address_group_id"] = self._resolve(body["remote_address_group_id"])
            bodies.append(body)
        results = []
        for start in range(0, len(bodies), BULK_CHUNK):
            chunk = bodies[start:start + BULK_CHUNK]
            ops = batch[start:start + BULK_CHUNK]
            what = "creating %d rule(s) in group %s" % (len(chunk), batch[0]["group"])
            try:
                # Safe to repeat: if a lost answer hid a success, the repeat is
                # refused with 409 and the rules are adopted one by one below.
                created = self._retrying(what, lambda: self._post(
                    "/security-group-rules", {"security_group_rules": chunk}, what)["security_group_rules"])
                results.extend(dict(op, id=rule["id"]) for op, rule in zip(ops, created))
            except sdk_exceptions.ConflictException:
                # One of them exists already (a concurrent run, a lost answer, or a
                # spelling we did not foresee): go one by one and adopt the existing.
                for op, body in zip(ops, chunk):
                    results.append(self._create_one_rule(op, body, warnings))
        return results

    def _create_one_rule(self, op, body, warnings):
        what = "creating rule %s in group %s" % (op["rule"], op["group"])
        try:
            rule = self._retrying(what, lambda: self._post("/security-group-rules", {"security_group_rule": body},
                                                           what)["security_group_rule"])
            return dict(op, id=rule["id"])
        except sdk_exceptions.ConflictException as exc:
            match = RULE_EXISTS_PATTERN.search(_error_text(exc))
            if not match:
                raise CloudError("%s failed: %s" % (what, _error_text(exc)))
            warnings.append("group %s: rule %s already existed as %s; adopted it" % (op["group"], op["rule"], match.group(1)))
            return dict(op, id=match.group(1), adopted=True)

    def _delete_rule(self, op, project_id, warnings):
        rule_id = op.get("id")
        if rule_id is None:
            rule_id = self._take_template_rule(op)
            if rule_id is None:
                warnings.append("group %s: the template rule %s to remove was not there" % (op["group"], op["rule"]))
                return dict(op, skipped=True)
        self._retrying("deleting rule %s of group %s" % (rule_id, op["group"]),
                       lambda: self.conn.network.delete_security_group_rule(rule_id, ignore_missing=True))
        return dict(op, id=rule_id)

    def _take_template_rule(self, op):
        wanted = dict(op["body"])
        if wanted.get("remote_group_id"):
            wanted["remote_group_id"] = self._resolve(wanted["remote_group_id"])
        wanted_key = model.key_from_neutron(wanted)
        with self._lock:
            initial = self._template_rules.get(op["group_ref"], [])
            for index, rule in enumerate(initial):
                if model.key_from_neutron(rule) == wanted_key:
                    del initial[index]
                    return rule["id"]
        return None

    def _update_group(self, op, project_id, warnings):
        changes = op["changes"]
        attributes = dict((field, changes[field]["after"]) for field in ("description", "stateful") if field in changes)
        if attributes:
            self._retrying("updating security group %s" % op["group"],
                           lambda: self.conn.network.update_security_group(op["id"], **attributes))
        if "tags" in changes:
            self._retrying("tagging security group %s" % op["group"],
                           lambda: self.conn.network.set_tags(sdk_security_group.SecurityGroup(id=op["id"]),
                                                              changes["tags"]["after"]))
        return dict(op)

    def _delete_group(self, op, project_id, warnings):
        try:
            self._retrying("deleting security group %s" % op["group"],
                           lambda: self.conn.network.delete_security_group(op["id"], ignore_missing=True))
        except sdk_exceptions.ConflictException as exc:
            raise CloudError("deleting security group %s (%s) was refused: %s" % (op["group"], op["id"], _error_text(exc)))
        return dict(op)

    def _delete_address_group(self, op, project_id, warnings):
        try:
            self._retrying("deleting address group %s" % op["address_group"],
                           lambda: self.conn.network.delete_address_group(op["id"], ignore_missing=True))
        except sdk_exceptions.ConflictException as exc:
            raise CloudError("deleting address group %s (%s) was refused: %s"
                             % (op["address_group"], op["id"], _error_text(exc)))
        return dict(op)


# Rule phases whose units may run at the same time (different groups, or single deletes).
PARALLEL_ACTIONS = ("create_rule", "delete_rule")


def _phases(plan):
    """[(action, units)]: consecutive ops of one action form a phase; a unit is a list of
    (plan index, op): all create_rule ops of one group, or one op of any other kind."""
    phases = []
    for index, op in enumerate(plan):
        action = op["action"]
        if not phases or phases[-1][0] != action:
            phases.append((action, []))
        units = phases[-1][1]
        if action == "create_rule" and units and units[-1][0][1]["group_ref"] == op["group_ref"]:
            units[-1].append((index, op))
        else:
            units.append([(index, op)])
    return phases


def _flatten(units):
    return [entry for unit in units for entry in unit]


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
    discover_network(connection)
    return connection


def discover_network(connection, delays=RETRY_DELAYS, sleep=time.sleep):
    """Build the network proxy now, and again until its version discovery worked.

    openstacksdk finds Neutron's versioned endpoint with a GET on the
    endpoint's root.  When that one request fails (a 5xx, a dropped
    connection, a timeout), it quietly falls back to the unversioned
    endpoint: every later request of the run then goes to ``/security-groups``
    instead of ``/v2.0/security-groups`` and gets a 404, which reads as
    "not found" (or, for a delete, as "already gone").  So the proxy is built
    before any other call, and rebuilt after a backoff while its endpoint has
    no version.
    """
    endpoint, error = None, None
    for attempt in range(len(delays) + 1):
        if attempt:
            sleep(delays[attempt - 1] * (0.75 + random.random() / 2))
            del connection.network  # drops the cached proxy; the next access discovers again
        try:
            endpoint = connection.network.get_endpoint() or ""
        except CLOUD_EXCEPTIONS as exc:
            endpoint, error = None, exc
            continue
        if VERSIONED_NETWORK_ENDPOINT.search(endpoint):
            return endpoint
    reason = _error_text(error) if error is not None else "its root answered no version (endpoint %s)" % endpoint
    raise CloudError("discovering the network API (Neutron) version failed %d times: %s" % (len(delays) + 1, reason))
