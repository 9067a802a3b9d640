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

from ansible_collections.netsec.openstack.plugins.module_utils import _fields as fields
from ansible_collections.netsec.openstack.plugins.module_utils import _icmp as icmp
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError

PORT_FIELDS = fields.PORT_FIELDS + ("port",)
RULE_SCHEMA = fields.rule_schema()

# Projects (names or ids, or "*" for every project) a group or address group is shared with (_sharing).
SHARED_WITH_SCHEMA = {"type": "array", "uniqueItems": True, "items": {"type": "string", "minLength": 1, "maxLength": 255}}


def _named_object_schema(properties):
    """A named object of the declaration (a group, an address group): ``name``, ``description``, then its own fields."""
    named = {
        "name": {"type": "string", "minLength": 1, "maxLength": model.NAME_MAX_LENGTH},
        "description": {"type": "string", "maxLength": model.DESCRIPTION_MAX_LENGTH},
    }
    named.update(properties)
    return {"type": "object", "additionalProperties": False, "required": ["name"], "properties": named}


GROUP_SCHEMA = _named_object_schema(
    {
        "stateful": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 255}},
        "rules": {"type": "array", "items": RULE_SCHEMA},
        "shared_with": SHARED_WITH_SCHEMA,
        # Take a group this collection did not create into its ownership (the tag; see _plan._plan_group_update).
        "adopt": {"type": "boolean"},
    }
)
ADDRESS_GROUP_SCHEMA = _named_object_schema(
    {
        "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "shared_with": SHARED_WITH_SCHEMA,
    }
)

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

# The top-level keys of a declarations file (see _declarations_file): the engine's part above, plus these.
DECLARATIONS_FILE_KEYS = ("project", "address_groups", "groups", "servers")

RULE_FIELDS = sorted(RULE_SCHEMA["properties"])
GROUP_FIELDS = sorted(GROUP_SCHEMA["properties"])
ADDRESS_GROUP_FIELDS = sorted(ADDRESS_GROUP_SCHEMA["properties"])


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
        hint = ""
        if error.instance is None and path and path[-1] == "rules":
            hint = " (leave the key out to leave the group's rules alone, or write [] for no rules)"
        return ["%s: expected %s, got %s %r%s" % (where, expected, _type_name(error.instance), error.instance, hint)]
    if error.validator == "pattern" and path and path[-1] == "port":
        return ["%s: %r is not a port; expected a number or a range 'min-max' (or 'min:max')" % (where, error.instance)]
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
        if path[-1] == "port":
            return ["%s: expected a port within 1-65535, got %r" % (where, error.instance)]
        return ["%s: expected a port within 1-65535 (-1 on both ends: all ports, or any ICMP type/code), got %r" % (where, error.instance)]
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
    return _shape_check(declaration)[0]


def _shape_check(declaration):
    """(shape error messages sorted by path, {(group index, rule index)} of the rules that have one).

    One jsonschema pass over the whole declaration: a rule's own errors carry
    its path (groups, i, rules, j, ...), so the rules whose shape is valid
    need no second validation before their cross-field checks.
    """
    if not HAS_JSONSCHEMA:
        raise RuntimeError("the python library jsonschema is required")
    validator = jsonschema.Draft7Validator(DECLARATION_SCHEMA)
    messages = []
    invalid_rules = set()
    for error in sorted(validator.iter_errors(declaration), key=lambda e: [str(p) for p in e.absolute_path]):
        messages.extend(_schema_error_message(error))
        path = list(error.absolute_path)
        if len(path) >= 4 and path[0] == "groups" and path[2] == "rules":
            invalid_rules.add((path[1], path[3]))
    return messages, invalid_rules


def parse_port(value):
    """A declared ``port`` -> (min, max); ranges are written ``a-b`` or ``a:b``."""
    if isinstance(value, int):
        return value, value
    text = str(value).strip()
    for separator in fields.PORT_RANGE_SEPARATORS:
        if separator in text:
            low, high = text.split(separator, 1)
            return int(low), int(high)
    return int(text), int(text)


def _range_separator(value):
    """The separator the user wrote in a port range, so hints answer in their spelling."""
    return ":" if ":" in str(value) else "-"


