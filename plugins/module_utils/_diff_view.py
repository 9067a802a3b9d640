# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Diffs a reviewer can read: per group (and per server port) a before/after text (private).

Pure code, no I/O.  Ansible renders ``result["diff"]`` given as a list of
``{before_header, after_header, before, after}`` as one unified diff per
item.  Each security group becomes one item: its name in the headers, its
fields, then one canonical line per rule, sorted::

    description: "Public web tier"
    stateful: true
    tags: managed-by=netsec.openstack
    shared_with:
      *
      team-a (3f2a...)
    rules:
      ingress tcp 22 from 0.0.0.0/0 "ssh"
      ingress IPv6 tcp 5432 from group web

so a changed description is a one-line change and a replaced rule a -/+
pair.  ``shared_with`` (only for a declaration that manages sharing) lists the
projects the group is shared with, ``*`` for every project, a project's name
where the declaration used it.  Address groups and server ports (which
groups each wears) the same.
Only what changes is listed.  The input is the machine-readable before/after
that the planner computes from the plan (``_plan.diff``), so check mode and
the real run show the same diff.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

ANY_PREFIX = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}
# Protocol 0 (stored as 0, or as its name hopopt): Neutron's drivers match every protocol.
ZERO_PROTOCOLS = ("0", "hopopt")


def _quoted(text):
    return json.dumps(text, ensure_ascii=False)


def _protocol_text(rule):
    protocol = str(rule.get("protocol") if rule.get("protocol") is not None else "any")
    if protocol.lower() in ZERO_PROTOCOLS:
        return "protocol 0 (any)"
    if rule.get("icmp_type") is not None:
        text = "%s type %s" % (protocol, rule["icmp_type"])
        if rule.get("icmp_code") is not None:
            text += " code %s" % rule["icmp_code"]
        return text
    if rule.get("port") is not None:
        return "%s %s" % (protocol, rule["port"])
    return protocol


def rule_line(rule):
    """One canonical line for a rule in the declaration's shape (``_model.key_to_declaration``).

    ``ingress tcp 22 from 0.0.0.0/0 "ssh"``; the ethertype is written out only where the
    remote does not show it (a remote group or address group).
    """
    direction = rule.get("direction") or "ingress"
    ethertype = rule.get("ethertype") or "IPv4"
    if rule.get("remote_group"):
        remote = "group %s" % rule["remote_group"]
    elif rule.get("remote_address_group"):
        remote = "address group %s" % rule["remote_address_group"]
    else:
        remote = rule.get("remote_ip_prefix") or ANY_PREFIX.get(ethertype, "anywhere")
    words = [direction]
    if rule.get("remote_group") or rule.get("remote_address_group"):
        words.append(ethertype)
    words.append(_protocol_text(rule))
    words.append("from" if direction == "ingress" else "to")
    words.append(remote)
    if rule.get("description"):
        words.append(_quoted(rule["description"]))
    return " ".join(words)


def _shared_with_lines(item):
    """The ``shared_with`` lines of a group or address group (none when its sharing is not managed)."""
    if "shared_with" not in item:
        return []
    targets = item["shared_with"]
    return ["shared_with:%s" % ("" if targets else " (nobody)")] + ["  %s" % target for target in sorted(targets)]


def group_text(group):
    """A security group (``_plan.render_group``'s shape) as sorted lines; empty when absent."""
    if group is None:
        return ""
    lines = [
        "description: %s" % _quoted(group.get("description") or ""),
        "stateful: %s" % ("true" if group.get("stateful", True) else "false"),
        "tags: %s" % (", ".join(sorted(group.get("tags") or [])) or "(none)"),
    ]
    lines.extend(_shared_with_lines(group))
    rules = group.get("rules")
    if rules is None:
        lines.append("rules: (not managed)")
    else:
        lines.append("rules:%s" % ("" if rules else " (none)"))
        lines.extend("  %s" % line for line in sorted(rule_line(rule) for rule in rules))
    return "\n".join(lines) + "\n"


def address_group_text(address_group):
    if address_group is None:
        return ""
    lines = ["description: %s" % _quoted(address_group.get("description") or ""), "addresses:%s" % ("" if address_group.get("addresses") else " (none)")]
    lines.extend("  %s" % address for address in address_group.get("addresses") or [])
    lines.extend(_shared_with_lines(address_group))
    return "\n".join(lines) + "\n"


def _by_name(items):
    """{name: item}; a name seen twice gets ' #2' (namesakes stay apart)."""
    result = {}
    for item in items or []:
        name = item.get("name") or ""
        shown, count = name, 1
        while shown in result:
            count += 1
            shown = "%s #%d" % (name, count)
        result[shown] = item
    return result


def _items(kind, before, after, render):
    old, new = _by_name(before), _by_name(after)
    items = []
    for name in sorted(set(old) | set(new)):
        before_text, after_text = render(old.get(name)), render(new.get(name))
        if before_text == after_text:
            continue
        items.append(
            {
                "before_header": "%s %s%s" % (kind, name, "" if name in old else " (does not exist)"),
                "after_header": "%s %s%s" % (kind, name, "" if name in new else " (deleted)"),
                "before": before_text,
                "after": after_text,
            }
        )
    return items


def group_diffs(diff):
    """``_plan.diff``'s {before, after} of security groups and address groups -> Ansible diff items."""
    before, after = diff.get("before") or {}, diff.get("after") or {}
    return _items("address group", before.get("address_groups"), after.get("address_groups"), address_group_text) + _items(
        "security group", before.get("security_groups"), after.get("security_groups"), group_text
    )


def _port_label(server, port):
    where = list(port.get("fixed_ips") or [])
    if port.get("network"):
        where.append("on %s" % port["network"])
    name = " %s" % port["name"] if port.get("name") else ""
    return "server %s port %s%s%s" % (server.get("server"), port["id"], name, " (%s)" % " ".join(where) if where else "")


def _ports_of(servers):
    ports = {}
    for server in servers or []:
        for port in server.get("ports") or []:
            ports[(server.get("server") or "", server.get("id") or "", port["id"])] = (server, port)
    return ports


def attachment_diffs(before, after):
    """Servers before/after (``_attachments.server_view``) -> one item per changed port, sorted by server and port.

    Each side lists the groups the port wears, one per line, sorted.
    """
    old, new = _ports_of(before), _ports_of(after)
    items = []
    for identity in sorted(set(old) | set(new)):
        server, port = new.get(identity) or old[identity]

        def text(side):
            found = side.get(identity)
            if found is None:
                return ""
            groups = sorted(found[1].get("security_groups") or [])
            return "".join("%s\n" % group for group in groups) if groups else "(no security group)\n"

        before_text, after_text = text(old), text(new)
        if before_text == after_text:
            continue
        label = _port_label(server, port)
        items.append({"before_header": label, "after_header": label, "before": before_text, "after": after_text})
    return items


def readable(result, render=group_diffs):
    """Put the readable diff in ``result["diff"]`` and keep the machine-readable one as ``diff_data``.

    Returns the result (changed in place); a result without a diff is left alone.
    """
    if "diff" in result and isinstance(result["diff"], dict):
        result["diff_data"] = result["diff"]
        result["diff"] = render(result["diff"])
    return result


def server_diffs(diff):
    """server_security_groups' {before: {servers}, after: {servers}} -> Ansible diff items."""
    return attachment_diffs((diff.get("before") or {}).get("servers"), (diff.get("after") or {}).get("servers"))
