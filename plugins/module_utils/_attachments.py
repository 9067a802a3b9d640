# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which security groups servers wear: validation and plan (private).

Pure code, no I/O.  A server wears groups through its Neutron ports; the
plan is one ``update_port`` per port whose group list changes, carrying the
full new list (atomic per port).

Observed state (plain dicts, from the adapter)::

    servers: [{id, name, project_id}]
    ports: [{id, name, device_id, project_id, network_id, network_name, fixed_ips: [ip],
             port_security_enabled, security_group_ids}]
    groups: [{id, name, project_id, stateful, shared}]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import jsonschema
except ImportError:  # reported by the module shell
    jsonschema = None

from ansible_collections.netsec.openstack.plugins.module_utils import _lockout as lockout
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError, PlanError
from ansible_collections.netsec.openstack.plugins.module_utils._schema import (
    _schema_error_message,
    _suggest,
    format_path,
)

MODES = ("exact", "add", "remove")

SERVER_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["server", "security_groups"],
    "properties": {
        "server": {"type": "string", "minLength": 1},
        "security_groups": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "mode": {"type": "string", "enum": list(MODES)},
        "ports": {
            "anyOf": [
                {"type": "string", "enum": ["all"]},
                {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            ]
        },
    },
}

SERVERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"servers": {"type": "array", "items": SERVER_SCHEMA}},
}


