# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canonical security group rules (private to this collection).

Pure code, no I/O.  Every rule, whether declared by a user in any spelling
or observed in Neutron whatever created it, becomes one hashable
``RuleKey`` that copies Neutron's own rewrites, so that two spellings of the
same rule compare equal and a missing field always means "none", never
"anything".

This module is private to the collection: its interface may change without
notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import ipaddress
import re
from collections import namedtuple

from ansible_collections.netsec.openstack.plugins.module_utils import _fields as fields
from ansible_collections.netsec.openstack.plugins.module_utils._errors import ModelError

# The tag on groups this collection created or adopted (the one definition; others import it).
OWNER_TAG = "managed-by=netsec.openstack"
DEFAULT_GROUP_NAME = "default"
NAME_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = fields.DESCRIPTION_MAX_LENGTH
# Distinct prefixes parsed once per process (a 5,000-rule run parses each observed and declared prefix several times).
PREFIX_CACHE_SIZE = 65536

# neutron_lib.constants.IP_PROTOCOL_MAP: the names Neutron accepts.
PROTOCOL_NUMBERS = {
    "ah": 51,
    "dccp": 33,
    "egp": 8,
    "esp": 50,
    "gre": 47,
    "hopopt": 0,
    "icmp": 1,
    "igmp": 2,
    "ipip": 4,
    "ipv6-encap": 41,
    "ipv6-frag": 44,
    "ipv6-icmp": 58,
    "ipv6-nonxt": 59,
    "ipv6-opts": 60,
    "ipv6-route": 43,
    "ospf": 89,
    "pgm": 113,
    "rsvp": 46,
    "sctp": 132,
    "tcp": 6,
    "udp": 17,
    "udplite": 136,
    "vrrp": 112,
}
PROTOCOL_NAMES = dict((number, name) for name, number in PROTOCOL_NUMBERS.items())
# Spellings Neutron (or its clients) accept for the same protocol.
PROTOCOL_ALIASES = {"icmpv6": "ipv6-icmp"}
# "any", an omitted protocol and null are the same rule.
ANY_PROTOCOL_SPELLINGS = ("any",)
# Protocols whose port_range_min/max are transport ports.
PORT_PROTOCOLS = frozenset(["tcp", "udp", "sctp", "dccp", "udplite"])
# Protocols whose port_range_min/max are ICMP type and code.
ICMP_PROTOCOLS = frozenset(["icmp", "ipv6-icmp"])
# Protocols Neutron refuses with ethertype IPv4.
IPV6_ONLY_PROTOCOLS = frozenset(["ipv6-encap", "ipv6-frag", "ipv6-icmp", "ipv6-nonxt", "ipv6-opts", "ipv6-route"])

DIRECTIONS = ("ingress", "egress")
ETHERTYPES = ("IPv4", "IPv6")
ANY_PREFIX = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}

REMOTE_CIDR = "cidr"
REMOTE_GROUP = "group"
REMOTE_ADDRESS_GROUP = "address_group"


# Identity of a rule: description is deliberately not part of it (Neutron's
# duplicate check ignores it too), it is compared separately.
RuleKey = namedtuple(
    "RuleKey",
    ["direction", "ethertype", "protocol", "port_min", "port_max", "remote_kind", "remote"],
)


def canonical_protocol(value, ethertype):
    """Return the canonical protocol name or number string, or None for any.

    Known numbers become names (Neutron treats "6" and "tcp" as duplicates),
    names are lowercased, the legacy alias icmpv6 and ICMP on IPv6 become
    ipv6-icmp, as Neutron stores them.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ModelError("protocol must be a name or a number, not a boolean")
    text = str(value).strip().lower()
    if text == "" or text in ANY_PROTOCOL_SPELLINGS:
        return None
    if text.isdigit():
        number = int(text)
        if number > 255:
            raise ModelError("protocol number %d is out of range 0-255" % number)
        name = PROTOCOL_NAMES.get(number, str(number))
    else:
        name = PROTOCOL_ALIASES.get(text, text)
        if name not in PROTOCOL_NUMBERS:
            raise ModelError("unknown protocol %r; use a name (%s), a number 0-255 or 'any'" % (value, ", ".join(sorted(PROTOCOL_NUMBERS))))
    if ethertype == "IPv6" and name == "icmp":
        name = "ipv6-icmp"
    return name


@functools.lru_cache(maxsize=PREFIX_CACHE_SIZE)
def _parsed_network(text, strict):
    """ipaddress's network of a stripped CIDR text (immutable, so one object serves every caller)."""
    return ipaddress.ip_network(text, strict=strict)


