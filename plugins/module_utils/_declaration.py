# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From a validated declaration to the desired state (private).

Pure code, no I/O.  Expands prefix lists, infers ethertypes, turns every
rule into a canonical ``RuleKey`` whose remote group / address group is
still the reference the user wrote (a name or an id); the planner resolves
those against what it observed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._schema import (
    DeclarationError,
    parse_port,
    validate_declaration,
)

DesiredRule = namedtuple("DesiredRule", ["key", "description", "path"])
DesiredGroup = namedtuple("DesiredGroup", ["name", "description", "stateful", "tags", "rules", "path"])
DesiredAddressGroup = namedtuple("DesiredAddressGroup", ["name", "description", "addresses", "path"])
Desired = namedtuple("Desired", ["groups", "address_groups"])


def _declared_ethertype(rule):
    for field in ("ethertype", "ether_type"):
        if rule.get(field) is not None:
            return model.canonical_ethertype(rule[field])
    return None


def _ports_of(rule, protocol):
    if rule.get("port") is not None:
        return parse_port(rule["port"])
    if protocol in model.ICMP_PROTOCOLS:
        if rule.get("icmp_type") is not None or rule.get("icmp_code") is not None:
            return rule.get("icmp_type"), rule.get("icmp_code")
    return rule.get("port_range_min"), rule.get("port_range_max")


def expand_rule(rule, path):
    """One declared rule -> a list of DesiredRule (one per prefix)."""
    direction = rule.get("direction") or "ingress"
    ethertype = _declared_ethertype(rule)
    description = rule.get("description") or ""
    if rule.get("remote_group") is not None:
        remotes = [(model.REMOTE_GROUP, rule["remote_group"], ethertype)]
    elif rule.get("remote_address_group") is not None:
        remotes = [(model.REMOTE_ADDRESS_GROUP, rule["remote_address_group"], ethertype)]
    elif rule.get("remote_ip_prefix") is not None:
        prefixes = rule["remote_ip_prefix"]
        prefixes = prefixes if isinstance(prefixes, list) else [prefixes]
        remotes = []
        for prefix in prefixes:
            family = model.ethertype_of(model.canonical_network(prefix))
            remotes.append((model.REMOTE_CIDR, prefix, ethertype or family))
    else:
        remotes = [(None, None, ethertype)]
    result = []
    for kind, remote, family in remotes:
        if family is None:
            # Neutron's default is IPv4; an IPv6-only protocol implies IPv6.
            protocol = model.canonical_protocol(rule.get("protocol"), None)
            family = "IPv6" if protocol in model.IPV6_ONLY_PROTOCOLS else "IPv4"
        protocol = model.canonical_protocol(rule.get("protocol"), family)
        port_min, port_max = _ports_of(rule, protocol)
        key = model.rule_key(direction, family, protocol, port_min, port_max, kind, remote)
        result.append(DesiredRule(key, description, path))
    return result


def parse_declaration(declaration):
    """Validate, then build Desired.  Raises DeclarationError."""
    if not isinstance(declaration, dict):
        validate_declaration(declaration)
    declaration = dict(declaration)
    for field in ("groups", "address_groups"):
        if declaration.get(field) is None:
            declaration.pop(field, None)
    validate_declaration(declaration)
    errors = []
    groups = []
    for index, group in enumerate(declaration.get("groups") or []):
        rules = {}
        for rule_index, rule in enumerate(group.get("rules") or []):
            path = "groups[%d].rules[%d]" % (index, rule_index)
            for desired in expand_rule(rule, path):
                previous = rules.get(desired.key)
                if previous is None:
                    rules[desired.key] = desired
                elif previous.description != desired.description:
                    errors.append(
                        "%s: the same rule as %s with another description (%r vs %r); a rule has one description"
                        % (path, previous.path, desired.description, previous.description)
                    )
        tags = group.get("tags")
        groups.append(
            DesiredGroup(
                name=group["name"],
                description=group.get("description"),
                stateful=group.get("stateful"),
                tags=None if tags is None else sorted(set(tags)),
                rules=list(rules.values()),
                path="groups[%d]" % index,
            )
        )
    address_groups = []
    for index, address_group in enumerate(declaration.get("address_groups") or []):
        address_groups.append(
            DesiredAddressGroup(
                name=address_group["name"],
                description=address_group.get("description"),
                addresses=None if address_group.get("addresses") is None else model.canonical_addresses(address_group["addresses"]),
                path="address_groups[%d]" % index,
            )
        )
    if errors:
        raise DeclarationError(errors)
    return Desired(groups, address_groups)
