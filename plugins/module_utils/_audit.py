# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit checks over security groups (private to this collection).

Pure code, no I/O.  ``audit`` runs every check over a ``_access.Model``
(declarations or live inventory) and returns findings, each::

    {id, check, severity, group, rule, path, message, hint, waived, waiver}

Finding ids are deterministic and readable: ``<check>:<group>`` for checks
about a whole group, ``<check>:<group>:<rule text>`` for checks about a rule,
where the rule text is the canonical ``direction/ethertype/protocol/ports/remote``
(``ingress/IPv4/tcp/22/any``, ``egress/IPv6/any/all/group=web``).  The same
rule has the same id whether it is audited in a declarations file or live.

A finding is waived by listing its id, or its check name (every finding of
that check for the rule), in the rule's ``audit_waive`` (declarations), or in
a group tag ``audit-waive:<id or check>`` (declarations and live; a check name
there waives that check for the whole group).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netsec.openstack.plugins.module_utils import _access as access
from ansible_collections.netsec.openstack.plugins.module_utils import _fields as fields
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._errors import AuditError

SEVERITIES = ("low", "medium", "high")
SEVERITY_RANK = {"none": 99, "low": 1, "medium": 2, "high": 3}
WAIVER_TAG_PREFIX = "audit-waive:"

# Administrative and database services that should never be open to the world.
DEFAULT_ADMIN_PORTS = {
    22: "SSH",
    23: "Telnet",
    135: "MS RPC",
    139: "NetBIOS",
    445: "SMB",
    1433: "SQL Server",
    1521: "Oracle",
    2049: "NFS",
    2375: "Docker API",
    2376: "Docker API (TLS)",
    2379: "etcd",
    2380: "etcd peers",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    5601: "Kibana",
    5900: "VNC",
    5984: "CouchDB",
    5985: "WinRM",
    5986: "WinRM (TLS)",
    6379: "Redis",
    6443: "Kubernetes API",
    9042: "Cassandra",
    9200: "Elasticsearch",
    9300: "Elasticsearch transport",
    10250: "kubelet",
    11211: "memcached",
    15672: "RabbitMQ management",
    27017: "MongoDB",
}

# Destination ports replies go to (Linux 32768-60999, Windows and IANA 49152-65535).
EPHEMERAL_PORTS = (32768, 65535)
ICMP_ECHO_REPLY = {"icmp": (8, 0), "ipv6-icmp": (128, 129)}
# ICMPv4 type -> the ICMPv6 type that does the same job (RFC 4443); echo, errors.
ICMP_V4_TO_V6 = {0: 129, 8: 128, 3: 1, 11: 3, 12: 4}
ICMP_V6_TO_V4 = dict((v6, v4) for v4, v6 in ICMP_V4_TO_V6.items())
ICMP_V6_TO_V4[2] = 3  # packet too big ~ destination unreachable (code 4, fragmentation needed)
SYMMETRIC_TAG = "audit:symmetric"
ZERO_NOTE = "; %s: Neutron's firewall drivers match every protocol for protocol 0, not HOPOPT only" % access.PROTOCOL_ZERO_TEXT

CHECKS = {
    "world-admin-port": ("high", "ingress from anywhere to an administrative or database port"),
    "world-any-protocol": ("high", "ingress of every protocol from anywhere"),
    "stateless-no-reply": ("medium", "a stateless group without the rule its replies need"),
    "foreign-remote-group": ("medium", "a rule referencing a group or address group of another project"),
    "shadowed-rule": ("low", "a rule fully covered by another rule of the same group"),
    "asymmetric-family": ("low", "open on one IP family but not the other"),
    "unused-group": ("low", "a group no port wears"),
    "address-group-family": ("medium", "an address group rule that leaves out the group's addresses of the other family"),
}


