# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Effective access: who can reach what (private to this collection).

Pure code, no I/O.  A server wearing several security groups gets the union
of their rules; a remote-group rule admits traffic only from the ports that
wear that group.  This module turns either a declarations file (offline,
before anything is applied) or a live inventory (``Adapter.observe_inventory``)
into one ``Model`` of groups and rules, and answers questions over it:

- ``effective_policy`` merges the rules of a set of groups per
  (direction, ethertype, protocol) into port ranges, each with the sources
  that may use it and the rules that admit each source;
- ``ask`` answers "can 203.0.113.7 reach tcp/22?" with yes or no plus every
  rule that allows it;
- ``policy_changes`` compares two rule sets (before/after declarations) and
  says what a change opens or closes.

Ports, ICMP types and codes are put on one integer axis per protocol so
that one interval algorithm serves them all: transport ports are 1-65535,
ICMP ``type * 256 + code`` (0-65535, a missing code covers 256 values),
other protocols a single point 0.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
from collections import namedtuple

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._attachments import validate_servers
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DECLARATIONS_FILE_KEYS, DeclarationError
from ansible_collections.netsec.openstack.plugins.module_utils._errors import AccessError

SOURCE_CIDR = "cidr"
SOURCE_GROUP = "remote_group"
SOURCE_ADDRESS_GROUP = "address_group"

WORLD = dict((family, ipaddress.ip_network(prefix)) for family, prefix in model.ANY_PREFIX.items())
PORT_AXIS = (1, 65535)
ICMP_AXIS = (0, 65535)
POINT_AXIS = (0, 0)
# Protocol 0, as Neutron stores it ("0") or as the rule model names the number (hopopt): Neutron's firewall
# drivers (iptables, OVS, OVN) match every protocol for it, so every analysis treats it as any protocol.
PROTOCOL_ZERO = ("0", "hopopt")
PROTOCOL_ZERO_TEXT = "protocol 0 (any)"
# Top-level keys of a declarations file; only groups and address_groups feed the rule engine.
DECLARATION_FILE_KEYS = DECLARATIONS_FILE_KEYS

# A rule's source (for egress: its destination).  ``networks`` is a tuple of
# ip_network of the rule's family, or None while unknown (a remote group
# offline, an address group that is not declared or not visible).
Source = namedtuple("Source", ["kind", "name", "networks"])
# One rule of one group.  ``key`` is the canonical RuleKey whose remote is
# the display name (group and address group names, not ids); ``ref`` is
# {"id": rule id} (live) or {"path": declaration path} (offline).
# ``protocol_zero``: the rule has protocol 0 (``analysis_key``); its key says any protocol.
PolicyRule = namedtuple("PolicyRule", ["group", "group_id", "key", "ref", "description", "source", "waivers", "protocol_zero"])
PolicyRule.__new__.__defaults__ = (False,)
PolicyGroup = namedtuple("PolicyGroup", ["name", "id", "project_id", "stateful", "tags", "rules", "path"])
# groups: [PolicyGroup]; servers: {server name: [group names]} (offline, from the
# file's servers list) or None; ports: live port dicts or None; live: bool.
Model = namedtuple("Model", ["groups", "servers", "ports", "live", "project_id", "address_groups"])
Principal = namedtuple("Principal", ["label", "networks", "groups"])


# --- building the model -------------------------------------------------------


def _network(text):
    return ipaddress.ip_network(str(text), strict=False)


def _collapse(networks):
    """Collapsed networks, IPv4 first, as a list."""
    result = []
    for version in (4, 6):
        same = [n for n in networks if n.version == version]
        result.extend(ipaddress.collapse_addresses(same))
    return result


def _family_networks(networks, ethertype):
    version = 6 if ethertype == "IPv6" else 4
    return tuple(n for n in networks if n.version == version)


def analysis_key(key):
    """(key as analysed, protocol_zero): a protocol-0 rule admits every protocol, so it is analysed as any."""
    if key.protocol in PROTOCOL_ZERO:
        return key._replace(protocol=None, port_min=None, port_max=None), True
    return key, False