def canonical_network(value):
    """Return an ipaddress network for a CIDR or address, masked.

    Host bits are cleared; use ``has_host_bits`` to refuse them in
    declarations.
    """
    try:
        return _parsed_network(str(value).strip(), False)
    except ValueError:
        raise ModelError("%r is not a valid IP address or CIDR" % (value,))


def has_host_bits(value):
    try:
        _parsed_network(str(value).strip(), True)
        return False
    except ValueError:
        return True


def ethertype_of(network):
    return "IPv6" if network.version == 6 else "IPv4"


def canonical_remote_prefix(value, ethertype):
    """Canonical prefix string, or None when it means everywhere."""
    if value is None or value == "":
        return None
    try:
        prefixlen, family, text = _prefix_facts(str(value).strip())
    except ValueError:
        raise ModelError("%r is not a valid IP address or CIDR" % (value,))
    if prefixlen == 0:
        return None
    if ethertype is not None and family != ethertype:
        raise ModelError("prefix %s is not an %s prefix" % (value, ethertype))
    return text


@functools.lru_cache(maxsize=PREFIX_CACHE_SIZE)
def _prefix_facts(text):
    """(prefix length, ethertype, canonical text) of a stripped CIDR text."""
    network = _parsed_network(text, False)
    return network.prefixlen, ethertype_of(network), network.with_prefixlen


def canonical_ports(protocol, port_min, port_max):
    """Canonical (min, max) for the protocol.

    Transport ports 1-65535 mean "all ports" and become (None, None), as
    does openstack.cloud's -1/-1; a lone min means that single port.  ICMP
    keeps (type, code).  Other protocols carry no ports.
    """
    port_min = None if port_min is None else int(port_min)
    port_max = None if port_max is None else int(port_max)
    if protocol in PORT_PROTOCOLS:
        if port_min in (None, -1) and port_max in (None, -1):
            return None, None
        if port_min is None:
            port_min = port_max
        if port_max is None:
            port_max = port_min
        if port_min <= 1 and port_max >= 65535:
            return None, None
        return port_min, port_max
    if protocol in ICMP_PROTOCOLS:
        # openstack.cloud spells "any ICMP type/code" as -1.
        if port_min is not None and port_min < 0:
            port_min = None
        if port_max is not None and port_max < 0:
            port_max = None
        if port_min is None:
            port_max = None
        return port_min, port_max
    return None, None


def rule_key(direction, ethertype, protocol, port_min, port_max, remote_kind, remote):
    """Build a RuleKey from already-split fields, applying every rewrite."""
    direction = (direction or "ingress").lower()
    if direction not in DIRECTIONS:
        raise ModelError("direction must be ingress or egress, not %r" % direction)
    ethertype = canonical_ethertype(ethertype) or "IPv4"
    protocol = canonical_protocol(protocol, ethertype)
    port_min, port_max = canonical_ports(protocol, port_min, port_max)
    if remote_kind == REMOTE_CIDR:
        remote = canonical_remote_prefix(remote, ethertype)
        if remote is None:
            remote_kind = None
    elif remote_kind in (REMOTE_GROUP, REMOTE_ADDRESS_GROUP):
        if not remote:
            raise ModelError("a %s remote needs a reference" % remote_kind)
    elif remote_kind is None:
        remote = None
    else:
        raise ModelError("unknown remote kind %r" % remote_kind)
    return RuleKey(direction, ethertype, protocol, port_min, port_max, remote_kind, remote)