def parse_admin_ports(values):
    """admin_ports option -> [(low, high, label)]; None means the default list."""
    if values is None:
        return [(port, port, "%d (%s)" % (port, name)) for port, name in sorted(DEFAULT_ADMIN_PORTS.items())]
    result = []
    errors = []
    for index, value in enumerate(values):
        text = str(value).strip()
        match = re.match(r"^([0-9]+)(?:\s*-\s*([0-9]+))?$", text)
        if isinstance(value, bool) or not match:
            errors.append("admin_ports[%d]: %r is not a port or a range 'min-max'" % (index, value))
            continue
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if not 1 <= low <= high <= 65535:
            errors.append("admin_ports[%d]: %r is not within 1-65535 (or is reversed)" % (index, value))
            continue
        name = DEFAULT_ADMIN_PORTS.get(low) if low == high else None
        label = text if name is None else "%d (%s)" % (low, name)
        result.append((low, high, label))
    if errors:
        raise AuditError("; ".join(errors))
    return result


def _is_world(source, ethertype):
    """Whether a source admits every address of the family (no prefix, a /0, or an address group spanning it)."""
    return source.networks is not None and access.WORLD[ethertype] in access._collapse(source.networks)


def finding_id(check, group, rule=None):
    if rule is None:
        return "%s:%s" % (check, group)
    return "%s:%s:%s" % (check, group, access.text_of(rule))


def _finding(check, group, rule, message, hint, severity=None):
    shown_rule = None
    path = group.path
    if rule is not None:
        shown_rule = access.render_rule(rule)
        path = rule.ref.get("path", path)
    return {
        "id": finding_id(check, group.name, rule),
        "check": check,
        "severity": severity or CHECKS[check][0],
        "group": group.name,
        "group_id": group.id,
        "rule": shown_rule,
        "path": path,
        "message": message,
        "hint": hint,
        "waived": False,
        "waiver": None,
    }


def _covers_source(wide, narrow):
    """Whether source ``wide`` admits everything ``narrow`` does (see docs/access-and-audit.md).

    Anywhere covers every source; a CIDR covers the CIDRs inside it; a remote group or an address
    group covers only itself, since their members change without the rules changing.
    """
    if wide.kind == access.SOURCE_CIDR and any(n.prefixlen == 0 for n in wide.networks):
        return True
    if wide.kind != narrow.kind:
        return False
    if wide.kind == access.SOURCE_CIDR:
        return all(any(n.version == w.version and n.subnet_of(w) for w in wide.networks) for n in narrow.networks)
    return wide.name == narrow.name


def covers(wide, narrow):
    """Rule ``wide`` admits everything rule ``narrow`` admits (same direction and ethertype)."""
    a, b = wide.key, narrow.key
    if a.direction != b.direction or a.ethertype != b.ethertype:
        return False
    if a.protocol is not None:
        if a.protocol != b.protocol:
            return False
        low, high = access.axis_of(a)
        narrow_low, narrow_high = access.axis_of(b)
        if not (low <= narrow_low and narrow_high <= high):
            return False
    return _covers_source(wide.source, narrow.source)


def _admin_ports_in(key, admin_ports):
    if key.protocol not in model.PORT_PROTOCOLS:
        return []
    low, high = access.axis_of(key)
    return [label for first, last, label in admin_ports if first <= high and low <= last]


def check_world(group, admin_ports):
    findings = []
    for rule in group.rules:
        key = rule.key
        if key.direction != "ingress" or not _is_world(rule.source, key.ethertype):
            continue
        world = model.ANY_PREFIX[key.ethertype]
        if key.protocol is None:
            findings.append(
                _finding(
                    "world-any-protocol",
                    group,
                    rule,
                    "group %s admits every protocol and port from %s (%s)%s"
                    % (group.name, world, access.text_of(rule), ZERO_NOTE if rule.protocol_zero else ""),
                    "restrict the rule to the protocols and ports the service needs, or to a remote group or the prefixes of your clients",
                )
            )
            continue
        exposed = _admin_ports_in(key, admin_ports)
        if exposed:
            findings.append(
                _finding(
                    "world-admin-port",
                    group,
                    rule,
                    "group %s admits %s from %s to administrative/database port%s %s"
                    % (group.name, key.protocol, world, "s" if len(exposed) > 1 else "", ", ".join(exposed)),
                    "admit these ports only from a bastion (remote_group) or your office prefixes (remote_ip_prefix / "
                    "remote_address_group); if this is intended, waive the finding (%s)" % _waive_text("world-admin-port", group, rule),
                )
            )
    return findings


