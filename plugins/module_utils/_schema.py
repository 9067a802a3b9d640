# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of declarations (private to this collection).

Pure code, no I/O.  ``validate_declaration`` checks the shape with
jsonschema, then the cross-field rules jsonschema can not express, and
returns every error at once, each naming its path
(``groups[1].rules[3].port``) and what is expected.  Nothing reaches the
cloud before a declaration passes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import traceback

try:
    import jsonschema

    HAS_JSONSCHEMA = True
    JSONSCHEMA_IMPORT_ERROR = None
except ImportError:
    HAS_JSONSCHEMA = False
    JSONSCHEMA_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

PORT_PATTERN = r"^\s*[0-9]+\s*(-\s*[0-9]+\s*)?$"
ETHERTYPE_PATTERN = r"^[Ii][Pp][Vv][46]$"
PORT_FIELDS = ("port", "port_range_min", "port_range_max")

RULE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "direction": {"type": "string", "enum": ["ingress", "egress"]},
        "ethertype": {"type": "string", "pattern": ETHERTYPE_PATTERN},
        "ether_type": {"type": "string", "pattern": ETHERTYPE_PATTERN},
        "protocol": {
            "type": ["string", "integer", "null"],
            "minimum": 0,
            "maximum": 255,
            "minLength": 1,
        },
        "port": {
            "type": ["integer", "string"],
            "minimum": 0,
            "maximum": 65535,
            "pattern": PORT_PATTERN,
        },
        "port_range_min": {"type": ["integer", "null"], "minimum": -1, "maximum": 65535},
        "port_range_max": {"type": ["integer", "null"], "minimum": -1, "maximum": 65535},
        "icmp_type": {"type": "integer", "minimum": 0, "maximum": 255},
        "icmp_code": {"type": "integer", "minimum": 0, "maximum": 255},
        "remote_ip_prefix": {
            "type": ["string", "array"],
            "minLength": 1,
            "minItems": 1,
            "items": {"type": "string", "minLength": 1},
        },
        "remote_group": {"type": "string", "minLength": 1},
        "remote_address_group": {"type": "string", "minLength": 1},
        "description": {"type": "string", "maxLength": model.DESCRIPTION_MAX_LENGTH},
        # Audit findings (stable ids) the user accepts for this rule; not part of the rule.
        "audit_waive": {"type": "array", "items": {"type": "string", "minLength": 1}},
    },
}

GROUP_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": model.NAME_MAX_LENGTH},
        "description": {"type": "string", "maxLength": model.DESCRIPTION_MAX_LENGTH},
        "stateful": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 255}},
        "rules": {"type": "array", "items": RULE_SCHEMA},
    },
}

ADDRESS_GROUP_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": model.NAME_MAX_LENGTH},
        "description": {"type": "string", "maxLength": model.DESCRIPTION_MAX_LENGTH},
        "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}},
    },
}

DECLARATION_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "netsec.openstack security group declarations",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "groups": {"type": "array", "items": GROUP_SCHEMA},
        "address_groups": {"type": "array", "items": ADDRESS_GROUP_SCHEMA},
    },
}

RULE_FIELDS = sorted(RULE_SCHEMA["properties"])
GROUP_FIELDS = sorted(GROUP_SCHEMA["properties"])
ADDRESS_GROUP_FIELDS = sorted(ADDRESS_GROUP_SCHEMA["properties"])


