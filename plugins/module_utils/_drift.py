# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift report: the modules' check-mode plans as JSON and Markdown (private).

Pure code, no I/O.  ``report()`` takes what
netsec.openstack.security_groups and netsec.openstack.server_security_groups
returned in check mode and says, per group, address group and server, what a
run would create, delete, replace or update, and why (the plan's reasons).
``markdown()`` renders a report for a merge-request comment or a CI summary.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

from ansible_collections.netsec.openstack.plugins.module_utils import _graph as graph
from ansible_collections.netsec.openstack.plugins.module_utils import _operations as operations
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import expand_rule
from ansible_collections.netsec.openstack.plugins.module_utils._model import OWNER_TAG

REPORT_FORMAT = "netsec.openstack/drift-report/v1"
CHANGES = ("create", "delete", "replace", "update")
# Declared groups that match but do not carry the ownership tag yet: apply only tags them.
# Listed, not counted as drift (the cloud's access matches the file).
ADOPT = "adopt"
TYPE_ORDER = {"address_group": 0, "security_group": 1, "server": 2}
TYPE_TITLES = {"address_group": "address group", "security_group": "group", "server": "server"}
# Protocol 0 as Neutron stores it, or as the rule model names the number: any protocol to Neutron's drivers, and
# worded so in every report (as in _access and _graph).
PROTOCOL_ZERO = graph.PROTOCOL_ZERO
PROTOCOL_ZERO_TEXT = "protocol 0 (any)"
NOTE_FIELDS = ("audit_waive", "protocol_note")


def _plan_of(result):
    """The plan of a registered module result; none when the task was skipped or is missing."""
    if not isinstance(result, dict) or result.get("skipped"):
        return []
    if result.get("failed"):
        raise ValueError("the module failed, so there is no plan to report: %s" % result.get("msg"))
    return list(result.get("plan") or [])


def describe_rule(rule):
    """A rule in the declaration's shape (as plans show it) in words."""
    try:
        keys = [r.key for r in expand_rule(dict((k, v) for k, v in rule.items() if k not in NOTE_FIELDS), "rule")]
    except (ValueError, TypeError, KeyError):
        return str(rule)
    text = "; ".join(graph.rule_text(key) for key in keys)
    if rule.get("description"):
        text += " (%r)" % rule["description"]
    return text


def shown_rule(rule):
    """A plan's rule for the report: protocol 0 as Neutron stores it (0, not its name hopopt), with the note
    that it means any protocol (``protocol_note``, as the audit and effective_access say it)."""
    if not isinstance(rule, dict) or str(rule.get("protocol")).lower() not in PROTOCOL_ZERO:
        return rule
    return dict(rule, protocol=0, protocol_note=PROTOCOL_ZERO_TEXT)


def without_description(rule):
    return dict((k, v) for k, v in (rule or {}).items() if k != "description")


def _short(port_id):
    return str(port_id)[:8]


def _change(op, change, **extra):
    entry = {"change": change, "action": op["action"]}
    entry.update(extra)
    if "rule" in entry:
        entry["rule"] = shown_rule(entry["rule"])
    if op.get("reason"):
        entry["reason"] = op["reason"]
    if op.get("path"):
        entry["path"] = op["path"]
    return entry


def _group_changes(plan):
    """(type, name) -> [change], in plan order; each kind words its own (``_operations``)."""
    objects = {}
    order = []
    words = sys.modules[__name__]
    for op in plan:
        kind = operations.KINDS.get(op["action"])
        if kind is None:
            identity, entry = ("security_group", op.get("group") or op.get("address_group")), _change(op, "update", what=op["action"])
        else:
            change, extra = kind.drift(op, words)
            identity, entry = (kind.object_type_of(op), kind.object_name(op)), _change(op, change, **extra)
        if identity not in objects:
            objects[identity] = []
            order.append(identity)
        objects[identity].append(entry)
    return objects, order


def only_adoption(changes):
    if set(changes) != set(["tags"]):
        return False
    before, after = set(changes["tags"].get("before") or []), set(changes["tags"].get("after") or [])
    return OWNER_TAG not in before and after == before | set([OWNER_TAG])


def attribute_changes(changes):
    parts = []
    for field in sorted(changes):
        before, after = changes[field].get("before"), changes[field].get("after")
        if isinstance(before, list) or isinstance(after, list):
            parts.append("%s [%s] -> [%s]" % (field, ", ".join(before or []), ", ".join(after or [])))
        else:
            parts.append("%s %r -> %r" % (field, before, after))
    return "; ".join(parts)


def _server_changes(plan, objects, order):
    for op in plan:
        if op.get("action") != "update_port":
            continue
        before, after = sorted(op.get("before") or []), sorted(op.get("after") or [])
        port = op.get("port_name") or _short(op.get("port"))
        ips = ", ".join(op.get("fixed_ips") or [])
        entry = _change(
            op,
            "update",
            what="port %s%s: wears [%s], declared [%s]" % (port, " (%s)" % ips if ips else "", ", ".join(before), ", ".join(after)),
            port=op.get("port"),
            before=before,
            after=after,
            added=[g for g in after if g not in before],
            removed=[g for g in before if g not in after],
        )
        identity = ("server", op.get("server"))
        if identity not in objects:
            objects[identity] = []
            order.append(identity)
        objects[identity].append(entry)


def _not_declared(declarations, live):
    if not isinstance(live, dict):
        return None
    declarations = declarations or {}
    declared_groups = set(g.get("name") for g in declarations.get("groups") or [])
    declared_servers = set(s.get("server") for s in declarations.get("servers") or [])
    return {
        "security_groups": sorted(g["name"] for g in live.get("groups") or [] if g.get("name") not in declared_groups),
        "address_groups": sorted(
            a["name"] for a in live.get("address_groups") or [] if a.get("name") not in set(x.get("name") for x in declarations.get("address_groups") or [])
        ),
        "servers": sorted(set(s["server"] for s in live.get("servers") or [] if s.get("server") not in declared_servers)),
    }


def report(groups_result, servers_result=None, declarations=None, live=None, source=None):
    """The drift report (a JSON-serialisable dict)."""
    groups_plan = _plan_of(groups_result)
    servers_plan = _plan_of(servers_result)
    objects, order = _group_changes(groups_plan)
    _server_changes(servers_plan, objects, order)
    order.sort(key=lambda identity: (TYPE_ORDER.get(identity[0], 9), str(identity[1])))
    counts = dict((change, 0) for change in CHANGES + (ADOPT,))
    listed = []
    adopted = []
    for identity in order:
        changes = [entry for entry in objects[identity] if entry["change"] != ADOPT]
        if len(changes) < len(objects[identity]):
            adopted.append(identity[1])
        for entry in objects[identity]:
            counts[entry["change"]] = counts.get(entry["change"], 0) + 1
        if changes:
            listed.append({"type": identity[0], "name": identity[1], "changes": changes})
    counts["total"] = sum(counts[c] for c in CHANGES)
    declarations = declarations if isinstance(declarations, dict) else {}
    result = {
        "format": REPORT_FORMAT,
        "drift": counts["total"] > 0,
        "status": "drift" if counts["total"] else "clean",
        "source": source,
        "project": declarations.get("project"),
        "project_id": groups_result.get("project_id") if isinstance(groups_result, dict) else None,
        "counts": counts,
        "objects": listed,
        "adopt": sorted(adopted),
    }
    not_declared = _not_declared(declarations, live)
    if not_declared is not None:
        result["not_declared"] = not_declared
    return result


# --- Markdown -----------------------------------------------------------------


def _cell(text):
    return str(text if text is not None else "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text):
    return "`%s`" % str(text).replace("`", "'")


def markdown(data, picture=None, title="Security group drift"):
    """A drift report as Markdown; ``picture`` (Mermaid text) is appended as a diagram."""
    lines = ["## %s" % title, ""]
    where = []
    if data.get("source"):
        where.append("declarations %s" % _code(data["source"]))
    if data.get("project") or data.get("project_id"):
        where.append("project %s" % _code(data.get("project") or data.get("project_id")))
    status = data.get("status")
    if status == "error":
        lines.append("**Error**: no plan could be computed%s." % (" for " + ", ".join(where) if where else ""))
        lines.extend(["", "```", str(data.get("error") or "").strip(), "```"])
    elif status == "clean":
        lines.append("**No drift**: the cloud matches %s." % (", ".join(where) or "the declarations"))
    else:
        counts = data.get("counts") or {}
        lines.append(
            "**Drift: %d change(s)** (%s)%s."
            % (counts.get("total", 0), ", ".join("%d %s" % (counts.get(c, 0), c) for c in CHANGES), " against " + ", ".join(where) if where else "")
        )
        lines.extend(["", "A run of `apply.yml` would make these changes:", "", "| Object | Change | What | Reason |", "| --- | --- | --- | --- |"])
        for item in data.get("objects") or []:
            label = "%s %s" % (TYPE_TITLES.get(item["type"], item["type"]), _code(item["name"]))
            for entry in item["changes"]:
                cells = (_cell(label), entry["change"], _cell(entry.get("what")), _cell(entry.get("reason")))
                lines.append("| %s | %s | %s | %s |" % cells)
    if data.get("adopt"):
        lines.extend(
            [
                "",
                "Declared groups that match but are not tagged %s yet (the next apply adds the tag, "
                "nothing else; not drift): %s." % (_code(OWNER_TAG), ", ".join(_code(n) for n in data["adopt"])),
            ]
        )
    not_declared = data.get("not_declared") or {}
    extra = [(kind, names) for kind, names in sorted(not_declared.items()) if names]
    if extra:
        lines.extend(["", "Not in the declarations (left alone; not drift):", ""])
        for kind, names in extra:
            lines.append("- %s: %s" % (kind.replace("_", " "), ", ".join(_code(n) for n in names)))
    if picture:
        lines.extend(
            ["", "<details><summary>Declared access (who may talk to whom)</summary>", "", "```mermaid", picture.rstrip("\n"), "```", "", "</details>"]
        )
    return "\n".join(lines) + "\n"
