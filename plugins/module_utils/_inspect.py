# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runs behind effective_access and security_groups_audit (private).

Glue only: read the live inventory through the adapter (or take a
declarations file), build an ``_access.Model``, and call the pure code in
``_access`` and ``_audit``.  Nothing here writes to the cloud.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.netsec.openstack.plugins.module_utils import _access as access
from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as cloud
from ansible_collections.netsec.openstack.plugins.module_utils import _audit as auditing
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.connection import open_run
from ansible_collections.netsec.openstack.plugins.module_utils._errors import AccessError, AuditError, InspectError


def _live_model(auth, project, connect):
    run = open_run(auth, {"project": project}, connect=connect)
    inventory = run.reads.observe_inventory(run.project_id)
    return access.model_from_inventory(inventory), inventory, run.project_id, run.counter


def _find_live_target(inventory, ref):
    """(kind, {id, name}, ports) of a server name/id, or of a port id."""
    servers = [s for s in inventory["servers"] if ref in (s["id"], s["name"])]
    by_id = [s for s in servers if s["id"] == ref]
    if by_id:
        servers = by_id
    if len(servers) > 1:
        raise InspectError(
            "server name %r is ambiguous in project %s; use one of the ids: %s"
            % (ref, inventory.get("project_id"), ", ".join(sorted(s["id"] for s in servers)))
        )
    if servers:
        server = servers[0]
        ports = [p for p in inventory["ports"] if p["device_id"] == server["id"]]
        return "server", {"id": server["id"], "name": server["name"]}, ports
    ports = [p for p in inventory["ports"] if p["id"] == ref]
    if ports:
        port = ports[0]
        return "port", {"id": port["id"], "name": port.get("name") or port["id"]}, ports
    raise InspectError("no server (name or id) or port (id) %r in project %s" % (ref, inventory.get("project_id")))


def _question_asked(params):
    return any(params.get(name) is not None for name in ("source", "protocol", "port"))


@contextlib.contextmanager
def _refused_as_inspect_error():
    """The pure code's refusals (``AccessError``, ``AuditError``) become the module's ``InspectError``."""
    try:
        yield
    except (AccessError, AuditError) as exc:
        raise InspectError(str(exc))


def _ask(rules, params, principal, target):
    with _refused_as_inspect_error():
        return access.ask(rules, params["direction"], principal, params.get("protocol"), params.get("port"), target)


def _access_result(mode, target, group_names, rules, params):
    """What both forms of effective_access return: the target, its groups and their merged policy."""
    policy = access.effective_policy(rules, params["direction"])
    return {
        "changed": False,
        "mode": mode,
        "target": target,
        "security_groups": group_names,
        "direction": params["direction"],
        "policy": policy,
        "policy_text": [access.policy_text(entry) for entry in policy],
    }


def effective_access_offline(params):
    model_ = access.model_from_declarations(params["declarations"])
    with _refused_as_inspect_error():
        if params.get("server") is not None:
            names = access.server_groups_offline(model_, params["server"])
            target = params["server"]
        else:
            names = list(params["security_groups"])
            target = "a server wearing %s" % ", ".join(names) if names else "a server wearing no group"
        groups = access.declared_groups(model_, names)
        principal = access.principal_from_source(params.get("source"), model_)
    rules = access.rules_of(groups)
    result = _access_result("declarations", {"kind": "declaration", "name": target}, [g.name for g in groups], rules, params)
    if _question_asked(params):
        result.update(_ask(rules, params, principal, target))
    return result


def effective_access_live(params, auth, connect=cloud.connect):
    model_, inventory, project_id, counter = _live_model(auth, params.get("project"), connect)
    kind, target, ports = _find_live_target(inventory, params["server"])
    group_ids = []
    for port in ports:
        group_ids.extend(g for g in port["security_group_ids"] if g not in group_ids)
    by_id = dict((g.id, g) for g in model_.groups)
    missing = [g for g in group_ids if g not in by_id]
    if missing:
        raise InspectError("the ports of %s wear groups that are not visible in project %s: %s" % (target["name"], project_id, ", ".join(missing)))
    groups = [by_id[g] for g in group_ids]
    with _refused_as_inspect_error():
        principal = access.principal_from_source(params.get("source"), model_)
    rules = access.rules_of(groups)
    result = _access_result("live", dict(target, kind=kind), sorted(set(g.name for g in groups)), rules, params)
    result["project_id"] = project_id
    result["ports"], result["warnings"], any_allowed = _live_ports(ports, by_id, params, principal, target["name"])
    if _question_asked(params):
        result.update(_ask(rules, params, principal, target["name"]))
        if any_allowed and not result["allowed"]:
            result["allowed"] = True
            result["answer"] = "yes: port security is disabled on a port of %s, so nothing filters it" % target["name"]
    result["api_requests"] = counter.as_dict()
    return result


def _live_ports(ports, by_id, params, principal, target_name):
    """The target's ports as shown (with ``allowed`` per port when a question is asked), the warnings about
    ports without port security, and whether any port allows what was asked."""
    shown_ports = []
    warnings = []
    any_allowed = False
    for port in ports:
        shown = {
            "id": port["id"],
            "name": port.get("name") or "",
            "fixed_ips": port["fixed_ips"],
            "network": port.get("network_name"),
            "port_security_enabled": port["port_security_enabled"],
            "security_groups": [by_id[g].name for g in port["security_group_ids"]],
        }
        if _question_asked(params):
            if not port["port_security_enabled"]:
                shown["allowed"] = True
            else:
                port_rules = access.rules_of([by_id[g] for g in port["security_group_ids"]])
                shown["allowed"] = _ask(port_rules, params, principal, target_name)["allowed"]
            any_allowed = any_allowed or shown["allowed"]
        if not port["port_security_enabled"]:
            warnings.append(
                "port %s of %s has port security disabled: its security groups are not enforced and everything can reach it" % (port["id"], target_name)
            )
        shown_ports.append(shown)
    return shown_ports, warnings, any_allowed


def audit_result(model_, params, mode):
    with _refused_as_inspect_error():
        findings = auditing.audit(model_, params.get("admin_ports"))
    fail_on = params.get("fail_on") or "none"
    blocking = auditing.blocking(findings, fail_on)
    result = {
        "changed": False,
        "mode": mode,
        "findings": findings,
        "summary": auditing.summarize(findings),
        "gate": {"fail_on": fail_on, "blocking": len(blocking), "passed": not blocking},
        "warnings": auditing.unknown_waivers(findings, model_),
    }
    return result


def audit_offline(params):
    model_ = access.model_from_declarations(params["declarations"])
    result = audit_result(model_, params, "declarations")
    result["project_id"] = model_.project_id
    return result


def audit_live(params, auth, connect=cloud.connect):
    model_, _inventory, project_id, counter = _live_model(auth, params.get("project"), connect)
    result = audit_result(model_, params, "live")
    result["project_id"] = project_id
    result["api_requests"] = counter.as_dict()
    return result