class DeclarationError(ValueError):
    """A declaration that failed validation; ``errors`` lists every problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(DeclarationError, self).__init__(
            "invalid declaration (%d error%s):\n  - %s"
            % (len(self.errors), "" if len(self.errors) == 1 else "s", "\n  - ".join(self.errors))
        )


def format_path(parts):
    """["groups", 1, "rules", 3, "port"] -> groups[1].rules[3].port"""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += "[%d]" % part
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def _known_fields_at(path):
    parts = [p for p in path if not isinstance(p, int)]
    if not parts:
        return sorted(DECLARATION_SCHEMA["properties"])
    if parts[-1] == "rules":
        return RULE_FIELDS
    if parts[-1] == "groups":
        return GROUP_FIELDS
    if parts[-1] == "address_groups":
        return ADDRESS_GROUP_FIELDS
    return []


def _suggest(field, known):
    """The field a typo most likely meant: a prefix match first, then the closest."""
    prefixed = [name for name in known if name.startswith(field) or field.startswith(name)]
    if prefixed:
        return [min(prefixed, key=len)]
    return difflib.get_close_matches(field, known, n=1, cutoff=0.6)


def _schema_error_message(error):
    path = list(error.absolute_path)
    where = format_path(path)
    if error.validator == "additionalProperties":
        known = _known_fields_at(path)
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        messages = []
        for field in extra:
            hint = _suggest(field, known)
            message = "%s: unknown field %r" % (format_path(path + [field]), field)
            if hint:
                message += " (did you mean %r?)" % hint[0]
            else:
                message += "; expected one of: %s" % ", ".join(known)
            messages.append(message)
        return messages
    if error.validator == "required":
        return ["%s: %s" % (where, error.message.replace("is a required property", "is required"))]
    if error.validator == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            expected = " or ".join(t for t in expected if t != "null")
        return ["%s: expected %s, got %s %r" % (where, expected, _type_name(error.instance), error.instance)]
    if error.validator == "pattern" and path and path[-1] == "port":
        return ["%s: %r is not a port; expected a number or a range 'min-max'" % (where, error.instance)]
    if error.validator == "pattern" and path and path[-1] in ("ethertype", "ether_type"):
        return ["%s: %r is not an ethertype; expected IPv4 or IPv6" % (where, error.instance)]
    if error.validator == "enum":
        return ["%s: %r is not one of %s" % (where, error.instance, ", ".join(map(str, error.validator_value)))]
    if error.validator == "minLength":
        return ["%s: expected a non-empty string, got %r" % (where, error.instance)]
    if error.validator == "maxLength":
        return ["%s: expected at most %d characters (Neutron's limit), got %d" % (where, error.validator_value, len(error.instance))]
    if error.validator == "minItems":
        return ["%s: expected a list of at least %d item(s), got %r" % (where, error.validator_value, error.instance)]
    if error.validator in ("minimum", "maximum") and path and path[-1] in PORT_FIELDS:
        return ["%s: expected a port within 1-65535 (-1 means any ICMP type/code), got %r" % (where, error.instance)
                if path[-1] != "port" else "%s: expected a port within 1-65535, got %r" % (where, error.instance)]
    if error.validator == "minimum":
        return ["%s: expected %s or more, got %r" % (where, error.validator_value, error.instance)]
    if error.validator == "maximum":
        return ["%s: expected %s or less, got %r" % (where, error.validator_value, error.instance)]
    return ["%s: %s" % (where, error.message)]


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def schema_errors(declaration):
    """Shape errors (jsonschema), sorted by path, each a message string."""
    if not HAS_JSONSCHEMA:
        raise RuntimeError("the python library jsonschema is required")
    validator = jsonschema.Draft7Validator(DECLARATION_SCHEMA)
    messages = []
    for error in sorted(validator.iter_errors(declaration), key=lambda e: [str(p) for p in e.absolute_path]):
        messages.extend(_schema_error_message(error))
    return messages


def parse_port(value):
    """A declared ``port`` -> (min, max)."""
    if isinstance(value, int):
        return value, value
    text = str(value).strip()
    if "-" in text:
        low, high = text.split("-", 1)
        return int(low), int(high)
    return int(text), int(text)


def rule_errors(rule, path):
    """Cross-field errors of one (shape-valid) rule."""
    errors = []
    where = format_path(path)

    def err(field, message):
        errors.append("%s: %s" % (format_path(path + [field]) if field else where, message))

    ethertype = None
    for field in ("ethertype", "ether_type"):
        if rule.get(field) is not None:
            value = model.canonical_ethertype(rule[field])
            if ethertype is not None and value != ethertype:
                err(field, "ethertype and ether_type disagree (%s vs %s)" % (ethertype, value))
            ethertype = value

    remotes = [f for f in ("remote_ip_prefix", "remote_group", "remote_address_group") if rule.get(f) is not None]
    if len(remotes) > 1:
        err(None, "give at most one of remote_ip_prefix, remote_group, remote_address_group (got %s)" % ", ".join(remotes))

    prefix_families = set()
    prefixes = rule.get("remote_ip_prefix")
    if prefixes is not None:
        listed = prefixes if isinstance(prefixes, list) else [prefixes]
        for index, prefix in enumerate(listed):
            field_path = path + ["remote_ip_prefix"] + ([index] if isinstance(prefixes, list) else [])
            try:
                network = model.canonical_network(prefix)
            except model.ModelError:
                errors.append("%s: %r is not a valid IP address or CIDR" % (format_path(field_path), prefix))
                continue
            if model.has_host_bits(prefix):
                errors.append(
                    "%s: %r has host bits set; write the network %s (or a /%d host address)"
                    % (format_path(field_path), prefix, network.with_prefixlen, network.max_prefixlen)
                )
            family = model.ethertype_of(network)
            prefix_families.add(family)
            if ethertype is not None and family != ethertype:
                errors.append("%s: %s is an %s prefix but the rule's ethertype is %s" % (format_path(field_path), prefix, family, ethertype))

    protocol = None
    try:
        # The family only matters for icmp -> ipv6-icmp; validate the name here.
        protocol = model.canonical_protocol(rule.get("protocol"), ethertype)
    except model.ModelError as exc:
        err("protocol", str(exc))
    if protocol is not None:
        families = {ethertype} if ethertype else (prefix_families or {"IPv4"})
        if protocol in model.IPV6_ONLY_PROTOCOLS and "IPv4" in families and (ethertype or prefix_families):
            err("protocol", "%s is an IPv6 protocol but the rule is IPv4" % protocol)

    has_port = rule.get("port") is not None
    has_range = rule.get("port_range_min") is not None or rule.get("port_range_max") is not None
    has_icmp = rule.get("icmp_type") is not None or rule.get("icmp_code") is not None
    if has_port and has_range:
        err("port", "give either port or port_range_min/port_range_max, not both")
    is_port_protocol = protocol in model.PORT_PROTOCOLS
    is_icmp = protocol in model.ICMP_PROTOCOLS
    if has_port:
        try:
            low, high = parse_port(rule["port"])
        except ValueError:
            low = high = None
            err("port", "%r is not a port; expected a number or a range 'min-max'" % (rule["port"],))
        if not is_port_protocol:
            if is_icmp:
                err("port", "ports do not apply to %s; use icmp_type and icmp_code" % protocol)
            else:
                err("port", "ports need a port protocol (%s); protocol is %s" % (", ".join(sorted(model.PORT_PROTOCOLS)), protocol or "any"))
        elif low is not None:
            if low < 1 or high > 65535:
                err("port", "ports must be within 1-65535, got %r" % (rule["port"],))
            elif low > high:
                err("port", "range %r is reversed; write %d-%d" % (rule["port"], high, low))
    if has_range:
        low, high = rule.get("port_range_min"), rule.get("port_range_max")
        if is_port_protocol:
            if (low is not None and low < 1) or (high is not None and high < 1):
                err("port_range_min" if low is not None and low < 1 else "port_range_max", "ports must be within 1-65535")
            elif low is not None and high is not None and low > high:
                err("port_range_min", "port_range_min %d is greater than port_range_max %d" % (low, high))
        elif is_icmp:
            # openstack.cloud's spelling: min/max carry ICMP type/code, -1 = any.
            if has_icmp:
                err("port_range_min", "give either icmp_type/icmp_code or port_range_min/port_range_max, not both")
            if (low is None or low < 0) and high is not None and high >= 0:
                err("port_range_max", "an ICMP code (port_range_max) needs an ICMP type (port_range_min)")
            for field, value in (("port_range_min", low), ("port_range_max", high)):
                if value is not None and value > 255:
                    err(field, "ICMP type/code must be within 0-255, got %d" % value)
        elif not (low in (None, -1) and high in (None, -1)):
            err("port_range_min", "ports need a port protocol (%s); protocol is %s" % (", ".join(sorted(model.PORT_PROTOCOLS)), protocol or "any"))
    if has_icmp:
        if not is_icmp:
            field = "icmp_type" if rule.get("icmp_type") is not None else "icmp_code"
            err(field, "icmp_type/icmp_code need protocol icmp or ipv6-icmp; protocol is %s" % (protocol or "any"))
        elif rule.get("icmp_code") is not None and rule.get("icmp_type") is None:
            err("icmp_code", "icmp_code needs icmp_type")
    return errors


def cross_field_errors(declaration):
    """Errors jsonschema can not express.

    Runs on every part whose shape is valid, so a typo in one rule does not
    hide a reversed range in another.
    """
    errors = []
    groups = declaration.get("groups")
    groups = groups if isinstance(groups, list) else []
    rule_validator = jsonschema.Draft7Validator(RULE_SCHEMA)
    seen = {}
    for index, group in enumerate(groups):
        if not isinstance(group, dict):
            continue
        name = group.get("name")
        if not isinstance(name, str):
            pass
        elif name and not name.strip():
            errors.append("groups[%d].name: expected a name with a visible character, got %r" % (index, name))
        elif name in seen:
            errors.append("groups[%d].name: duplicate group name %r (also groups[%d])" % (index, name, seen[name]))
        else:
            seen[name] = index
        rules = group.get("rules")
        for rule_index, rule in enumerate(rules if isinstance(rules, list) else []):
            if not rule_validator.is_valid(rule):
                continue
            errors.extend(rule_errors(rule, ["groups", index, "rules", rule_index]))
    seen = {}
    address_groups = declaration.get("address_groups")
    for index, address_group in enumerate(address_groups if isinstance(address_groups, list) else []):
        if not isinstance(address_group, dict):
            continue
        name = address_group.get("name")
        if not isinstance(name, str):
            continue
        if name and not name.strip():
            errors.append("address_groups[%d].name: expected a name with a visible character, got %r" % (index, name))
        elif name in seen:
            errors.append("address_groups[%d].name: duplicate address group name %r (also address_groups[%d])" % (index, name, seen[name]))
        else:
            seen[name] = index
        addresses = address_group.get("addresses")
        for address_index, address in enumerate(addresses if isinstance(addresses, list) else []):
            if not isinstance(address, str):
                continue
            where = "address_groups[%d].addresses[%d]" % (index, address_index)
            try:
                network = model.canonical_network(address)
            except model.ModelError:
                errors.append("%s: %r is not a valid IP address or CIDR" % (where, address))
                continue
            if model.has_host_bits(address):
                errors.append("%s: %r has host bits set; write the network %s" % (where, address, network.with_prefixlen))
    return errors


def validate_declaration(declaration):
    """Raise DeclarationError listing every problem; return None when valid."""
    if not isinstance(declaration, dict):
        raise DeclarationError(["(top level): expected a mapping with groups and address_groups, got %s" % _type_name(declaration)])
    errors = schema_errors(declaration) + cross_field_errors(declaration)
    if errors:
        raise DeclarationError(errors)