class _RuleCheck(object):
    """Cross-field checks of one shape-valid rule; ``errors`` collects every finding with its path."""

    def __init__(self, rule, path):
        self.rule = rule
        self.path = path
        self.errors = []

    def err(self, field, message):
        where = format_path(self.path + [field] if field is not None else self.path)
        self.errors.append("%s: %s" % (where, message))

    def given(self, field):
        return self.rule.get(field) is not None

    def ethertype(self):
        found = None
        for field in ("ethertype", "ether_type"):
            if self.given(field):
                value = model.canonical_ethertype(self.rule[field])
                if found is not None and value != found:
                    self.err(field, "ethertype and ether_type disagree (%s vs %s)" % (found, value))
                found = value
        return found

    def remotes(self):
        given = [f for f in fields.REMOTE_FIELDS if self.given(f)]
        if len(given) > 1:
            self.err(None, "give at most one of %s (got %s)" % (", ".join(fields.REMOTE_FIELDS), ", ".join(given)))

    def prefix_families(self, ethertype):
        """The families of the rule's prefixes (each prefix checked)."""
        families = set()
        prefixes = self.rule.get("remote_ip_prefix")
        if prefixes is None:
            return families
        listed = prefixes if isinstance(prefixes, list) else [prefixes]
        for index, prefix in enumerate(listed):
            where = self.path + ["remote_ip_prefix"] + ([index] if isinstance(prefixes, list) else [])
            try:
                network = model.canonical_network(prefix)
            except model.ModelError:
                self.errors.append("%s: %r is not a valid IP address or CIDR" % (format_path(where), prefix))
                continue
            if model.has_host_bits(prefix):
                self.errors.append(
                    "%s: %r has host bits set; write the network %s (or a /%d host address)"
                    % (format_path(where), prefix, network.with_prefixlen, network.max_prefixlen)
                )
            family = model.ethertype_of(network)
            families.add(family)
            if ethertype is not None and family != ethertype:
                self.errors.append("%s: %s is an %s prefix but the rule's ethertype is %s" % (format_path(where), prefix, family, ethertype))
        return families

    def protocol(self, ethertype, prefix_families):
        """The canonical protocol (None: any or invalid) and the families the rule covers."""
        protocol = None
        try:
            protocol = model.canonical_protocol(self.rule.get("protocol"), ethertype)
        except model.ModelError as exc:
            self.err("protocol", str(exc))
        explicit = {ethertype} if ethertype else prefix_families
        if protocol in model.IPV6_ONLY_PROTOCOLS and "IPv4" in explicit:
            self.err("protocol", "%s is an IPv6 protocol but the rule is IPv4" % protocol)
        implied = {"IPv6"} if protocol in model.IPV6_ONLY_PROTOCOLS else {"IPv4"}
        return protocol, explicit or implied

    def no_ports(self, field, protocol, hint=""):
        self.err(field, "ports need a port protocol (%s); protocol is %s%s" % (", ".join(sorted(model.PORT_PROTOCOLS)), protocol or "any", hint))

    def port(self, protocol):
        value = self.rule["port"]
        if protocol in model.ICMP_PROTOCOLS:
            return self.err("port", "ports do not apply to %s; use icmp_type and icmp_code" % protocol)
        if protocol not in model.PORT_PROTOCOLS:
            return self.no_ports("port", protocol)
        try:
            low, high = parse_port(value)
        except ValueError:
            return self.err("port", "%r is not a port; expected a number or a range 'min-max' (or 'min:max')" % (value,))
        if low < 1 or high > 65535:
            self.err("port", "ports must be within 1-65535, got %r (omit the port for all ports)" % (value,))
        elif low > high:
            self.err("port", "range %r is reversed; write %d%s%d" % (value, high, _range_separator(value), low))

    def port_range(self, protocol):
        low, high = self.rule.get("port_range_min"), self.rule.get("port_range_max")
        if protocol in model.PORT_PROTOCOLS:
            if low == -1 and high == -1:
                return  # openstack.cloud's "all ports"
            if -1 in (low, high):
                field = "port_range_min" if low == -1 else "port_range_max"
                return self.err(
                    field,
                    "-1 means all ports only when port_range_min and port_range_max are both -1; "
                    "give both as -1 (or leave both out) for all ports, or a range within 1-65535",
                )
            for field, value in (("port_range_min", low), ("port_range_max", high)):
                if value is not None and value < 1:
                    return self.err(field, "ports must be within 1-65535, got %d" % value)
            if low is not None and high is not None and low > high:
                self.err("port_range_min", "port_range_min %d is greater than port_range_max %d" % (low, high))
        elif protocol in model.ICMP_PROTOCOLS:
            # openstack.cloud's spelling: min/max carry ICMP type/code, -1 = any.
            if self.given("icmp_type") or self.given("icmp_code"):
                self.err("port_range_min", "give either icmp_type/icmp_code or port_range_min/port_range_max, not both")
            if (low is None or low < 0) and high is not None and high >= 0:
                self.err("port_range_max", "an ICMP code (port_range_max) needs an ICMP type (port_range_min)")
            for field, value in (("port_range_min", low), ("port_range_max", high)):
                if value is not None and value > 255:
                    self.err(field, "ICMP type/code must be within 0-255, got %d" % value)
        else:
            self.no_ports(
                "port_range_min" if low is not None else "port_range_max",
                protocol,
                "; leave port_range_min/port_range_max out (-1 means all ports only for those)",
            )

    def icmp_fields(self, protocol):
        if protocol not in model.ICMP_PROTOCOLS:
            field = "icmp_type" if self.given("icmp_type") else "icmp_code"
            self.err(field, "icmp_type/icmp_code need protocol icmp or ipv6-icmp; protocol is %s" % (protocol or "any"))
        elif self.given("icmp_code") and not self.given("icmp_type"):
            self.err("icmp_code", "icmp_code needs icmp_type")

    def icmp_family(self, families):
        """ICMP type and code checked against the family (or both families) the rule covers."""
        type_field = "icmp_type" if self.given("icmp_type") else "port_range_min"
        code_field = "icmp_code" if self.given("icmp_type") else "port_range_max"
        icmp_type, icmp_code = self.rule.get(type_field), self.rule.get(code_field)
        if icmp_type is None or icmp_type < 0 or icmp_type > 255 or icmp.WAIVER in (self.rule.get("audit_waive") or ()):
            return
        problems = [icmp.type_error(icmp_type, family) for family in sorted(families)]
        problems = [problem for problem in problems if problem]
        if not problems and len(families) > 1:
            problems = [icmp.dual_stack_error(icmp_type)]
        for problem in problems:
            if problem:
                self.err(type_field, "%s (audit_waive: [%s] keeps it as written)" % (problem, icmp.WAIVER))
        if problems or icmp_code is None or icmp_code < 0 or icmp_code > 255:
            return
        for family in sorted(families):
            problem = icmp.code_error(icmp_type, icmp_code, family)
            if problem:
                self.err(code_field, "%s (audit_waive: [%s] keeps it as written)" % (problem, icmp.WAIVER))

    def run(self):
        ethertype = self.ethertype()
        self.remotes()
        protocol, families = self.protocol(ethertype, self.prefix_families(ethertype))
        has_range = self.given("port_range_min") or self.given("port_range_max")
        if self.given("port") and has_range:
            self.err("port", "give either port or port_range_min/port_range_max, not both")
        if self.given("port"):
            self.port(protocol)
        if has_range:
            self.port_range(protocol)
        if self.given("icmp_type") or self.given("icmp_code"):
            self.icmp_fields(protocol)
        if protocol in model.ICMP_PROTOCOLS and not (protocol in model.IPV6_ONLY_PROTOCOLS and "IPv4" in families):
            self.icmp_family(families)  # (an IPv6 protocol on IPv4 is already refused above)
        return self.errors