def check_shadowed(group):
    findings = []
    for rule in group.rules:
        for other in group.rules:
            if other is rule or other.key == rule.key or not covers(other, rule):
                continue
            where = other.ref.get("path") or other.ref.get("id")
            findings.append(
                _finding(
                    "shadowed-rule",
                    group,
                    rule,
                    "rule %s of group %s admits nothing that rule %s (%s) does not already admit"
                    % (access.text_of(rule), group.name, access.text_of(other), where),
                    "delete this rule, or narrow the wider rule if this one states the intent",
                )
            )
            break
    return findings


def _counterpart_exists(rule, rules):
    """Whether some rule of the other family admits what ``rule`` admits (prefixes aside)."""
    key = rule.key
    other = "IPv6" if key.ethertype == "IPv4" else "IPv4"
    protocol = key.protocol
    if protocol in model.ICMP_PROTOCOLS:
        protocol = "ipv6-icmp" if other == "IPv6" else "icmp"
    for candidate in rules:
        wide = candidate.key
        if wide.direction != key.direction or wide.ethertype != other:
            continue
        if wide.protocol is not None:
            if wide.protocol != protocol:
                continue
            if protocol not in model.ICMP_PROTOCOLS:
                # ICMP types differ between the families: any rule of the protocol counts.
                low, high = access.axis_of(wide)
                narrow_low, narrow_high = access.axis_of(key)
                if not (low <= narrow_low and narrow_high <= high):
                    continue
        wide_source, source = candidate.source, rule.source
        if wide_source.kind == access.SOURCE_CIDR and _is_world(wide_source, other):
            return True
        if source.kind == access.SOURCE_CIDR:
            # Prefixes of the two families can not be compared: any prefix rule counts, except
            # that anywhere needs anywhere.
            if wide_source.kind == access.SOURCE_CIDR and not _is_world(source, key.ethertype):
                return True
            continue
        if wide_source.kind == source.kind and wide_source.name == source.name:
            return True
    return False


def check_asymmetric(group):
    """Open on one family only: any-source ingress always; every rule with the audit:symmetric tag."""
    symmetric = SYMMETRIC_TAG in group.tags
    findings = []
    for rule in group.rules:
        key = rule.key
        world = _is_world(rule.source, key.ethertype)
        if not symmetric and not (world and key.direction == "ingress"):
            continue
        if _counterpart_exists(rule, group.rules):
            continue
        other = "IPv6" if key.ethertype == "IPv4" else "IPv4"
        counterpart = _counterpart_text(rule, other)
        if counterpart is None:
            continue
        reason = "the group is tagged %s" % SYMMETRIC_TAG if symmetric else "the rule admits everyone on %s" % key.ethertype
        findings.append(
            _finding(
                "asymmetric-family",
                group,
                rule,
                "rule %s of group %s has no %s counterpart (%s)" % (access.text_of(rule), group.name, other, reason),
                "add %s, or waive the finding (%s) if %s is not meant to be reachable" % (counterpart, _waive_text("asymmetric-family", group, rule), other),
            )
        )
    return findings


def _counterpart_text(rule, other):
    """The rule of the other family that admits the same, as a declaration; None when the family has none.

    ICMP types differ between the families (IPv4 echo is type 8, IPv6 echo 128); ICMPv6 types without an
    IPv4 equivalent (neighbour discovery, multicast listeners) need no counterpart.
    """
    key = rule.key
    shape = {"direction": key.direction, "ethertype": other}
    if key.protocol in model.ICMP_PROTOCOLS:
        shape["protocol"] = "ipv6-icmp" if other == "IPv6" else "icmp"
        if key.port_min is not None:
            mapping = ICMP_V4_TO_V6 if other == "IPv6" else ICMP_V6_TO_V4
            if key.port_min not in mapping:
                return None
            shape["icmp_type"] = mapping[key.port_min]
    elif rule.protocol_zero:
        shape["protocol"] = 0
    else:
        shape["protocol"] = key.protocol or "any"
        if key.port_min is not None:
            shape["port"] = model.format_port_range(key.port_min, key.port_max)
    if key.remote_kind == model.REMOTE_GROUP:
        shape["remote_group"] = key.remote
    elif key.remote_kind == model.REMOTE_ADDRESS_GROUP:
        shape["remote_address_group"] = key.remote
    else:
        shape["remote_ip_prefix"] = model.ANY_PREFIX[other] if _is_world(rule.source, key.ethertype) else "<your %s prefix>" % other
    return "{%s}" % ", ".join("%s: %s" % item for item in shape.items())


