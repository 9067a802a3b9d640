# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule fields, each declared once (private to this collection).

Pure data, no I/O.  Every field a declared rule may carry is one
``RuleField`` here: its name, its JSON Schema fragment, the part of the
canonical ``RuleKey`` it feeds (``role``), whether and in which order an
export writes it, and its documentation.  The JSON Schema
(``_schema.RULE_SCHEMA``), the export's field order, the remote kinds and
the modules' documented rule suboptions (checked by a unit test) all read
this table, so adding a rule field starts here.

Roles: ``direction``, ``ethertype``, ``protocol``, ``ports`` (transport
ports), ``icmp`` (ICMP type/code), ``remote`` (the rule's source or
destination), ``description`` (compared apart from the identity) and
``annotation`` (ours only, never sent to the cloud).

This module is private to the collection: its interface may change without
notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

DESCRIPTION_MAX_LENGTH = 255
ETHERTYPE_PATTERN = r"^[Ii][Pp][Vv][46]$"
# A port or an inclusive range, "a-b" or "a:b" (the openstack CLI's --dst-port spelling).
PORT_PATTERN = r"^\s*[0-9]+\s*([-:]\s*[0-9]+\s*)?$"
PORT_RANGE_SEPARATORS = ("-", ":")

# name: the declaration's key; schema: its JSON Schema fragment; role: see above;
# remote_kind: for role "remote", the RuleKey.remote_kind it sets; export: position in an
# exported rule (None: never written by an export); aliases: other names of the same field;
# doc: the module documentation's suboption entry.
RuleField = namedtuple("RuleField", ["name", "schema", "role", "remote_kind", "export", "aliases", "doc"])


def _field(name, schema, role, doc, remote_kind=None, export=None, aliases=()):
    return RuleField(name, schema, role, remote_kind, export, tuple(aliases), doc)


