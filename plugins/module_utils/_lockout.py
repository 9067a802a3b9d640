# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lockout guard: plans that take away the last way in (private).

Pure code, no I/O.  A plan that removes every ingress rule admitting
tcp/22 (or another guarded port) from a group that servers wear cuts those
servers off from SSH.  Two judges of an END state (the plan applied,
replacements included): ``find_port_lockouts`` per port, over the union of
the groups it wears before and after (rules or attachments changed: the
security group modules and server_security_groups alike, a port left with
no group included); ``find_lockouts`` per group, before and after; ``lockout_messages`` words the warning (or the error, with
``lockout_guard=fail``) once the caller has read which ports wear the
groups found.  The read is needed only when something was found, so the
common run costs no extra request.

A rule admits tcp/P when it is ingress, its protocol is tcp or any, its
port range covers P (no range = every port), whatever its source (a prefix,
a remote group or an address group), in either ethertype.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

DEFAULT_PORTS = [22]
GUARD_MODES = ("warn", "fail", "ignore")
DEFAULT_MODE = "warn"
# The module options (documented in the doc fragment netsec.openstack.lockout).
ARGUMENT_SPEC = dict(
    lockout_ports=dict(type="list", elements="int", default=list(DEFAULT_PORTS)),
    lockout_guard=dict(type="str", default=DEFAULT_MODE, choices=list(GUARD_MODES)),
)
OPTION_NAMES = tuple(sorted(ARGUMENT_SPEC))


def options_of(params):
    """The lockout options from a module's params, for ``_reconcile``."""
    return dict((name, params[name]) for name in OPTION_NAMES if name in params)


def admits_tcp_port(key, port):
    """True when the RuleKey ``key`` admits inbound tcp/``port`` from some source."""
    if key.direction != "ingress":
        return False
    if key.protocol is None:
        return True
    if key.protocol != "tcp":
        return False
    if key.port_min is None:
        return True
    high = key.port_min if key.port_max is None else key.port_max
    return key.port_min <= port <= high


def admitted_ports(rules, ports):
    """The guarded ``ports`` some of ``rules`` (Neutron-shaped dicts) admit, as a set."""
    keys = []
    for rule in rules or []:
        try:
            keys.append(model.key_from_neutron(rule))
        except model.ModelError:
            continue
    return set(port for port in ports if any(admits_tcp_port(key, port) for key in keys))


def _groups_of(state):
    if isinstance(state, dict):
        return state.get("groups") or []
    return list(state or [])


def find_lockouts(before, after, ports=None):
    """Groups that lose every ingress rule admitting a guarded tcp port.

    ``before`` and ``after`` are states (``{"groups": [...]}``) or lists of
    groups, each ``{"id", "name", "rules": [neutron rule dicts]}``;
    ``after`` is usually ``_plan.simulate(before, plan)``.  A group the plan
    deletes is not reported (deleting a group that ports wear is refused
    anyway), nor is a group the plan creates (it admitted nothing before).
    Returns ``[{"group", "group_id", "ports": [lost ports], "rules_removed":
    [rule ids]}]`` sorted by group name.
    """
    ports = sorted(set(DEFAULT_PORTS if ports is None else ports))
    if not ports:
        return []
    after_by_id = dict((group["id"], group) for group in _groups_of(after))
    found = []
    for group in _groups_of(before):
        later = after_by_id.get(group["id"])
        if later is None:
            continue
        had = admitted_ports(group.get("rules"), ports)
        if not had:
            continue
        lost = sorted(had - admitted_ports(later.get("rules"), ports))
        if not lost:
            continue
        remaining = set(rule.get("id") for rule in later.get("rules") or [])
        removed = [rule.get("id") for rule in group.get("rules") or [] if rule.get("id") not in remaining and admitted_ports([rule], lost)]
        found.append({"group": group.get("name"), "group_id": group["id"], "ports": lost, "rules_removed": sorted(removed)})
    found.sort(key=lambda item: (item["group"] or "", item["group_id"]))
    return found


# --- the end state of ports (union of the groups each port wears) -----------------


def _rules_by_group(groups):
    return dict((group["id"], group.get("rules") or []) for group in _groups_of(groups))


def _port_access(group_ids, rules_by_group, ports):
    """(guarded ports the groups admit together, ids of groups whose rules are unknown)."""
    admitted, unknown = set(), []
    for group_id in group_ids:
        if group_id not in rules_by_group:
            unknown.append(group_id)
            continue
        admitted |= admitted_ports(rules_by_group[group_id], ports)
    return admitted, unknown