def split_declarations(declarations):
    """(the rule-engine declaration {groups, address_groups}, servers list or None) of a declarations file.

    Validates the servers list as server_security_groups does; unknown top-level keys are errors.
    """
    if not isinstance(declarations, dict):
        raise DeclarationError(
            ["(top level): a declarations file is a mapping with %s, got %s" % (", ".join(DECLARATION_FILE_KEYS), type(declarations).__name__)]
        )
    unknown = sorted(str(key) for key in declarations if key not in DECLARATION_FILE_KEYS)
    if unknown:
        raise DeclarationError(["%s: unknown key of a declarations file; expected %s" % (key, ", ".join(DECLARATION_FILE_KEYS)) for key in unknown])
    core = dict((key, declarations[key]) for key in ("groups", "address_groups") if declarations.get(key) is not None)
    servers = declarations.get("servers")
    if servers is not None:
        validate_servers(servers)
    return core, servers


def _raw_rule(declaration, path):
    """The user's rule mapping at a path like groups[1].rules[2]."""
    group_part, rule_part = path.split(".")
    group_index = int(group_part.removeprefix("groups[").removesuffix("]"))
    rule_index = int(rule_part.removeprefix("rules[").removesuffix("]"))
    return declaration["groups"][group_index]["rules"][rule_index]


def model_from_declarations(declarations):
    """A Model of a declarations file (validated like the security_groups module does)."""
    core, servers = split_declarations(declarations)
    desired = parse_declaration(core)
    address_groups = {}
    for address_group in desired.address_groups:
        if address_group.addresses is None:
            address_groups[address_group.name] = None
        else:
            address_groups[address_group.name] = tuple(_network(a) for a in address_group.addresses)
    groups = []
    for group in desired.groups:
        rules = []
        for desired_rule in group.rules or ():  # None: rules not declared (issue 13)
            key, zero = analysis_key(desired_rule.key)
            raw = _raw_rule(core, desired_rule.path)
            rules.append(
                PolicyRule(
                    group=group.name,
                    group_id=None,
                    key=key,
                    ref={"path": desired_rule.path},
                    description=desired_rule.description or "",
                    source=_offline_source(key, address_groups),
                    waivers=tuple(raw.get("audit_waive") or ()),
                    protocol_zero=zero,
                )
            )
        groups.append(
            PolicyGroup(group.name, None, None, True if group.stateful is None else group.stateful, tuple(group.tags or ()), tuple(rules), group.path)
        )
    server_groups = None
    if servers is not None:
        server_groups = {}
        for entry in servers:
            wearing = server_groups.setdefault(entry["server"], [])
            listed = list(entry.get("security_groups") or [])
            if entry.get("mode") == "remove":
                wearing[:] = [g for g in wearing if g not in listed]
            else:
                wearing.extend(g for g in listed if g not in wearing)
    return Model(tuple(groups), server_groups, None, False, declarations.get("project"), address_groups)


def _offline_source(key, address_groups):
    if key.remote_kind is None:
        return Source(SOURCE_CIDR, model.ANY_PREFIX[key.ethertype], (WORLD[key.ethertype],))
    if key.remote_kind == model.REMOTE_CIDR:
        return Source(SOURCE_CIDR, key.remote, (_network(key.remote),))
    if key.remote_kind == model.REMOTE_GROUP:
        return Source(SOURCE_GROUP, key.remote, None)
    networks = address_groups.get(key.remote)
    return Source(SOURCE_ADDRESS_GROUP, key.remote, None if networks is None else _family_networks(networks, key.ethertype))


def port_networks(port):
    return tuple(_network(ip) for ip in port.get("fixed_ips") or [] if ip)