def _waive_text(check, group, rule=None):
    """How to waive a finding: the rule's audit_waive (declarations) or the group's tag (live too)."""
    found = finding_id(check, group.name, rule)
    if rule is not None and rule.ref.get("path"):
        return "audit_waive: [%s] on %s, or tag %s%s on group %s" % (check, rule.ref["path"], WAIVER_TAG_PREFIX, found, group.name)
    return "tag %s%s on group %s" % (WAIVER_TAG_PREFIX, found, group.name)


def check_address_group_family(group, address_groups):
    """A rule admits only its ethertype's addresses of an address group (IPv4 when no ethertype is given):
    the group's addresses of the other family are silently left out unless another rule admits them."""
    findings = []
    for rule in group.rules:
        key = rule.key
        if key.remote_kind != model.REMOTE_ADDRESS_GROUP:
            continue
        other = "IPv6" if key.ethertype == "IPv4" else "IPv4"
        left_out = access._family_networks((address_groups or {}).get(key.remote) or (), other)
        if not left_out or _counterpart_exists(rule, group.rules):
            continue
        counterpart = _counterpart_text(rule, other)
        addresses = ", ".join(n.with_prefixlen for n in access._collapse(left_out))
        findings.append(
            _finding(
                "address-group-family",
                group,
                rule,
                "rule %s of group %s admits only the %s addresses of address group %s; its %s addresses %s are not "
                "admitted (a rule has one ethertype, %s when none is given, and no %s rule of the group references the "
                "address group)" % (access.text_of(rule), group.name, key.ethertype, key.remote, other, addresses, "IPv4", other),
                "%sor take the %s addresses out of address group %s if they are not meant to be admitted"
                % ("add %s, " % counterpart if counterpart else "", other, key.remote),
            )
        )
    return findings


def address_group_family_warnings(desired, observed):
    """The ``address-group-family`` check as warnings of the security_groups modules, before anything is applied:
    ``["groups[0].rules[1]: rule ... admits only the IPv4 addresses of address group office; ...; add ..."]``.

    ``desired`` is a parsed declaration (``_declaration``); an address group's addresses are the declared ones, else
    the observed ones (``observed["address_groups"]``); address groups named by id are not checked."""
    known = dict((a.get("name"), tuple(access._network(x) for x in a.get("addresses") or ())) for a in observed.get("address_groups") or [])
    known.update((a.name, tuple(access._network(x) for x in a.addresses)) for a in desired.address_groups if a.addresses is not None)
    messages = []
    for group in desired.groups:
        if not any(r.key.remote_kind == model.REMOTE_ADDRESS_GROUP for r in group.rules or ()):
            continue  # nothing to check (and no prefix parsed: this runs on every plan)
        rules = []
        for declared in group.rules or ():
            key, zero = access.analysis_key(declared.key)
            source = access._offline_source(key, known)
            rules.append(access.PolicyRule(group.name, None, key, {"path": declared.path}, declared.description or "", source, (), zero))
        policy_group = access.PolicyGroup(group.name, None, None, True, (), tuple(rules), group.path)
        messages.extend("%s: %s; %s" % (f["path"], f["message"], f["hint"]) for f in check_address_group_family(policy_group, known))
    return messages


def check_unused(groups, wearers):
    """Groups no port (live) or no server of the declarations (offline) wears."""
    if wearers is None:
        return []
    findings = []
    for group in groups:
        if group.name == model.DEFAULT_GROUP_NAME:
            continue
        if not wearers.get(group.id if group.id is not None else group.name):
            findings.append(
                _finding(
                    "unused-group",
                    group,
                    None,
                    "no %s wears group %s, so its rules admit nothing (and remote-group rules naming it admit nobody)"
                    % ("port" if group.id is not None else "server of the declarations", group.name),
                    "attach it (server_security_groups) or delete it",
                )
            )
    return findings


def _undeclared_group_id(source, project_by_group):
    """A remote group given by an id that names no declared group (it may be another project's)."""
    if source.kind != access.SOURCE_GROUP or source.name in project_by_group.get("declared", ()):
        return False
    return model.looks_like_id(source.name)


