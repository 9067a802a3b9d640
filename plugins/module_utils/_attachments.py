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

from ansible_collections.netsec.openstack.plugins.module_utils._plan import PlanError
from ansible_collections.netsec.openstack.plugins.module_utils._schema import (
    DeclarationError,
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
                errors.append("%s: unknown field %r (%sexpected one of: %s)"
                              % (format_path(path + [field]), field, "did you mean %r? " % hint[0] if hint else "",
                                 ", ".join(known)))
        elif error.validator == "anyOf":
            errors.append("%s: expected 'all' or a list of port ids, names, fixed IPs or network names"
                          % format_path(list(error.absolute_path)))
        else:
            errors.extend(_schema_error_message(error))
    # A server may be listed more than once only to give different ports different groups:
    # then every entry names its ports (overlaps are refused by the plan).
    seen = {}
    for index, entry in enumerate(servers):
        if isinstance(entry, dict) and isinstance(entry.get("server"), str):
            first = seen.get(entry["server"])
            if first is not None and not (isinstance(entry.get("ports"), list) and isinstance(servers[first].get("ports"), list)):
                errors.append("servers[%d].server: %r is listed twice (also servers[%d]); list it once, or give each entry "
                              "its own ports" % (index, entry["server"], first))
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
        errors.append("%s.server: server name %r is ambiguous: %s; use an id"
                      % (path, text, ", ".join("%s (project %s)" % (s["id"], s.get("project_id")) for s in by_name)))
    else:
        errors.append("%s.server: server %r not found" % (path, text))
    return None


def _resolve_group(text, project_id, groups, path, errors):
    by_id = [g for g in groups if g["id"] == text]
    if by_id:
        return by_id[0]
    in_project = [g for g in groups if g["name"] == text and g.get("project_id") == project_id]
    if len(in_project) == 1:
        return in_project[0]
    if len(in_project) > 1:
        errors.append("%s: security group name %r is ambiguous in project %s: %s; use an id"
                      % (path, text, project_id, ", ".join(g["id"] for g in in_project)))
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
        matches = [p for p in ports if wanted in (p["id"], p.get("name"), p.get("network_name"), p.get("network_id"))
                   or wanted in (p.get("fixed_ips") or [])]
        if not matches:
            errors.append("%s.ports[%d]: no port of this server matches %r (port id, name, fixed IP or network)"
                          % (path, index, wanted))
        for port in matches:
            if port not in chosen:
                chosen.append(port)
    return chosen


def plan_attachments(servers, observed, default_mode="exact"):
    """Return the list of update_port operations.  Raises PlanError."""
    errors = []
    ops = []
    groups = observed.get("groups") or []
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
        mode = entry.get("mode") or default_mode
        wanted = []
        for group_index, text in enumerate(entry.get("security_groups") or []):
            found = _resolve_group(text, server.get("project_id"), groups, "%s.security_groups[%d]" % (path, group_index),
                                   errors)
            if found is not None and found["id"] not in [g["id"] for g in wanted]:
                wanted.append(found)
        server_ports = sorted(ports_by_device.get(server["id"], []), key=lambda p: p["id"])
        if not server_ports:
            errors.append("%s.server: server %s (%s) has no ports" % (path, server["name"], server["id"]))
            continue
        for port in _select_ports(entry.get("ports"), server_ports, path, errors):
            if port["id"] in claimed:
                errors.append("%s.ports: port %s of server %s is also chosen by %s; each port may be declared once"
                              % (path, port["id"], server["name"], claimed[port["id"]]))
                continue
            claimed[port["id"]] = path
            current = list(port.get("security_group_ids") or [])
            wanted_ids = [g["id"] for g in wanted]
            if mode == "exact":
                after = sorted(set(wanted_ids))
            elif mode == "add":
                after = sorted(set(current) | set(wanted_ids))
            else:
                after = sorted(set(current) - set(wanted_ids))
            if sorted(set(current)) == after:
                continue
            if not port.get("port_security_enabled", True) and after:
                errors.append("%s: port %s of server %s has port security disabled; Neutron accepts no security "
                              "groups there" % (path, port["id"], server["name"]))
                continue
            for group_id in after:
                group = group_by_id.get(group_id)
                if group is None:
                    continue
                if group.get("project_id") != port.get("project_id") and not group.get("shared"):
                    errors.append("%s: security group %s (%s) belongs to project %s, which port %s of project %s can "
                                  "not use" % (path, group["name"], group_id, group.get("project_id"), port["id"],
                                               port.get("project_id")))
            statefulness = set(bool(group_by_id[g].get("stateful", True)) for g in after if g in group_by_id)
            if len(statefulness) > 1:
                kinds = ", ".join("%s=%s" % (group_by_id[g]["name"],
                                             "stateful" if group_by_id[g].get("stateful", True) else "stateless")
                                  for g in after if g in group_by_id)
                errors.append("%s: port %s would mix stateful and stateless groups (%s); Neutron refuses that"
                              % (path, port["id"], kinds))
                continue

            def names(ids):
                return sorted(group_by_id[g]["name"] if g in group_by_id else g for g in ids)

            ops.append({
                "action": "update_port",
                "server": server["name"],
                "server_id": server["id"],
                "port": port["id"],
                "port_name": port.get("name") or "",
                "fixed_ips": list(port.get("fixed_ips") or []),
                "before": names(sorted(set(current))),
                "after": names(after),
                "security_group_ids": after,
                "path": path,
                "reason": "%s: the port wears %s, the declaration (mode %s) says %s"
                          % (path, ", ".join(names(sorted(set(current)))) or "no group", mode,
                             ", ".join(names(after)) or "no group"),
            })
    if errors:
        raise PlanError(errors)
    return ops


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
            names = [group_names.get(g, g) for g in sorted(port.get("security_group_ids") or [])]
            for name in names:
                if name not in union:
                    union.append(name)
            shown.append({"id": port["id"], "name": port.get("name") or "", "fixed_ips": list(port.get("fixed_ips") or []),
                          "network": port.get("network_name") or port.get("network_id"), "security_groups": names})
        result.append({"server": server["name"], "id": server["id"], "security_groups": sorted(union), "ports": shown})
    return result