def rule_errors(rule, path):
    """Cross-field errors of one (shape-valid) rule, each naming its path."""
    return _RuleCheck(rule, path).run()


def _name_errors(items, section, what):
    """Blank and duplicate names of a list of groups or address groups: (errors, valid item indexes)."""
    errors, seen, valid = [], {}, []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        valid.append(index)
        name = item.get("name")
        if not isinstance(name, str):
            continue
        if name and not name.strip():
            errors.append("%s[%d].name: expected a name with a visible character, got %r" % (section, index, name))
        elif name in seen:
            errors.append("%s[%d].name: duplicate %s name %r (also %s[%d])" % (section, index, what, name, section, seen[name]))
        else:
            seen[name] = index
    return errors, valid


def _address_errors(index, addresses):
    errors = []
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


def cross_field_errors(declaration, invalid_rules=None):
    """Errors jsonschema can not express.

    Runs on every part whose shape is valid, so a typo in one rule does not
    hide a reversed range in another.  ``invalid_rules``: the (group index,
    rule index) pairs the shape check refused (``_shape_check``); None
    validates each rule against the rule schema here.
    """
    groups = declaration.get("groups")
    errors, valid_groups = _name_errors(groups, "groups", "group")
    rule_validator = jsonschema.Draft7Validator(RULE_SCHEMA) if invalid_rules is None else None
    for index in valid_groups:
        if groups[index].get("adopt") is True and groups[index].get("name") == model.DEFAULT_GROUP_NAME:
            errors.append("groups[%d].adopt: the project's default group is Neutron's; it is never adopted (nor deleted), leave adopt out" % index)
        rules = groups[index].get("rules")
        for rule_index, rule in enumerate(rules if isinstance(rules, list) else []):
            valid = rule_validator.is_valid(rule) if rule_validator else (index, rule_index) not in invalid_rules
            if valid:
                errors.extend(rule_errors(rule, ["groups", index, "rules", rule_index]))
    address_groups = declaration.get("address_groups")
    address_errors, valid_address_groups = _name_errors(address_groups, "address_groups", "address group")
    errors.extend(address_errors)
    for index in valid_address_groups:
        errors.extend(_address_errors(index, address_groups[index].get("addresses")))
    return errors


def validate_declaration(declaration):
    """Raise DeclarationError listing every problem; return None when valid."""
    if not isinstance(declaration, dict):
        raise DeclarationError(["(top level): expected a mapping with groups and address_groups, got %s" % _type_name(declaration)])
    shape_errors, invalid_rules = _shape_check(declaration)
    errors = shape_errors + cross_field_errors(declaration, invalid_rules)
    if errors:
        raise DeclarationError(errors)
