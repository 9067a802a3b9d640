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

from ansible_collections.netsec.openstack.plugins.module_utils import _fields as fields
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._schema import (
    DeclarationError,
    parse_port,
    validate_declaration,
)

DesiredRule = namedtuple("DesiredRule", ["key", "description", "path"])
DesiredGroup = namedtuple("DesiredGroup", ["name", "description", "stateful", "tags", "rules", "path", "shared_with", "adopt"])
DesiredAddressGroup = namedtuple("DesiredAddressGroup", ["name", "description", "addresses", "path", "shared_with"])
# shared_with: None = sharing not managed; otherwise the declared projects, sorted (_sharing).
# adopt: tag an existing group that does not carry the ownership tag (else it is managed, never adopted).
DesiredGroup.__new__.__defaults__ = (None, False)
DesiredAddressGroup.__new__.__defaults__ = (None,)
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


def _remotes_of(rule, ethertype):
    """[(remote kind, reference, family)]: one per prefix of a prefix list."""
    for field, kind in fields.remote_kinds():
        value = rule.get(field)
        if value is None:
            continue
        if kind != model.REMOTE_CIDR:
            return [(kind, sharing.reference(value), ethertype)]
        prefixes = value if isinstance(value, list) else [value]
        return [(kind, prefix, ethertype or model.ethertype_of(model.canonical_network(prefix))) for prefix in prefixes]
    return [(None, None, ethertype)]


def expand_rule(rule, path):
    """One declared rule -> a list of DesiredRule (one per prefix).

    An omitted ``description`` stays None: the description is then not
    managed (any matches); ``""`` means it must be empty.
    """
    direction = rule.get("direction") or "ingress"
    ethertype = _declared_ethertype(rule)
    description = rule.get("description")
    remotes = _remotes_of(rule, ethertype)
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


def _group_rules(group, index, errors):
    """{RuleKey: DesiredRule} of a declared group, or None when it declares no ``rules`` key (rules unmanaged).

    The same rule twice is one rule; an omitted description yields to a given one,
    two different given descriptions are an error.
    """
    if group.get("rules") is None:
        return None
    rules = {}
    for rule_index, rule in enumerate(group["rules"]):
        path = "groups[%d].rules[%d]" % (index, rule_index)
        for desired in expand_rule(rule, path):
            previous = rules.get(desired.key)
            if previous is None or previous.description is None:
                rules[desired.key] = desired if previous is None or desired.description is not None else previous
            elif desired.description is not None and previous.description != desired.description:
                errors.append(
                    "%s: the same rule as %s with another description (%r vs %r); a rule has one description"
                    % (path, previous.path, desired.description, previous.description)
                )
    return rules


def _shared_with(item):
    shared = item.get("shared_with")
    return None if shared is None else sorted(set(shared))


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
        rules = _group_rules(group, index, errors)
        tags = group.get("tags")
        groups.append(
            DesiredGroup(
                name=group["name"],
                description=group.get("description"),
                stateful=group.get("stateful"),
                tags=None if tags is None else sorted(set(tags)),
                rules=None if rules is None else list(rules.values()),
                path="groups[%d]" % index,
                shared_with=_shared_with(group),
                adopt=bool(group.get("adopt")),
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
                shared_with=_shared_with(address_group),
            )
        )
    if errors:
        raise DeclarationError(errors)
    return Desired(groups, address_groups)