def model_from_inventory(inventory):
    """A Model of a live inventory (the dict ``Adapter.observe_inventory`` returns)."""
    group_names = dict((g["id"], g["name"]) for g in inventory.get("groups") or [])
    members = {}
    for port in inventory.get("ports") or []:
        for group_id in port.get("security_group_ids") or []:
            members.setdefault(group_id, []).extend(port_networks(port))
    address_groups = dict((a["id"], a) for a in inventory.get("address_groups") or [])
    groups = []
    for group in inventory.get("groups") or []:
        rules = []
        for rule in group.get("rules") or []:
            key, zero = analysis_key(model.key_from_neutron(rule))
            if key.remote_kind == model.REMOTE_GROUP:
                if key.remote in group_names:
                    source = Source(SOURCE_GROUP, group_names[key.remote], _family_networks(members.get(key.remote, ()), key.ethertype))
                else:
                    source = Source(SOURCE_GROUP, key.remote, None)
                key = key._replace(remote=source.name)
            elif key.remote_kind == model.REMOTE_ADDRESS_GROUP:
                found = address_groups.get(key.remote)
                if found is None:
                    source = Source(SOURCE_ADDRESS_GROUP, key.remote, None)
                else:
                    source = Source(SOURCE_ADDRESS_GROUP, found["name"], _family_networks([_network(a) for a in found.get("addresses") or []], key.ethertype))
                key = key._replace(remote=source.name)
            else:
                source = _offline_source(key, {})
            rules.append(PolicyRule(group["name"], group["id"], key, {"id": rule.get("id")}, rule.get("description") or "", source, (), zero))
        groups.append(
            PolicyGroup(group["name"], group["id"], group.get("project_id"), group.get("stateful", True), tuple(group.get("tags") or ()), tuple(rules), None)
        )
    address_group_networks = dict((a["name"], tuple(_network(x) for x in a.get("addresses") or [])) for a in address_groups.values())
    return Model(tuple(groups), None, list(inventory.get("ports") or []), True, inventory.get("project_id"), address_group_networks)


def declared_groups(model_, names, where="security_groups"):
    """The PolicyGroups of a declarations Model by name; unknown names fail listing the known ones."""
    by_name = dict((g.name, g) for g in model_.groups)
    errors = []
    result = []
    for index, name in enumerate(names or []):
        if name in by_name:
            if by_name[name] not in result:
                result.append(by_name[name])
        else:
            errors.append("%s[%d]: group %r is not declared in the declarations (declared: %s)" % (where, index, name, ", ".join(sorted(by_name)) or "none"))
    if errors:
        raise AccessError("; ".join(errors))
    return result


def server_groups_offline(model_, server):
    """The group names a server wears according to the declarations file's servers list."""
    if model_.servers is None:
        raise AccessError("the declarations have no servers list; give security_groups instead of server")
    if server not in model_.servers:
        raise AccessError("server %r is not in the declarations' servers list (listed: %s)" % (server, ", ".join(sorted(model_.servers)) or "none"))
    return list(model_.servers[server])


def rules_of(groups):
    result = []
    for group in groups:
        result.extend(group.rules)
    return result


# --- rendering ---------------------------------------------------------------


def axis_of(key):
    """(low, high) of a rule on its protocol's axis (see the module docstring)."""
    if key.protocol in model.PORT_PROTOCOLS:
        if key.port_min is None:
            return PORT_AXIS
        return key.port_min, key.port_max if key.port_max is not None else key.port_min
    if key.protocol in model.ICMP_PROTOCOLS:
        if key.port_min is None:
            return ICMP_AXIS
        if key.port_max is None:
            return key.port_min * 256, key.port_min * 256 + 255
        return key.port_min * 256 + key.port_max, key.port_min * 256 + key.port_max
    return POINT_AXIS


