# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ICMP and ICMPv6 types per family (private to this collection).

Pure data, no I/O.  ICMP types are numbered per family: echo is 8 on IPv4
and 128 on IPv6, 3 is "destination unreachable" on IPv4 and "time
exceeded" on IPv6.  A rule with a type of the other family is meaningless
(it never matches what the user meant), so ``type_errors`` refuses it and
names the equivalent of this family where there is one.

The tables are IANA's "ICMP Type Numbers" and "ICMPv6 Parameters"
registries, the assigned types only, with the highest code IANA assigns
for the type where it defines codes (None: not checked).  Types
unassigned in both families are left to Neutron (it accepts 0-255), as are
the codes of types not listed.  The same name in both tables means the
same message: that is how a hint finds the other family's number.

This module is private to the collection: its interface may change without
notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# {type: (name, highest code or None)}
ICMPV4_TYPES = {
    0: ("echo-reply", 0),
    3: ("destination-unreachable", 15),
    4: ("source-quench", 0),
    5: ("redirect", 3),
    6: ("alternate-host-address", None),
    8: ("echo-request", 0),
    9: ("router-advertisement", None),
    10: ("router-solicitation", 0),
    11: ("time-exceeded", 1),
    12: ("parameter-problem", 2),
    13: ("timestamp", 0),
    14: ("timestamp-reply", 0),
    15: ("information-request", 0),
    16: ("information-reply", 0),
    17: ("address-mask-request", 0),
    18: ("address-mask-reply", 0),
    30: ("traceroute", None),
    40: ("photuris", None),
    41: ("experimental-mobility", None),
    42: ("extended-echo-request", 0),
    43: ("extended-echo-reply", 4),
    253: ("experiment-1", None),
    254: ("experiment-2", None),
}
ICMPV6_TYPES = {
    1: ("destination-unreachable", 8),
    2: ("packet-too-big", 0),
    3: ("time-exceeded", 1),
    4: ("parameter-problem", None),
    100: ("private-experimentation-1", None),
    101: ("private-experimentation-2", None),
    128: ("echo-request", 0),
    129: ("echo-reply", 0),
    130: ("multicast-listener-query", 0),
    131: ("multicast-listener-report", 0),
    132: ("multicast-listener-done", 0),
    133: ("router-solicitation", 0),
    134: ("router-advertisement", 0),
    135: ("neighbor-solicitation", 0),
    136: ("neighbor-advertisement", 0),
    137: ("redirect", 0),
    138: ("router-renumbering", None),
    139: ("node-information-query", None),
    140: ("node-information-response", None),
    141: ("inverse-neighbor-discovery-solicitation", 0),
    142: ("inverse-neighbor-discovery-advertisement", 0),
    143: ("multicast-listener-report-v2", 0),
    144: ("home-agent-address-discovery-request", 0),
    145: ("home-agent-address-discovery-reply", 0),
    146: ("mobile-prefix-solicitation", 0),
    147: ("mobile-prefix-advertisement", 0),
    148: ("certification-path-solicitation", 0),
    149: ("certification-path-advertisement", 0),
    150: ("experimental-mobility", None),
    151: ("multicast-router-advertisement", None),
    152: ("multicast-router-solicitation", 0),
    153: ("multicast-router-termination", 0),
    154: ("fmipv6", None),
    155: ("rpl-control", None),
    156: ("ilnpv6-locator-update", 0),
    157: ("duplicate-address-request", None),
    158: ("duplicate-address-confirmation", None),
    159: ("mpl-control", None),
    160: ("extended-echo-request", 0),
    161: ("extended-echo-reply", 4),
    200: ("private-experimentation-3", None),
    201: ("private-experimentation-4", None),
}
TYPES = {"IPv4": ICMPV4_TYPES, "IPv6": ICMPV6_TYPES}
OTHER = {"IPv4": "IPv6", "IPv6": "IPv4"}
LABEL = {"IPv4": "ICMP (IPv4)", "IPv6": "ICMPv6"}


def _number_of(name, family):
    for number, (known, _code) in TYPES[family].items():
        if known == name:
            return number
    return None


def type_error(icmp_type, family):
    """Why ``icmp_type`` is wrong on ``family`` (with the hint), or None when it is right or unknown to both."""
    if icmp_type in TYPES[family]:
        return None
    other = OTHER[family]
    if icmp_type not in TYPES[other]:
        return None
    name = TYPES[other][icmp_type][0]
    message = "type %d is %s %s, not an %s type" % (icmp_type, LABEL[other], name, LABEL[family])
    equivalent = _number_of(name, family)
    if equivalent is None:
        return message + "; %s has no %s, declare this rule for %s only" % (LABEL[family], name, other)
    return message + "; on %s, %s is type %d" % (family, name, equivalent)


def code_error(icmp_type, icmp_code, family):
    """Why ``icmp_code`` is wrong for the type on ``family``, or None."""
    entry = TYPES[family].get(icmp_type)
    if entry is None or entry[1] is None or icmp_code <= entry[1]:
        return None
    return "%s type %d (%s) has codes 0-%d, not %d" % (LABEL[family], icmp_type, entry[0], entry[1], icmp_code)


def dual_stack_error(icmp_type):
    """Why one rule for both families can not carry ``icmp_type`` (numbered per family), or None."""
    v4, v6 = ICMPV4_TYPES.get(icmp_type), ICMPV6_TYPES.get(icmp_type)
    if v4 is None or v6 is None or v4[0] == v6[0]:
        return None
    hint = _number_of(v4[0], "IPv6")
    return "type %d is %s on IPv4 but %s on IPv6; declare one rule per family%s" % (
        icmp_type,
        v4[0],
        v6[0],
        "" if hint is None else " (IPv6 %s is type %d)" % (v4[0], hint),
    )


# A rule's ``audit_waive`` entry that keeps a rule whose type belongs to the other family, or whose code
# the type does not have (an export writes it on such rules someone made, so applying the export changes nothing).
WAIVER = "icmp-family"


def key_problem(key):
    """Why a canonical RuleKey's ICMP type does not fit its family, or None (for export)."""
    if key.protocol not in ("icmp", "ipv6-icmp") or key.port_min is None:
        return None
    problem = type_error(key.port_min, key.ethertype)
    if problem is None and key.port_max is not None:
        problem = code_error(key.port_min, key.port_max, key.ethertype)
    return problem