RULE_FIELDS = (
    _field(
        "direction",
        {"type": "string", "enum": ["ingress", "egress"]},
        "direction",
        export=0,
        doc={"description": "Direction of traffic the rule admits.", "type": "str", "choices": ["ingress", "egress"], "default": "ingress"},
    ),
    _field(
        "ethertype",
        {"type": "string", "pattern": ETHERTYPE_PATTERN},
        "ethertype",
        export=1,
        aliases=("ether_type",),
        doc={
            "description": [
                "V(IPv4) or V(IPv6). When omitted, inferred from the rule's C(remote_ip_prefix), IPv6 for IPv6-only protocols, else V(IPv4) as Neutron does."
            ],
            "type": "str",
            "aliases": ["ether_type"],
        },
    ),
    _field(
        "protocol",
        {"type": ["string", "integer", "null"], "minimum": 0, "maximum": 255, "minLength": 1},
        "protocol",
        export=2,
        doc={
            "description": [
                "A protocol name (V(tcp), V(udp), V(icmp), V(ipv6-icmp), V(icmpv6), V(sctp), V(gre), ...), a number "
                "0-255, or V(any). Omitted means any protocol.",
                "On IPv6, V(icmp) and V(1) mean V(ipv6-icmp), as Neutron stores them.",
            ],
            "type": "str",
        },
    ),
    _field(
        "port",
        {"type": ["integer", "string"], "minimum": 0, "maximum": 65535, "pattern": PORT_PATTERN},
        "ports",
        export=3,
        doc={
            "description": [
                "A port (V(22)) or an inclusive range (V(8000-8100), or V(8000:8100) as the openstack CLI writes "
                "it) for tcp, udp, sctp, dccp and udplite. Omitted means all ports; V(1-65535) means the same."
            ],
            "type": "str",
        },
    ),
    _field(
        "port_range_min",
        {"type": ["integer", "null"], "minimum": -1, "maximum": 65535},
        "ports",
        doc={
            "description": [
                "First port (openstack.cloud's spelling, so rule lists written for it work unchanged). V(-1) together "
                "with C(port_range_max=-1) means all ports, stored as Neutron stores all ports (V(-1) on one side "
                "only is refused).",
                "For ICMP, the ICMP type (V(-1) for any).",
            ],
            "type": "int",
        },
    ),
    _field(
        "port_range_max",
        {"type": ["integer", "null"], "minimum": -1, "maximum": 65535},
        "ports",
        doc={"description": ["Last port (V(-1) with C(port_range_min=-1) means all ports). For ICMP, the ICMP code (V(-1) for any)."], "type": "int"},
    ),
    _field(
        "icmp_type",
        {"type": "integer", "minimum": 0, "maximum": 255},
        "icmp",
        export=4,
        doc={
            "description": [
                "ICMP type, for icmp and ipv6-icmp. Checked against the rule's family (IANA's ICMP and ICMPv6 type "
                "tables) - echo is V(8) on IPv4 but V(128) on IPv6, and a type of the other family is refused with the "
                "equivalent as hint."
            ],
            "type": "int",
        },
    ),
    _field(
        "icmp_code",
        {"type": "integer", "minimum": 0, "maximum": 255},
        "icmp",
        export=5,
        doc={"description": "ICMP code, for icmp and ipv6-icmp; needs C(icmp_type).", "type": "int"},
    ),
    _field(
        "remote_ip_prefix",
        {"type": ["string", "array"], "minLength": 1, "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "remote",
        remote_kind="cidr",
        export=6,
        doc={
            "description": [
                "Source (ingress) or destination (egress) CIDR or address, or a list of them (one rule per prefix). "
                "V(0.0.0.0/0), V(::/0) and omitted all mean anywhere."
            ],
            "type": "raw",
        },
    ),
    _field(
        "remote_group",
        {
            "type": ["string", "object"],
            "minLength": 1,
            "additionalProperties": False,
            "required": ["name", "project"],
            "properties": {"name": {"type": "string", "minLength": 1}, "project": {"type": "string", "minLength": 1}},
        },
        "remote",
        remote_kind="group",
        export=7,
        doc={
            "description": [
                "A security group (name or id) whose member ports the rule admits. Names resolve to groups of this "
                "declaration first, then to groups of the project.",
                "A group of another project that is shared with this one (see C(shared_with)) is named by a "
                "mapping with the keys C(name) (the group's name) and C(project) (the project's name or id); the "
                "name resolves within that project.",
            ],
            "type": "raw",
        },
    ),
    _field(
        "remote_address_group",
        {"type": "string", "minLength": 1},
        "remote",
        remote_kind="address_group",
        export=8,
        doc={"description": "An address group (name or id).", "type": "str"},
    ),
    _field(
        "description",
        {"type": "string", "maxLength": DESCRIPTION_MAX_LENGTH},
        "description",
        export=9,
        doc={
            "description": [
                "The rule's description. Not part of its identity. When omitted, the description is not managed - a "
                "rule that matches in every other field is kept whatever its description (a new rule gets none).",
                'When given (V("") included), it must be exactly that; rules are immutable in Neutron, so a changed description replaces the rule.',
            ],
            "type": "str",
        },
    ),
    _field(
        "audit_waive",
        {"type": "array", "items": {"type": "string", "minLength": 1}},
        "annotation",
        export=10,
        doc={
            "description": [
                "Ids of audit findings accepted for this rule (see M(netsec.openstack.security_groups_audit)). Not sent to the cloud and not part of the rule.",
                "V(icmp-family) accepts an ICMP type of the other family (refused otherwise); an export writes it for "
                "such rules found in the cloud, so that applying the export changes nothing.",
            ],
            "type": "list",
            "elements": "str",
        },
    ),
)

BY_NAME = dict((f.name, f) for f in RULE_FIELDS)


def named(role):
    """Names of the fields of one role, in the table's order (aliases not included)."""
    return tuple(f.name for f in RULE_FIELDS if f.role == role)


def names_and_aliases():
    """Every name a rule's key may have, sorted."""
    return sorted(set(f.name for f in RULE_FIELDS) | set(a for f in RULE_FIELDS for a in f.aliases))


def rule_schema():
    """The JSON Schema of one declared rule (aliases share their field's fragment)."""
    properties = {}
    for field in RULE_FIELDS:
        for name in (field.name,) + field.aliases:
            properties[name] = dict(field.schema)
    return {"type": "object", "additionalProperties": False, "properties": properties}


def export_order():
    """Fields an export writes, in the order it writes them."""
    return tuple(f.name for f in sorted((f for f in RULE_FIELDS if f.export is not None), key=lambda f: f.export))


def remote_kinds():
    """(field name, RuleKey.remote_kind) of the remote fields, in the table's order."""
    return tuple((f.name, f.remote_kind) for f in RULE_FIELDS if f.role == "remote")


def documented_suboptions():
    """The rule suboptions as module documentation must list them: {name: doc entry}."""
    return dict((f.name, dict(f.doc)) for f in RULE_FIELDS)


REMOTE_FIELDS = named("remote")
PORT_FIELDS = named("ports")
ICMP_FIELDS = named("icmp")