def axis_text(protocol, low, high):
    """Ports (or ICMP types) of an axis interval, as people write them."""
    if protocol in model.PORT_PROTOCOLS:
        if (low, high) == PORT_AXIS:
            return "all"
        return str(low) if low == high else "%d-%d" % (low, high)
    if protocol in model.ICMP_PROTOCOLS:
        if (low, high) == ICMP_AXIS:
            return "all"
        if low % 256 == 0 and high % 256 == 255:
            first, last = low // 256, high // 256
            return "type %d" % first if first == last else "types %d-%d" % (first, last)
        if low // 256 == high // 256:
            codes = str(low % 256) if low == high else "%d-%d" % (low % 256, high % 256)
            return "type %d code %s" % (low // 256, codes)
        return "type %d code %d - type %d code %d" % (low // 256, low % 256, high // 256, high % 256)
    return "all"


def remote_text(key):
    if key.remote_kind is None:
        return "any"
    if key.remote_kind == model.REMOTE_CIDR:
        return key.remote
    if key.remote_kind == model.REMOTE_GROUP:
        return "group=%s" % key.remote
    return "address-group=%s" % key.remote


def rule_text(key, protocol_zero=False):
    """A canonical one-line form: ingress/IPv4/tcp/22/any, egress/IPv6/any/all/group=web.

    A protocol-0 rule (analysed as any protocol) reads ingress/IPv4/0(any)/all/any.
    """
    low, high = axis_of(key)
    ports = axis_text(key.protocol, low, high).replace(" ", "")
    protocol = "0(any)" if protocol_zero else key.protocol or "any"
    return "%s/%s/%s/%s/%s" % (key.direction, key.ethertype, protocol, ports, remote_text(key))


def text_of(rule):
    """``rule_text`` of a PolicyRule."""
    return rule_text(rule.key, rule.protocol_zero)


def source_label(source):
    if source.kind == SOURCE_CIDR:
        return source.name
    if source.kind == SOURCE_GROUP:
        return "group %s" % source.name
    return "address group %s" % source.name


def render_rule(rule):
    """A rule in the declaration's shape, with its group and where it comes from."""
    shown = model.key_to_declaration(rule.key, rule.description)
    if rule.protocol_zero:
        shown["protocol"] = 0
        shown["protocol_note"] = PROTOCOL_ZERO_TEXT
    shown["group"] = rule.group
    shown.update(rule.ref)
    shown["text"] = text_of(rule)
    return shown


def _addresses(networks):
    return [n.with_prefixlen for n in _collapse(networks)] if networks is not None else None


# --- merging -------------------------------------------------------------------


def _segments(items):
    """Split intervals into elementary segments.

    ``items`` is a list of (low, high, payload); returns [(low, high, [payloads])]
    for every maximal stretch covered by the same payloads, in order.
    """
    bounds = set()
    for low, high, _payload in items:
        bounds.add(low)
        bounds.add(high + 1)
    bounds = sorted(bounds)
    result = []
    for index in range(len(bounds) - 1):
        low, high = bounds[index], bounds[index + 1] - 1
        covering = [payload for lo, hi, payload in items if lo <= low and high <= hi]
        if covering:
            result.append((low, high, covering))
    return result


def _coalesce(segments, identity):
    """Merge adjacent segments whose payloads have the same identity."""
    merged = []
    for low, high, payloads in segments:
        if merged and merged[-1][1] + 1 == low and identity(merged[-1][2]) == identity(payloads):
            previous = merged[-1]
            merged[-1] = (previous[0], high, previous[2] + [p for p in payloads if p not in previous[2]])
        else:
            merged.append((low, high, list(payloads)))
    return merged


def _source_identity(source):
    return (source.kind, source.name)


def _sources_of(rules):
    return frozenset(_source_identity(r.source) for r in rules)


def _bucket_sort_key(bucket):
    direction, ethertype, protocol = bucket
    return (direction, ethertype, protocol is not None, protocol or "")


def effective_policy(rules, direction=None):
    """The union of rules, merged per (direction, ethertype, protocol) into port ranges.

    Returns a list of entries {direction, ethertype, protocol, ports, port_min,
    port_max, sources, addresses, unresolved}; each source lists the rules that
    admit it.  Adjacent and overlapping ranges with the same sources are one entry.
    """
    buckets = {}
    for rule in rules:
        if direction is not None and rule.key.direction != direction:
            continue
        low, high = axis_of(rule.key)
        buckets.setdefault((rule.key.direction, rule.key.ethertype, rule.key.protocol), []).append((low, high, rule))
    entries = []
    for bucket in sorted(buckets, key=_bucket_sort_key):
        rule_direction, ethertype, protocol = bucket
        segments = _segments(buckets[bucket])
        for low, high, covering in _coalesce(segments, _sources_of):
            entries.append(_policy_entry(rule_direction, ethertype, protocol, low, high, covering))
    return entries


def _policy_entry(direction, ethertype, protocol, low, high, covering):
    sources = {}
    for rule in covering:
        identity = _source_identity(rule.source)
        if identity not in sources:
            sources[identity] = {"kind": rule.source.kind, "source": rule.source.name, "addresses": _addresses(rule.source.networks), "rules": []}
        shown = {"group": rule.group, "rule": text_of(rule)}
        shown.update(rule.ref)
        if shown not in sources[identity]["rules"]:
            sources[identity]["rules"].append(shown)
    known = []
    unresolved = []
    for source in sources.values():
        if source["addresses"] is None:
            unresolved.append(source["source"])
        else:
            known.extend(_network(a) for a in source["addresses"])
    entry = {
        "direction": direction,
        "ethertype": ethertype,
        "protocol": protocol or "any",
        "ports": axis_text(protocol, low, high),
        "port_min": low if protocol in model.PORT_PROTOCOLS else None,
        "port_max": high if protocol in model.PORT_PROTOCOLS else None,
        "sources": sorted(sources.values(), key=lambda s: (s["kind"] != SOURCE_CIDR, s["kind"], s["source"])),
        "addresses": [n.with_prefixlen for n in _collapse(known)],
        "unresolved": sorted(unresolved),
    }
    if protocol in model.ICMP_PROTOCOLS and (low, high) != ICMP_AXIS and low // 256 == high // 256:
        entry["icmp_type"] = low // 256
        if low % 256 == 0 and high % 256 == 255:
            entry["icmp_code"] = None
        elif low == high:
            entry["icmp_code"] = low % 256
    return entry


def policy_text(entry):
    """One line per policy entry: ingress IPv4 tcp/22 from 0.0.0.0/0, group B."""
    what = entry["protocol"] if entry["ports"] == "all" else "%s/%s" % (entry["protocol"], entry["ports"])
    word = "from" if entry["direction"] == "ingress" else "to"
    sources = []
    for source in entry["sources"]:
        label = (
            source["source"] if source["kind"] == SOURCE_CIDR else "%s %s" % ("group" if source["kind"] == SOURCE_GROUP else "address group", source["source"])
        )
        if source["kind"] != SOURCE_CIDR and source["addresses"] is not None:
            label += " (%s)" % (", ".join(source["addresses"]) or "no members")
        sources.append(label)
    return "%s %s %s %s %s" % (entry["direction"], entry["ethertype"], what, word, ", ".join(sources))


# --- questions -------------------------------------------------------------------


def _exclude(networks, removed):
    """networks minus removed (address arithmetic), collapsed."""
    result = list(networks)
    for cut in removed:
        kept = []
        for network in result:
            if network.version != cut.version or not network.overlaps(cut):
                kept.append(network)
            elif network.subnet_of(cut):
                continue
            else:
                kept.extend(network.address_exclude(cut))
        result = kept
    return _collapse(result)


def principal_from_source(source, model_=None):
    """What a question's source means: an address/CIDR, or a security group name (a server wearing it).

    Live, a group name also brings its member ports' addresses.
    """
    if source is None:
        return None
    text = str(source).strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        network = None
    if network is not None:
        try:
            ipaddress.ip_network(text, strict=True)
        except ValueError:
            raise AccessError("source %r has host bits set; did you mean %s?" % (source, network.with_prefixlen))
        return Principal(network.with_prefixlen if network.prefixlen != network.max_prefixlen else str(network.network_address), (network,), frozenset())
    if model_ is None:
        raise AccessError("source %r is not an IP address or CIDR" % (source,))
    names = set(g.name for g in model_.groups)
    if text not in names:
        raise AccessError(
            "source %r is neither an IP address or CIDR nor a security group name (known groups: %s)" % (source, ", ".join(sorted(names)) or "none")
        )
    networks = ()
    if model_.live:
        ids = set(g.id for g in model_.groups if g.name == text)
        found = []
        for port in model_.ports or []:
            if ids & set(port.get("security_group_ids") or []):
                found.extend(port_networks(port))
        networks = tuple(_collapse(found))
    return Principal("a server in group %s" % text, networks, frozenset([text]))


def _question_protocol(protocol, ethertype):
    if protocol is None:
        return None
    try:
        return model.canonical_protocol(protocol, ethertype)
    except model.ModelError as exc:
        raise AccessError(str(exc))


def _protocol_matches(rule, protocol, port):
    """Whether a rule admits the question's protocol (None: any) and port (None: any)."""
    key = rule.key
    if protocol is not None and key.protocol is not None and key.protocol != protocol:
        return False
    if port is None:
        return True
    if key.protocol is None:
        return True
    effective = protocol or key.protocol
    if effective in model.PORT_PROTOCOLS:
        low, high = axis_of(key)
        return low <= port <= high
    if effective in model.ICMP_PROTOCOLS:
        return key.port_min is None or key.port_min == port
    return protocol is not None


def _coverage(rule, principal, ethertype):
    """full / partial / unknown / None: how much of the principal the rule's source covers."""
    source = rule.source
    if source.kind == SOURCE_GROUP and source.name in principal.groups:
        return "full"
    if source.networks is not None and WORLD[ethertype] in source.networks:
        return "full"
    wanted = _family_networks(principal.networks, ethertype)
    if not wanted:
        # A group whose members' addresses are not known (offline): a prefix or another group may or may not
        # hold them; an empty address group holds nobody.
        return "unknown" if principal.groups and (source.networks is None or source.networks) else None
    if source.networks is None:
        return "unknown"
    remaining = _exclude(wanted, source.networks)
    if not remaining:
        return "full"
    if _collapse(remaining) != _collapse(wanted):
        return "partial"
    return None


def ask(rules, direction="ingress", principal=None, protocol=None, port=None, target="the server"):
    """Answer a question over a rule set.

    Returns {allowed, matching_rules, undetermined_rules, answer}: ``allowed`` is true when the
    rules admit the whole source (every address of a CIDR) for the protocol and port; each
    matching rule says whether it covers the source fully or partly.
    """
    if port is not None:
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise AccessError("port must be a number, got %r" % (port,))
    families = model.ETHERTYPES
    if principal is not None and principal.networks and not principal.groups:
        families = tuple(sorted(set(model.ethertype_of(n) for n in principal.networks)))
    if protocol is not None:
        for family in families:
            _question_protocol(protocol, family)
    matching, undetermined = [], []
    covered = []
    allowed = False
    for rule in rules:
        key = rule.key
        if key.direction != direction or key.ethertype not in families:
            continue
        if not _protocol_matches(rule, _question_protocol(protocol, key.ethertype), port):
            continue
        coverage = "full" if principal is None else _coverage(rule, principal, key.ethertype)
        if coverage is None:
            continue
        shown = render_rule(rule)
        shown["coverage"] = coverage
        shown["source"] = source_label(rule.source)
        if coverage == "unknown":
            undetermined.append(shown)
            continue
        matching.append(shown)
        if coverage == "full":
            allowed = True
        elif rule.source.networks:
            covered.extend(rule.source.networks)
    if not allowed and principal is not None and principal.networks and covered and not principal.groups:
        allowed = not _exclude(principal.networks, covered)
    matching.sort(key=_shown_order)
    undetermined.sort(key=_shown_order)
    return {
        "allowed": allowed,
        "matching_rules": matching,
        "undetermined_rules": undetermined,
        "sources": _matching_sources(matching),
        "answer": answer_text(allowed, matching, undetermined, direction, principal, protocol, port, target),
    }


def _matching_sources(matching):
    """The distinct sources of the matching rules, with their addresses (when known)."""
    result = []
    for shown in matching:
        if shown["source"] not in result:
            result.append(shown["source"])
    return sorted(result)


def _shown_order(shown):
    return (shown["group"], shown["text"])


def _what(protocol, port):
    if port is not None:
        return "%s/%s" % (protocol or "any", port)
    return protocol or "any protocol"


def _via(matching):
    return ", ".join("group %s: %s" % (m["group"], m["text"]) for m in matching)


def answer_text(allowed, matching, undetermined, direction, principal, protocol, port, target):
    """One sentence: yes/no/partly, then the rules that decide it."""
    what = _what(protocol, port)
    if principal is None:
        sources = []
        for shown in matching:
            if shown["source"] not in sources:
                sources.append(shown["source"])
        if direction == "ingress":
            if not matching:
                return "nothing can reach %s on %s: no rule admits it" % (what, target)
            return "%s on %s is reachable from %s (%s)" % (what, target, ", ".join(sources), _via(matching))
        if not matching:
            return "%s can send %s nowhere: no egress rule admits it" % (target, what)
        return "%s can send %s to %s (%s)" % (target, what, ", ".join(sources), _via(matching))

    def sentence(verb, who):
        if direction == "ingress":
            return "%s %s reach %s on %s" % (who, verb, what, target)
        return "%s %s send %s to %s" % (target, verb, what, who)

    if allowed:
        return "yes: %s (%s)" % (sentence("can", principal.label), _via(matching))
    if matching:
        text = "partly: %s (%s)" % (sentence("can", "only part of " + principal.label), _via(matching))
    else:
        text = "no: %s; no rule admits it" % sentence("can not", principal.label)
    if undetermined:
        text += "; it would be admitted if the source is in %s" % " or ".join(sorted(set(m["source"] for m in undetermined)))
    return text


# --- comparing -------------------------------------------------------------------


def _coverage_sets(rules):
    """(known networks, symbolic source identities) per bucket segment input."""
    buckets = {}
    for rule in rules:
        low, high = axis_of(rule.key)
        buckets.setdefault((rule.key.direction, rule.key.ethertype, rule.key.protocol), []).append((low, high, rule))
    return buckets


def _split(rules_here):
    networks, symbolic = [], set()
    for rule in rules_here:
        if rule.source.networks is None:
            symbolic.add((rule.source.kind, rule.source.name))
        else:
            networks.extend(rule.source.networks)
    return networks, symbolic


def _contributes(source, networks, symbolic):
    """Whether a gained rule's source is part of what changes: its symbolic source, or one of the changed networks."""
    if source.networks is None:
        return _source_identity(source) in symbolic
    return any(n.overlaps(m) for n in networks for m in source.networks)


def policy_changes(before, after, target, direction=None):
    """What going from rule set ``before`` to ``after`` opens and closes.

    Returns a list of {target, change (opened/closed), direction, ethertype, protocol, ports,
    sources, rules, message}.  CIDR sources are compared as address sets (adding 10.0.0.0/8
    where 0.0.0.0/0 is already open opens nothing); remote groups and undeclared address
    groups by name.  A rule for any protocol is compared on its own, and covers the
    protocol-specific rules of both sides.
    """
    if direction is not None:
        before = [r for r in before if r.key.direction == direction]
        after = [r for r in after if r.key.direction == direction]
    old, new = _coverage_sets(before), _coverage_sets(after)
    changes = []
    for bucket in sorted(set(old) | set(new), key=_bucket_sort_key):
        rule_direction, ethertype, protocol = bucket
        any_bucket = (rule_direction, ethertype, None)
        any_old = [r for _lo, _hi, r in old.get(any_bucket, [])] if protocol is not None else []
        any_new = [r for _lo, _hi, r in new.get(any_bucket, [])] if protocol is not None else []
        bucket_changes = []
        for change, gained, lost, background in (
            ("opened", new.get(bucket, []), old.get(bucket, []), any_old + any_new),
            ("closed", old.get(bucket, []), new.get(bucket, []), any_old + any_new),
        ):
            items = [(lo, hi, ("gain", r)) for lo, hi, r in gained] + [(lo, hi, ("keep", r)) for lo, hi, r in lost]
            diffs = []
            for low, high, payloads in _segments(items):
                gain = [r for tag, r in payloads if tag == "gain"]
                keep = [r for tag, r in payloads if tag == "keep"] + background
                gain_networks, gain_symbolic = _split(gain)
                keep_networks, keep_symbolic = _split(keep)
                networks = _exclude(_collapse(gain_networks), keep_networks)
                symbolic = gain_symbolic - keep_symbolic
                if not networks and not symbolic:
                    continue
                contributing = [r for r in gain if _contributes(r.source, networks, symbolic)]
                diffs.append((low, high, (tuple(n.with_prefixlen for n in networks), tuple(sorted(symbolic)), contributing)))
            merged = []
            for low, high, payload in diffs:
                if merged and merged[-1][1] + 1 == low and merged[-1][2][:2] == payload[:2]:
                    previous = merged[-1]
                    rules_seen = previous[2][2] + [r for r in payload[2] if r not in previous[2][2]]
                    merged[-1] = (previous[0], high, (payload[0], payload[1], rules_seen))
                else:
                    merged.append((low, high, payload))
            for low, high, (networks, symbolic, contributing) in merged:
                entry = _change_entry(target, change, rule_direction, ethertype, protocol, low, high, networks, symbolic, contributing)
                bucket_changes.append((low, change, entry))
        changes.extend(entry for _low, _change, entry in sorted(bucket_changes, key=lambda item: item[:2]))
    return changes


def _change_entry(target, change, direction, ethertype, protocol, low, high, networks, symbolic, contributing):
    sources = list(networks) + ["%s %s" % ("group" if kind == SOURCE_GROUP else "address group", name) for kind, name in symbolic]
    ports = axis_text(protocol, low, high)
    what = (protocol or "any protocol") if ports == "all" else "%s/%s" % (protocol, ports)
    verb = "opens" if change == "opened" else "closes"
    if direction == "ingress":
        message = "this change %s %s on %s %s %s" % (verb, what, target, "to" if change == "opened" else "for", ", ".join(sources))
    else:
        message = "this change %s egress %s from %s to %s" % (verb, what, target, ", ".join(sources))
    shown_rules = []
    for rule in contributing:
        shown = {"group": rule.group, "rule": text_of(rule)}
        shown.update(rule.ref)
        if shown not in shown_rules:
            shown_rules.append(shown)
    return {
        "target": target,
        "change": change,
        "direction": direction,
        "ethertype": ethertype,
        "protocol": protocol or "any",
        "ports": ports,
        "sources": sources,
        "rules": shown_rules,
        "message": message,
    }


def declaration_targets(model_):
    """What to compare in a declarations file: its servers, else each group on its own."""
    if model_.servers:
        return dict((name, list(groups)) for name, groups in model_.servers.items())
    return dict(("group %s" % g.name, [g.name]) for g in model_.groups)


def declarations_changes(before, after, targets=None, direction=None):
    """Access changes between two declarations files, per server (or per group)."""
    old, new = model_from_declarations(before), model_from_declarations(after)
    if targets is None:
        merged = declaration_targets(old)
        merged.update(declaration_targets(new))
        old_targets, new_targets = declaration_targets(old), declaration_targets(new)
    elif isinstance(targets, dict):
        merged, old_targets, new_targets = dict(targets), dict(targets), dict(targets)
    else:
        raise AccessError("targets must be a mapping of a name to the list of groups it wears")
    changes = []
    for name in sorted(merged):
        old_rules = _rules_of_names(old, old_targets.get(name, []))
        new_rules = _rules_of_names(new, new_targets.get(name, []))
        changes.extend(policy_changes(old_rules, new_rules, name, direction))
    return changes


def _rules_of_names(model_, names):
    by_name = dict((g.name, g) for g in model_.groups)
    return rules_of([by_name[n] for n in names if n in by_name])