def canonical_ethertype(value):
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    for ethertype in ETHERTYPES:
        if ethertype.lower() == text:
            return ethertype
    raise ModelError("ethertype must be IPv4 or IPv6, not %r" % (value,))


def key_from_neutron(rule):
    """RuleKey of a rule as Neutron returns it (a plain dict)."""
    ethertype = rule.get("ethertype") or rule.get("ether_type")
    if rule.get("remote_group_id"):
        kind, remote = REMOTE_GROUP, rule["remote_group_id"]
    elif rule.get("remote_address_group_id"):
        kind, remote = REMOTE_ADDRESS_GROUP, rule["remote_address_group_id"]
    elif rule.get("remote_ip_prefix"):
        kind, remote = REMOTE_CIDR, rule["remote_ip_prefix"]
    else:
        kind, remote = None, None
    return rule_key(
        rule.get("direction"),
        ethertype,
        rule.get("protocol"),
        rule.get("port_range_min"),
        rule.get("port_range_max"),
        kind,
        remote,
    )


def neutron_body(key, description, security_group_id, resolve=None):
    """The POST body for a RuleKey.

    ``resolve`` maps a symbolic group/address group reference to an id at
    apply time (placeholders of groups created by the same plan).
    """
    body = {
        "security_group_id": security_group_id,
        "direction": key.direction,
        "ethertype": key.ethertype,
    }
    if key.protocol is not None:
        body["protocol"] = key.protocol
    if key.port_min is not None:
        body["port_range_min"] = key.port_min
    if key.port_max is not None:
        body["port_range_max"] = key.port_max
    if key.remote_kind == REMOTE_CIDR:
        body["remote_ip_prefix"] = key.remote
    elif key.remote_kind == REMOTE_GROUP:
        body["remote_group_id"] = resolve(key.remote) if resolve else key.remote
    elif key.remote_kind == REMOTE_ADDRESS_GROUP:
        body["remote_address_group_id"] = resolve(key.remote) if resolve else key.remote
    if description:
        body["description"] = description
    return body


def format_port_range(port_min, port_max):
    if port_min is None:
        return None
    if port_max is None or port_max == port_min:
        return port_min
    return "%d-%d" % (port_min, port_max)


def key_to_declaration(key, description="", name_of=None):
    """Render a RuleKey in the declaration shape users write.

    ``name_of`` maps a group/address group reference to the name to show
    (or returns the reference itself).
    """
    rule = {"direction": key.direction, "ethertype": key.ethertype}
    rule["protocol"] = key.protocol if key.protocol is not None else "any"
    if key.protocol in ICMP_PROTOCOLS:
        if key.port_min is not None:
            rule["icmp_type"] = key.port_min
        if key.port_max is not None:
            rule["icmp_code"] = key.port_max
    elif key.port_min is not None:
        rule["port"] = format_port_range(key.port_min, key.port_max)
    for field, kind in fields.remote_kinds():
        if key.remote_kind == kind:
            named = kind != REMOTE_CIDR and name_of is not None
            rule[field] = name_of(key.remote) if named else key.remote
    if description:
        rule["description"] = description
    return rule


def sort_key_of_rule_key(key):
    """A total order over RuleKeys (None sorts first), for stable output."""
    return tuple((value is not None, str(value) if not isinstance(value, int) else "%010d" % value) for value in key)


def canonical_addresses(addresses):
    """Sorted canonical CIDR strings of an address group's addresses."""
    result = set()
    for address in addresses or []:
        result.add(canonical_network(address).with_prefixlen)
    return sorted(result, key=_address_sort_key)


def _address_sort_key(cidr):
    network = ipaddress.ip_network(cidr)
    return (network.version, network.network_address, network.prefixlen)


ID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def looks_like_id(text):
    """Whether a reference is an OpenStack id (a UUID, dashes optional) rather than a name."""
    return bool(ID_PATTERN.match(text or ""))