def check_foreign(groups, live, project_by_group):
    findings = []
    for group in groups:
        for rule in group.rules:
            key = rule.key
            if key.remote_kind not in (model.REMOTE_GROUP, model.REMOTE_ADDRESS_GROUP):
                continue
            what = "group" if key.remote_kind == model.REMOTE_GROUP else "address group"
            if live:
                if rule.source.networks is not None:
                    owner = project_by_group.get((key.remote_kind, key.remote))
                    if owner is None or owner == group.project_id:
                        continue
                    detail = "of project %s (the group is in project %s)" % (owner, group.project_id)
                else:
                    detail = "%s, which is not in this project (or not visible to these credentials)" % key.remote
                findings.append(
                    _finding(
                        "foreign-remote-group",
                        group,
                        rule,
                        "rule %s of group %s references the %s %s" % (access.text_of(rule), group.name, what, detail),
                        "membership of another project's %s changes without this project's review; reference a group "
                        "of this project or the prefixes meant" % what,
                    )
                )
            elif _undeclared_group_id(rule.source, project_by_group):
                findings.append(
                    _finding(
                        "foreign-remote-group",
                        group,
                        rule,
                        "rule %s of group %s references %s %s by id; it is not declared here and may belong to another "
                        "project" % (access.text_of(rule), group.name, what, key.remote),
                        "declare the group in this file and reference it by name, or audit the live cloud to check its project",
                        severity="low",
                    )
                )
    return findings


def _reply_needs(rule):
    """[(protocol, axis interval)] the replies of a rule need; empty when nothing is needed.

    A rule for any protocol needs the replies of TCP and UDP (a reply rule for any protocol from
    the same source would admit every new flow too, so it is never suggested).
    """
    key = rule.key
    if key.protocol is None:
        return [("tcp", EPHEMERAL_PORTS), ("udp", EPHEMERAL_PORTS)]
    if key.protocol in model.PORT_PROTOCOLS:
        return [(key.protocol, EPHEMERAL_PORTS)]
    if key.protocol in model.ICMP_PROTOCOLS:
        request, reply = ICMP_ECHO_REPLY[key.protocol]
        if key.port_min is None:
            return [(key.protocol, access.ICMP_AXIS)]
        if key.port_min == request:
            return [(key.protocol, (reply * 256, reply * 256))]
        return []
    return [(key.protocol, access.POINT_AXIS)]


def _need_covered(rule, need, candidates):
    protocol, (low, high) = need
    direction = "egress" if rule.key.direction == "ingress" else "ingress"
    for other in candidates:
        key = other.key
        if key.direction != direction or key.ethertype != rule.key.ethertype:
            continue
        if key.protocol is not None:
            if key.protocol != protocol:
                continue
            other_low, other_high = access.axis_of(key)
            if not (other_low <= low and high <= other_high):
                continue
        if _covers_source(other.source, rule.source):
            return True
    return False


def _missing_replies(rule, candidates):
    return [need for need in _reply_needs(rule) if not _need_covered(rule, need, candidates)]


def _reply_hint(rule, need):
    protocol, (low, high) = need
    shape = {"direction": "egress" if rule.key.direction == "ingress" else "ingress", "ethertype": rule.key.ethertype, "protocol": protocol}
    if protocol in model.PORT_PROTOCOLS:
        shape["port"] = "%d-%d" % (low, high)
    elif protocol in model.ICMP_PROTOCOLS and (low, high) != access.ICMP_AXIS:
        shape["icmp_type"] = low // 256
    remote = model.key_to_declaration(rule.key)
    for field in fields.REMOTE_FIELDS:
        if field in remote:
            shape[field] = remote[field]
    return "{%s}" % ", ".join("%s: %s" % item for item in shape.items())