def find_port_lockouts(ports_before, groups_before, ports_after=None, groups_after=None, ports=None):
    """Ports (of servers) that the END state leaves without a way in on a guarded tcp port, or with no group.

    A port admits tcp/P when any group it wears does (Neutron applies the
    union).  ``ports_before`` are port dicts (``id``, ``device_id``,
    ``name``, ``fixed_ips``, ``security_group_ids``) as they are;
    ``ports_after`` the same ports in the end state, by id (None or a
    missing port: its groups do not change).  ``groups_before`` /
    ``groups_after`` are states or lists of groups with their rules
    (``groups_after`` None: the rules do not change), e.g. the observed state
    and ``_plan.simulate(observed, plan)`` with every replacement in it, so
    both callers judge the same thing: the security group modules (rules
    change) and ``server_security_groups`` (attachments change).  A group
    whose rules are not given admits nothing and is listed in
    ``unknown_groups``.

    Returns ``[{"port", "server", "ports": [lost guarded ports], "no_group":
    bool, "groups_before", "groups_after", "unknown_groups"}]`` sorted by
    server then port: a port that wore a group and wears none is always
    reported (no group admits anything); otherwise a port is reported when
    it admitted a guarded port before and admits it no longer.
    """
    ports = sorted(set(DEFAULT_PORTS if ports is None else ports))
    rules_before = _rules_by_group(groups_before)
    rules_after = rules_before if groups_after is None else _rules_by_group(groups_after)
    after_by_id = dict((port["id"], port) for port in ports_after or [])
    found = []
    for port in ports_before or []:
        before_ids = list(port.get("security_group_ids") or [])
        after_ids = list(after_by_id.get(port["id"], port).get("security_group_ids") or [])
        had, _unknown = _port_access(before_ids, rules_before, ports)
        has, unknown = _port_access(after_ids, rules_after, ports)
        no_group = bool(before_ids) and not after_ids
        lost = sorted(had - has)
        if no_group or lost:
            found.append(
                {
                    "port": port["id"],
                    "server": port.get("device_id"),
                    "ports": lost,
                    "no_group": no_group,
                    "groups_before": sorted(before_ids),
                    "groups_after": sorted(after_ids),
                    "unknown_groups": sorted(unknown),
                }
            )
    found.sort(key=lambda item: (item["server"] or "", item["port"]))
    return found


def port_lockout_messages(findings, ports_before=None):
    """One message per finding of ``find_port_lockouts`` (``ports_before`` adds names and addresses)."""
    by_id = dict((port["id"], port) for port in ports_before or [])
    messages = []
    for finding in findings:
        where = _port_text(by_id.get(finding["port"], {"id": finding["port"], "device_id": finding["server"]}))
        if finding["no_group"]:
            what = "wears no security group at all afterwards (it wore %s), so it admits nothing" % (", ".join(finding["groups_before"]))
        else:
            lost = ", ".join("tcp/%d" % port for port in finding["ports"])
            what = "admitted %s before and no group it wears afterwards (%s) does" % (lost, ", ".join(finding["groups_after"]))
        if finding["unknown_groups"]:
            what += " (rules of %s unknown)" % ", ".join(finding["unknown_groups"])
        messages.append(
            (finding, "LOCKOUT: port %s %s. Keep a group admitting it, or set lockout_guard=ignore (or lockout_ports) if this is intended." % (where, what))
        )
    return messages


def _port_text(port):
    """``port-id (server <device_id>, 10.0.0.5)`` for one port dict."""
    details = []
    if port.get("device_id"):
        details.append("server %s" % port["device_id"])
    details.extend(port.get("fixed_ips") or [])
    name = port.get("name")
    label = "%s %s" % (port["id"], name) if name else port["id"]
    return "%s (%s)" % (label, ", ".join(details)) if details else label


def lockout_messages(lockouts, ports_by_group):
    """One message per lockout whose group ports wear; groups on no port are left out.

    ``ports_by_group`` maps a group id to the port dicts (``id``, ``name``,
    ``device_id``, ``fixed_ips``) that wear it.  Returns a list of
    ``(finding, message)``.
    """
    messages = []
    for finding in lockouts:
        wearers = sorted(ports_by_group.get(finding["group_id"]) or [], key=lambda p: (p.get("device_id") or "", p["id"]))
        if not wearers:
            continue
        servers = sorted(set(p.get("device_id") for p in wearers if p.get("device_id")))
        lost = ", ".join("tcp/%d" % port for port in finding["ports"])
        message = (
            "LOCKOUT: this plan removes every ingress rule of security group %s (%s) that admits %s, and %d "
            "port(s) of %d server(s) wear that group: %s. Nothing else admits %s to them through this group; "
            "if no other group they wear does, they become unreachable on %s. Keep a rule admitting it, or set "
            "lockout_guard=ignore (or lockout_ports) if this is intended."
            % (finding["group"], finding["group_id"], lost, len(wearers), len(servers), "; ".join(_port_text(p) for p in wearers), lost, lost)
        )
        messages.append((finding, message))
    return messages


def validate_options(ports, mode):
    """Errors in ``lockout_ports`` / ``lockout_guard`` (the argspec checks the types)."""
    errors = []
    for index, port in enumerate(ports or []):
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            errors.append("lockout_ports[%d]: expected a tcp port 1-65535, got %r" % (index, port))
    if mode not in GUARD_MODES:
        errors.append("lockout_guard: expected one of %s, got %r" % (", ".join(GUARD_MODES), mode))
    return errors
