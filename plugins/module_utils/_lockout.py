# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lockout guard: plans that take away the last way in (private).

Pure code, no I/O.  A plan that removes every ingress rule admitting
tcp/22 (or another guarded port) from a group that servers wear cuts those
servers off from SSH.  ``find_lockouts`` compares each group before and
after the plan; ``lockout_messages`` words the warning (or the error, with
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
        removed = [rule.get("id") for rule in group.get("rules") or []
                   if rule.get("id") not in remaining and admitted_ports([rule], lost)]
        found.append({"group": group.get("name"), "group_id": group["id"], "ports": lost,
                      "rules_removed": sorted(removed)})
    found.sort(key=lambda item: (item["group"] or "", item["group_id"]))
    return found


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
        message = ("LOCKOUT: this plan removes every ingress rule of security group %s (%s) that admits %s, and %d "
                   "port(s) of %d server(s) wear that group: %s. Nothing else admits %s to them through this group; "
                   "if no other group they wear does, they become unreachable on %s. Keep a rule admitting it, or set "
                   "lockout_guard=ignore (or lockout_ports) if this is intended."
                   % (finding["group"], finding["group_id"], lost, len(wearers), len(servers),
                      "; ".join(_port_text(p) for p in wearers), lost, lost))
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