def validate_servers(servers):
    """Raise DeclarationError naming every bad field (``servers[2].mode``)."""
    errors = []
    if not isinstance(servers, list):
        raise DeclarationError(["servers: expected a list of {server, security_groups, mode, ports}"])
    validator = jsonschema.Draft7Validator(SERVERS_SCHEMA)
    for error in sorted(validator.iter_errors({"servers": servers}), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator == "additionalProperties":
            # _schema_error_message knows the field lists of the security group schema only.
            path = list(error.absolute_path)
            extra = sorted(set(error.instance) - set(SERVER_SCHEMA["properties"]))
            known = sorted(SERVER_SCHEMA["properties"])
            for field in extra:
                hint = _suggest(field, known)
                errors.append(
                    "%s: unknown field %r (%sexpected one of: %s)"
                    % (format_path(path + [field]), field, "did you mean %r? " % hint[0] if hint else "", ", ".join(known))
                )
        elif error.validator == "anyOf":
            errors.append("%s: expected 'all' or a list of port ids, names, fixed IPs or network names" % format_path(list(error.absolute_path)))
        else:
            errors.extend(_schema_error_message(error))
    # A server may be listed more than once only to give different ports different groups:
    # then every entry names its ports (overlaps are refused by the plan).
    seen = {}
    for index, entry in enumerate(servers):
        if isinstance(entry, dict) and isinstance(entry.get("server"), str):
            first = seen.get(entry["server"])
            if first is not None and not (isinstance(entry.get("ports"), list) and isinstance(servers[first].get("ports"), list)):
                errors.append(
                    "servers[%d].server: %r is listed twice (also servers[%d]); list it once, or give each entry "
                    "its own ports" % (index, entry["server"], first)
                )
            seen.setdefault(entry["server"], index)
    if errors:
        raise DeclarationError(errors)


def _resolve_server(text, servers, path, errors):
    by_id = [s for s in servers if s["id"] == text]
    if by_id:
        return by_id[0]
    by_name = [s for s in servers if s["name"] == text]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        errors.append(
            "%s.server: server name %r is ambiguous: %s; use an id"
            % (path, text, ", ".join("%s (project %s)" % (s["id"], s.get("project_id")) for s in by_name))
        )
    else:
        errors.append("%s.server: server %r not found" % (path, text))
    return None


PLANNED_PREFIX = "planned:"


def is_planned(group_id):
    """Whether a group id is the placeholder of a group that the same play creates (planned_groups)."""
    return str(group_id).startswith(PLANNED_PREFIX)


def planned_group(name, project_id):
    """The placeholder of a planned group: it does not exist yet, its rules and statefulness are unknown."""
    return {"id": PLANNED_PREFIX + name, "name": name, "project_id": project_id, "planned": True, "rules": None}


def _resolve_group(text, project_id, groups, path, errors, planned=None):
    """The group a name or id means; ``planned`` maps planned_groups names to their placeholders (check mode)
    or to None (a real run, where they must exist by then)."""
    planned = planned or {}
    by_id = [g for g in groups if g["id"] == text]
    if by_id:
        return by_id[0]
    in_project = [g for g in groups if g["name"] == text and g.get("project_id") == project_id]
    if len(in_project) == 1:
        return in_project[0]
    if len(in_project) > 1:
        errors.append("%s: security group name %r is ambiguous in project %s: %s; use an id" % (path, text, project_id, ", ".join(g["id"] for g in in_project)))
        return None
    if text in planned:
        # The play creates it in this project, so a shared namesake of another project is not the one meant.
        if planned[text] is not None:
            return planned[text]
        errors.append(
            "%s: security group %r not found in project %s; it is listed in planned_groups, so the task "
            "that creates it (netsec.openstack.security_groups, not in check mode) must run before this one" % (path, text, project_id)
        )
        return None
    shared = [g for g in groups if g["name"] == text and g.get("shared")]
    if len(shared) == 1:
        return shared[0]
    errors.append("%s: security group %r not found in project %s" % (path, text, project_id))
    return None


def _select_ports(selector, ports, path, errors):
    if selector in (None, "all"):
        return list(ports)
    chosen = []
    for index, wanted in enumerate(selector):
        matches = [p for p in ports if wanted in (p["id"], p.get("name"), p.get("network_name"), p.get("network_id")) or wanted in (p.get("fixed_ips") or [])]
        if not matches:
            errors.append("%s.ports[%d]: no port of this server matches %r (port id, name, fixed IP or network)" % (path, index, wanted))
        for port in matches:
            if port not in chosen:
                chosen.append(port)
    return chosen


def plan_attachments(servers, observed, default_mode="exact", planned_groups=(), check_mode=False):
    """Return the list of update_port operations.  Raises PlanError.

    ``planned_groups`` names groups that the same play creates: in check mode a
    name of them that does not exist yet is a valid target (a placeholder,
    ``is_planned``); in a real run it must exist by then.
    """
    errors = []
    ops = []
    groups = list(observed.get("groups") or [])
    group_by_id = dict((g["id"], g) for g in groups)
    claimed = {}  # port id -> path of the entry that chose it
    ports_by_device = {}
    for port in observed.get("ports") or []:
        ports_by_device.setdefault(port.get("device_id"), []).append(port)
    for index, entry in enumerate(servers):
        path = "servers[%d]" % index
        server = _resolve_server(entry["server"], observed.get("servers") or [], path, errors)
        if server is None:
            continue
        wanted_ids = _wanted_group_ids(entry, server, groups, group_by_id, planned_groups, check_mode, path, errors)
        server_ports = sorted(ports_by_device.get(server["id"], []), key=lambda p: p["id"])
        if not server_ports:
            errors.append("%s.server: server %s (%s) has no ports" % (path, server["name"], server["id"]))
            continue
        for port in _claim_ports(entry.get("ports"), server, server_ports, claimed, path, errors):
            op = _port_update(path, server, port, entry.get("mode") or default_mode, wanted_ids, group_by_id, errors)
            if op is not None:
                ops.append(op)
    if errors:
        raise PlanError(errors)
    return ops


def _wanted_group_ids(entry, server, groups, group_by_id, planned_groups, check_mode, path, errors):
    """The ids of the groups an entry names, in its order, once each; a planned group's placeholder (check mode)
    joins ``group_by_id``."""
    planned = dict((name, planned_group(name, server.get("project_id")) if check_mode else None) for name in planned_groups or ())
    wanted = []
    for group_index, text in enumerate(entry.get("security_groups") or []):
        found = _resolve_group(text, server.get("project_id"), groups, "%s.security_groups[%d]" % (path, group_index), errors, planned)
        if found is not None and is_planned(found["id"]):
            group_by_id.setdefault(found["id"], found)
        if found is not None and found["id"] not in wanted:
            wanted.append(found["id"])
    return wanted


def _claim_ports(selector, server, server_ports, claimed, path, errors):
    """The server's ports an entry chooses that no earlier entry chose (each port may be declared once)."""
    chosen = []
    for port in _select_ports(selector, server_ports, path, errors):
        if port["id"] in claimed:
            errors.append(
                "%s.ports: port %s of server %s is also chosen by %s; each port may be declared once" % (path, port["id"], server["name"], claimed[port["id"]])
            )
            continue
        claimed[port["id"]] = path
        chosen.append(port)
    return chosen


def _groups_after(mode, current, wanted_ids):
    """The ids of the groups a port wears after the plan, sorted: exactly the wanted ones, or added, or removed."""
    if mode == "exact":
        return sorted(set(wanted_ids))
    if mode == "add":
        return sorted(set(current) | set(wanted_ids))
    return sorted(set(current) - set(wanted_ids))


def _port_errors(path, server, port, after, group_by_id):
    """Why Neutron would refuse these groups on this port: port security off, another project's group, a mix
    of stateful and stateless groups."""
    if not port.get("port_security_enabled", True) and after:
        return ["%s: port %s of server %s has port security disabled; Neutron accepts no security groups there" % (path, port["id"], server["name"])]
    errors = []
    for group_id in after:
        group = group_by_id.get(group_id)
        if group is not None and group.get("project_id") != port.get("project_id") and not group.get("shared"):
            errors.append(
                "%s: security group %s (%s) belongs to project %s, which port %s of project %s can "
                "not use" % (path, group["name"], group_id, group.get("project_id"), port["id"], port.get("project_id"))
            )
    # A planned group's statefulness is not known yet: the real run checks it.
    known = [g for g in after if g in group_by_id and not is_planned(g)]
    if len(set(bool(group_by_id[g].get("stateful", True)) for g in known)) > 1:
        kinds = ", ".join("%s=%s" % (group_by_id[g]["name"], "stateful" if group_by_id[g].get("stateful", True) else "stateless") for g in known)
        errors.append("%s: port %s would mix stateful and stateless groups (%s); Neutron refuses that" % (path, port["id"], kinds))
    return errors


def _group_names(ids, group_by_id):
    return sorted(group_by_id[g]["name"] if g in group_by_id else g for g in ids)


def _port_update(path, server, port, mode, wanted_ids, group_by_id, errors):
    """The update_port operation of one port, None when it keeps its groups (or when Neutron would refuse:
    then the reason is in ``errors``)."""
    current = list(port.get("security_group_ids") or [])
    after = _groups_after(mode, current, wanted_ids)
    if sorted(set(current)) == after:
        return None
    refused = _port_errors(path, server, port, after, group_by_id)
    if refused:
        errors.extend(refused)
        return None
    before = _group_names(sorted(set(current)), group_by_id)
    created = _group_names([g for g in after if is_planned(g) and g not in current], group_by_id)
    reason = "%s: the port wears %s, the declaration (mode %s) says %s" % (
        path,
        ", ".join(before) or "no group",
        mode,
        ", ".join(_group_names(after, group_by_id)) or "no group",
    )
    if created:
        reason += "; %s" % "; ".join("would attach %s (created by this plan)" % name for name in created)
    return {
        "action": "update_port",
        "server": server["name"],
        "server_id": server["id"],
        "port": port["id"],
        "port_name": port.get("name") or "",
        "fixed_ips": list(port.get("fixed_ips") or []),
        "before": before,
        "after": _group_names(after, group_by_id),
        "security_group_ids": after,
        "created_by_plan": created,
        "path": path,
        "reason": reason,
    }


def simulate_ports(observed, ops):
    """The observed ports after the plan (pure)."""
    after = dict((op["port"], op["security_group_ids"]) for op in ops)
    ports = []
    for port in observed.get("ports") or []:
        port = dict(port)
        if port["id"] in after:
            port["security_group_ids"] = list(after[port["id"]])
        ports.append(port)
    return ports


def server_view(servers, observed, ports):
    """Per server: its ports and the groups each wears (names), and the union."""
    group_names = dict((g["id"], g["name"]) for g in observed.get("groups") or [])
    for port in ports:
        for group_id in port.get("security_group_ids") or []:
            if is_planned(group_id):
                group_names[group_id] = group_id.removeprefix(PLANNED_PREFIX)
    result = []
    resolved = []
    for entry in servers:
        for server in observed.get("servers") or []:
            if entry["server"] in (server["id"], server["name"]):
                resolved.append(server)
                break
    for server in resolved:
        server_ports = sorted([p for p in ports if p.get("device_id") == server["id"]], key=lambda p: p["id"])
        union = []
        shown = []
        for port in server_ports:
            names = sorted(group_names.get(g, g) for g in port.get("security_group_ids") or [])
            for name in names:
                if name not in union:
                    union.append(name)
            shown.append(
                {
                    "id": port["id"],
                    "name": port.get("name") or "",
                    "fixed_ips": list(port.get("fixed_ips") or []),
                    "network": port.get("network_name") or port.get("network_id"),
                    "security_groups": names,
                }
            )
        result.append({"server": server["name"], "id": server["id"], "security_groups": sorted(union), "ports": shown})
    return result


# --- the lockout guard ----------------------------------------------------

ALLOW_ALL_INGRESS = ({"direction": "ingress", "ethertype": "IPv4"}, {"direction": "ingress", "ethertype": "IPv6"})


def _server_rules(server_ports, group_by_id):
    """(rules, unknown planned group names) of what a server's ports admit, as one rule list.

    A port with port security disabled admits everything; a planned group's rules are not known yet.
    """
    rules, unknown = [], []
    for port in server_ports:
        if not port.get("port_security_enabled", True):
            rules.extend(dict(rule) for rule in ALLOW_ALL_INGRESS)
            continue
        for group_id in port.get("security_group_ids") or []:
            group = group_by_id.get(group_id)
            if group is None or group.get("rules") is None:
                unknown.append(group["name"] if group else group_id)
                continue
            # Protocol 0 is any protocol to Neutron's drivers (so it admits tcp/22 too).
            rules.extend(dict(rule, protocol=None) if str(rule.get("protocol")).lower() in ("0", "hopopt") else rule for rule in group["rules"])
    return rules, sorted(set(unknown))


def _wears_nothing(server_ports):
    return all(port.get("port_security_enabled", True) and not port.get("security_group_ids") for port in server_ports)


def _port_text(port, group_by_id):
    names = [group_by_id[g]["name"] if g in group_by_id else g for g in port.get("security_group_ids") or []]
    where = ", ".join(list(port.get("fixed_ips") or []) + ([port["network_name"]] if port.get("network_name") else []))
    return "port %s%s wears %s" % (port["id"], " (%s)" % where if where else "", ", ".join(sorted(names)) or "no group")


def find_server_lockouts(observed, ops, lockout_ports):
    """Servers that the plan cuts off: left with no group at all, or no longer admitting a guarded tcp port.

    A server is judged as a whole (all its ports, changed or not): it is cut off from tcp/P when some
    port admitted P before the plan and none does after (``_lockout.find_lockouts`` over the union of
    the rules of the groups its ports wear).  Returns (findings, undecided): each finding
    {server, server_id, kind (no_group / port), ports, message}; ``undecided`` lists messages for servers
    whose end state wears planned groups whose rules are not known yet (check mode).
    """
    group_by_id = dict((g["id"], g) for g in observed.get("groups") or [])
    for op in ops:
        for group_id in op["security_group_ids"]:
            if is_planned(group_id):
                group_by_id.setdefault(group_id, planned_group(group_id.removeprefix(PLANNED_PREFIX), None))
    after_ports = simulate_ports(observed, ops)
    servers = []
    for op in ops:
        if (op["server_id"], op["server"]) not in servers:
            servers.append((op["server_id"], op["server"]))
    findings, undecided = [], []
    for server_id, server_name in servers:
        before = sorted([p for p in observed.get("ports") or [] if p.get("device_id") == server_id], key=lambda p: p["id"])
        after = sorted([p for p in after_ports if p.get("device_id") == server_id], key=lambda p: p["id"])
        label = "server %s (%s)" % (server_name, server_id)
        now = "; ".join(_port_text(p, group_by_id) for p in after)
        if _wears_nothing(after) and not _wears_nothing(before):
            findings.append(
                {
                    "server": server_name,
                    "server_id": server_id,
                    "kind": "no_group",
                    "ports": [],
                    "message": "LOCKOUT: this change leaves %s with no security group on any port, so Neutron "
                    "drops all its traffic, SSH included (after it: %s). Declare the groups it "
                    "should wear, or set lockout_guard=warn (or ignore) if this is intended." % (label, now),
                }
            )
            continue
        rules_before, _unknown = _server_rules(before, group_by_id)
        rules_after, unknown = _server_rules(after, group_by_id)
        lost = lockout.find_lockouts(
            [{"id": server_id, "name": server_name, "rules": rules_before}], [{"id": server_id, "name": server_name, "rules": rules_after}], lockout_ports
        )
        if not lost:
            continue
        ports_text = ", ".join("tcp/%d" % port for port in lost[0]["ports"])
        if unknown:
            undecided.append(
                "lockout guard: after this change no existing group of %s admits %s; whether %s (created "
                "by this plan) does is judged by the real run, which refuses the change if none does" % (label, ports_text, ", ".join(unknown))
            )
            continue
        findings.append(
            {
                "server": server_name,
                "server_id": server_id,
                "kind": "port",
                "ports": lost[0]["ports"],
                "message": "LOCKOUT: after this change no security group that %s wears admits %s, and "
                "before it some did (after it: %s). Keep a group admitting it, or set "
                "lockout_guard=warn (or ignore, or change lockout_ports) if this is intended." % (label, ports_text, now),
            }
        )
    return findings, undecided