def check_stateless(groups, companions):
    """Stateless groups need explicit rules for the replies of what they admit."""
    findings = []
    by_key = dict((g.id if g.id is not None else g.name, g) for g in groups)
    for group in groups:
        if group.stateful:
            continue
        identity = group.id if group.id is not None else group.name
        candidates = list(group.rules)
        for other in sorted(companions.get(identity, ())):
            if other in by_key and not by_key[other].stateful:
                candidates.extend(by_key[other].rules)
        for rule in group.rules:
            missing = _missing_replies(rule, candidates)
            if not missing:
                continue
            # A rule that carries the replies of an opposite-direction rule is a reply rule, not a new flow.
            if any(_reply_needs(other) and not _missing_replies(other, [rule]) for other in candidates if other.key.direction != rule.key.direction):
                continue
            reply = "egress" if rule.key.direction == "ingress" else "ingress"
            ports = any(protocol in model.PORT_PROTOCOLS for protocol, _interval in missing)
            findings.append(
                _finding(
                    "stateless-no-reply",
                    group,
                    rule,
                    "group %s is stateless and rule %s has no %s rule for its replies, in the group or the stateless "
                    "groups worn with it" % (group.name, access.text_of(rule), reply),
                    "add %s%s, or make the group stateful"
                    % (" and ".join(_reply_hint(rule, need) for need in missing), " (replies go to the clients' ephemeral ports)" if ports else ""),
                )
            )
    return findings


def usage(model_):
    """(wearers, companions): who wears each group, and which groups are worn together.

    Keys are group ids (live) or names (declarations).  ``wearers`` is None when the
    declarations list no servers (usage unknown).
    """
    wearers, companions = {}, {}
    if model_.live:
        sets = [p.get("security_group_ids") or [] for p in model_.ports or []]
        for port, worn in zip(model_.ports or [], sets):
            for group_id in worn:
                wearers.setdefault(group_id, []).append(port["id"])
    elif not model_.servers:
        # No servers listed (or an empty list): who wears what is not known.
        return None, {}
    else:
        sets = list(model_.servers.values())
        for server, worn in model_.servers.items():
            for name in worn:
                wearers.setdefault(name, []).append(server)
    for worn in sets:
        for group in worn:
            companions.setdefault(group, set()).update(g for g in worn if g != group)
    return wearers, companions


def _project_index(model_):
    index = {"declared": set(g.name for g in model_.groups)}
    for group in model_.groups:
        index[(model.REMOTE_GROUP, group.name)] = group.project_id
    return index


def audit(model_, admin_ports=None):
    """Every finding over a Model, waivers applied, sorted by severity then id."""
    ranges = parse_admin_ports(admin_ports)
    wearers, companions = usage(model_)
    findings = []
    for group in model_.groups:
        findings.extend(check_world(group, ranges))
        findings.extend(check_shadowed(group))
        findings.extend(check_asymmetric(group))
        findings.extend(check_address_group_family(group, model_.address_groups))
    findings.extend(check_unused(model_.groups, wearers))
    findings.extend(check_foreign(model_.groups, model_.live, _project_index(model_)))
    findings.extend(check_stateless(model_.groups, companions))
    apply_waivers(findings, model_)
    findings.sort(key=lambda f: (-SEVERITY_RANK[f["severity"]], f["id"]))
    return findings


def apply_waivers(findings, model_):
    """Mark findings waived by their rule's audit_waive or their group's audit-waive: tags."""
    rules = {}
    tags = {}
    for group in model_.groups:
        tags[group.name] = [t.removeprefix(WAIVER_TAG_PREFIX) for t in group.tags if t.startswith(WAIVER_TAG_PREFIX)]
        for rule in group.rules:
            rules[(group.name, access.text_of(rule))] = rule.waivers
    for finding in findings:
        places = []
        if finding["rule"] is not None:
            places.append(("%s audit_waive" % (finding["path"] or finding["rule"]["text"]), rules.get((finding["group"], finding["rule"]["text"]), ())))
        places.append(("group %s tag %s<id or check>" % (finding["group"], WAIVER_TAG_PREFIX), tags.get(finding["group"], ())))
        for where, waivers in places:
            matched = [w for w in waivers if w in (finding["id"], finding["check"])]
            if matched:
                finding["waived"] = True
                finding["waiver"] = {"by": matched[0], "where": where}
                break


def summarize(findings):
    summary = dict((severity, 0) for severity in SEVERITIES)
    summary["waived"] = 0
    for finding in findings:
        if finding["waived"]:
            summary["waived"] += 1
        else:
            summary[finding["severity"]] += 1
    summary["total"] = len(findings)
    return summary


def blocking(findings, fail_on):
    """Unwaived findings at or above the fail_on severity."""
    threshold = SEVERITY_RANK[fail_on]
    return [f for f in findings if not f["waived"] and SEVERITY_RANK[f["severity"]] >= threshold]


def unknown_waivers(findings, model_):
    """Waivers in the declarations that match no finding (stale or mistyped), as warnings."""
    used = set((f["group"], f["waiver"]["by"]) for f in findings if f["waived"])
    warnings = []
    for group in model_.groups:
        for rule in group.rules:
            for waiver in rule.waivers:
                if (group.name, waiver) not in used and waiver not in CHECKS:
                    warnings.append(
                        "%s: audit_waive %r matches no finding of this rule (ids look like %s)"
                        % (rule.ref.get("path") or group.name, waiver, finding_id("<check>", group.name, rule))
                    )
    return warnings


# --- report ------------------------------------------------------------------------

SEVERITY_MARK = {"high": "HIGH", "medium": "MEDIUM", "low": "low"}


def _cell(text):
    """Text safe inside a Markdown table cell."""
    return str("" if text is None else text).replace("|", "\\|").replace("\n", " ")


def _fix_cell(finding):
    return _cell(finding.get("hint"))


def _waiver_cell(finding):
    waiver = finding.get("waiver") or {}
    return "`%s` in %s" % (_cell(waiver.get("by")), _cell(waiver.get("where")))


def _findings_table(heading, findings, last_column, last_cell):
    """A Markdown section with a table of findings (severity, group, rule, finding, ``last_column``, id); none: nothing."""
    if not findings:
        return []
    lines = ["## %s" % heading, "", "| Severity | Group | Rule | Finding | %s | Id |" % last_column, "| --- | --- | --- | --- | --- | --- |"]
    for finding in findings:
        severity = SEVERITY_MARK.get(finding.get("severity"), finding.get("severity"))
        cells = (severity, _cell(finding.get("group")), _rule_cell(finding), _cell(finding.get("message")), last_cell(finding), _cell(finding.get("id")))
        lines.append("| %s | %s | %s | %s | %s | `%s` |" % cells)
    return lines + [""]


def markdown(result, title="Security group audit"):
    """A Markdown report of an audit result (or of a plain findings list)."""
    if isinstance(result, list):
        result = {"findings": result, "summary": summarize(result)}
    findings = result.get("findings") or []
    summary = result.get("summary") or summarize(findings)
    gate = result.get("gate")
    lines = ["# %s" % title, ""]
    where = result.get("mode")
    if where:
        scope = "live project %s" % result.get("project_id") if where == "live" else "declarations"
        if where != "live" and result.get("project_id"):
            scope += " (project %s)" % result["project_id"]
        lines.append("Audited: %s." % scope)
        lines.append("")
    open_findings = [f for f in findings if not f.get("waived")]
    waived = [f for f in findings if f.get("waived")]
    if gate:
        verdict = "passed" if gate.get("passed") else "FAILED"
        lines.append(
            "**Gate %s** (fail_on: %s, %d blocking finding%s)."
            % (verdict, gate.get("fail_on"), gate.get("blocking", 0), "" if gate.get("blocking") == 1 else "s")
        )
        lines.append("")
    if not open_findings:
        lines.append("No open findings%s." % (" (%d waived)" % len(waived) if waived else ""))
    else:
        lines.append(
            "%d open finding%s: %d high, %d medium, %d low; %d waived."
            % (
                len(open_findings),
                "" if len(open_findings) == 1 else "s",
                summary.get("high", 0),
                summary.get("medium", 0),
                summary.get("low", 0),
                summary.get("waived", 0),
            )
        )
    lines.append("")
    lines.extend(_findings_table("Findings", open_findings, "Fix", _fix_cell))
    lines.extend(_findings_table("Waived", waived, "Waived by", _waiver_cell))
    lines.append("Waive a finding by listing its id (or its check name) in the rule's `audit_waive`, or in a group tag `%s<id or check>`." % WAIVER_TAG_PREFIX)
    return "\n".join(lines) + "\n"


def _rule_cell(finding):
    rule = finding.get("rule")
    if not rule:
        return "(group)"
    text = "`%s`" % rule.get("text")
    if rule.get("path"):
        text += " (%s)" % rule["path"]
    return _cell(text)
