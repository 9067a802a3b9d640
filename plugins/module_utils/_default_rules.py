# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud's default security group rule templates as an exact set (private).

Pure code, no I/O.  Neutron (2023.2+, API extension
``security-groups-default-rules``) copies these templates into every new
security group: those with ``used_in_default_sg`` into each project's
``default`` group, those with ``used_in_non_default_sg`` into every other
new group.  A template is a rule (validated and canonicalised by the same
code as security group rules: ``_schema``, ``_declaration``, ``_model``)
plus those two flags; ``remote_group: PARENT`` means "the new group itself".

Templates are immutable (no PUT) and Neutron refuses a second template with
the same rule fields as one used in non-default groups (409), whatever its
flags or description.  So a template's identity here is its rule key; a
change of flags or description is a replacement (delete, then create), and
new rules are created before anything else is deleted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
from collections import namedtuple

from ansible_collections.netsec.openstack.plugins.module_utils import _group_paths as group_paths
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import expand_rule
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError, validate_declaration

PARENT = "PARENT"
FLAGS = ("used_in_default_sg", "used_in_non_default_sg")
# A template declared without flags applies to every new group.
FLAG_DEFAULTS = {"used_in_default_sg": True, "used_in_non_default_sg": True}
# Neutron's own templates of a fresh cloud (and of every release before 2023.2).
NEUTRON_DEFAULTS = [
    {"remote_group": PARENT, "used_in_default_sg": True, "used_in_non_default_sg": False},
    {"remote_group": PARENT, "ethertype": "IPv6", "used_in_default_sg": True, "used_in_non_default_sg": False},
    {"direction": "egress"},
    {"direction": "egress", "ethertype": "IPv6"},
]
GUARD_MODES = ("warn", "fail", "ignore")

# description is None when the declaration leaves it unmanaged.
Template = namedtuple("Template", ["key", "used_in_default_sg", "used_in_non_default_sg", "description", "path", "id"])


def _flag_errors(rule, path):
    errors = []
    for field in sorted(rule):
        if field in FLAGS:
            if not isinstance(rule[field], bool):
                errors.append("%s.%s: expected a boolean, got %r" % (path, field, rule[field]))
        elif field.startswith("used_in"):
            hint = difflib.get_close_matches(field, FLAGS, n=1, cutoff=0.5)
            suggestion = " (did you mean %r?)" % hint[0] if hint else "; expected one of: %s" % ", ".join(FLAGS)
            errors.append("%s.%s: unknown field %r%s" % (path, field, field, suggestion))
    if not errors and rule.get("used_in_default_sg") is False and rule.get("used_in_non_default_sg") is False:
        errors.append(
            "%s: used_in_default_sg and used_in_non_default_sg are both false: the template would apply to no group; remove it or set one of them" % path
        )
    return errors


def _remote_errors(rule, path):
    remote = rule.get("remote_group")
    if isinstance(remote, dict):
        return ["%s.remote_group: a template names a group by id (or PARENT), not as {name, project}" % path]
    if isinstance(remote, str) and remote != PARENT and not model.looks_like_id(remote):
        return ["%s.remote_group: %r is not a template's remote group; use PARENT (the new group itself) or a group id" % (path, remote)]
    remote = rule.get("remote_address_group")
    if isinstance(remote, str) and not model.looks_like_id(remote):
        return ["%s.remote_address_group: %r is not an id; a template names an address group by id" % (path, remote)]
    return []


def _rule_part(rule):
    return dict((k, v) for k, v in rule.items() if k not in FLAGS and not k.startswith("used_in"))


def _unprefixed(errors):
    """The templates are validated as the rules of one group: their paths are the rules' own (no group)."""
    return group_paths.name_groups(errors, [None], single=True)


def parse_templates(rules):
    """Validate the declared ``rules`` and return [Template]; raises DeclarationError with every error."""
    if not isinstance(rules, list):
        raise DeclarationError(["rules: expected a list of rules, got %r" % (rules,)])
    errors = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            errors.append("rules[%d]: expected a mapping, got %r" % (index, rule))
            continue
        errors.extend(_flag_errors(rule, "rules[%d]" % index))
        errors.extend(_remote_errors(rule, "rules[%d]" % index))
    try:
        validate_declaration({"groups": [{"name": "templates", "rules": [_rule_part(r) if isinstance(r, dict) else r for r in rules]}]})
    except DeclarationError as exc:
        errors = _unprefixed(exc.errors) + errors
    if errors:
        raise DeclarationError(errors)
    templates, seen = [], {}
    for index, rule in enumerate(rules):
        path = "rules[%d]" % index
        flags = dict(FLAG_DEFAULTS)
        flags.update((k, rule[k]) for k in FLAGS if k in rule)
        for desired in expand_rule(_rule_part(rule), path):
            if desired.key in seen:
                errors.append(
                    "%s: the same rule as %s; declare a rule once, with used_in_default_sg and "
                    "used_in_non_default_sg saying where it applies (Neutron refuses duplicates)" % (path, seen[desired.key])
                )
                continue
            seen[desired.key] = path
            templates.append(Template(desired.key, flags["used_in_default_sg"], flags["used_in_non_default_sg"], rule.get("description"), path, None))
    if errors:
        raise DeclarationError(errors)
    return templates


def observed_template(item):
    """A template as the cloud layer returns it (a Neutron-shaped dict) -> Template."""
    return Template(
        model.key_from_neutron(item),
        bool(item.get("used_in_default_sg")),
        bool(item.get("used_in_non_default_sg")),
        item.get("description") or "",
        None,
        item.get("id"),
    )


def _same(observed, desired):
    if any(getattr(observed, flag) != getattr(desired, flag) for flag in FLAGS):
        return False
    return desired.description is None or (desired.description or "") == observed.description


def _why_replaced(observed, desired):
    reasons = []
    for flag in FLAGS:
        if getattr(observed, flag) != getattr(desired, flag):
            reasons.append("%s %s -> %s" % (flag, str(getattr(observed, flag)).lower(), str(getattr(desired, flag)).lower()))
    if desired.description is not None and desired.description != observed.description:
        reasons.append("description %r -> %r" % (observed.description, desired.description))
    return ", ".join(reasons)


def make_plan(desired, observed, purge=True):
    """Ordered operations: creates, then replacements (delete, create), then deletes.

    Each op: {action: create|delete|replace, template: declaration-shaped, id (delete/replace), path, reason}.
    """
    by_key = {}
    for template in observed:
        by_key.setdefault(template.key, []).append(template)
    creates, replaces, deletes = [], [], []
    declared_keys = set()
    for template in desired:
        declared_keys.add(template.key)
        present = by_key.get(template.key, [])
        keep = [t for t in present if _same(t, template)]
        if keep:
            for extra in [t for t in present if t.id != keep[0].id]:
                deletes.append(_op("delete", extra, "a second template with the rule of %s" % template.path))
            continue
        if present:
            for old in present[1:]:
                deletes.append(_op("delete", old, "a second template with the rule of %s" % template.path))
            replaces.append(
                dict(
                    _op(
                        "replace", template, "%s: %s (templates can not be updated: delete, then create)" % (template.path, _why_replaced(present[0], template))
                    ),
                    id=present[0].id,
                    old=render(present[0]),
                )
            )
            continue
        creates.append(_op("create", template, "declared in %s, not present" % template.path))
    if purge:
        for template in observed:
            if template.key not in declared_keys:
                deletes.append(_op("delete", template, "not declared (exact set)"))
    return creates + replaces + deletes


def _op(action, template, reason):
    op = {"action": action, "template": render(template), "reason": reason}
    if template.path:
        op["path"] = template.path
    if action == "delete":
        op["id"] = template.id
    return op


def body_of(op):
    """The POST body of a create or replace op (no security_group_id: a template belongs to no group)."""
    template = op["template"]
    key = template_key(template)
    body = model.neutron_body(key, template.get("description") or "", None)
    body.pop("security_group_id", None)
    for flag in FLAGS:
        body[flag] = bool(template[flag])
    return body


def template_key(rendered):
    """The RuleKey of a rendered template (as in a plan op)."""
    return expand_rule(_rule_part(dict((k, v) for k, v in rendered.items() if k != "id")), "")[0].key


def render(template):
    """Template -> the declaration shape (canonical), with its flags and, when known, id."""
    rule = model.key_to_declaration(template.key, template.description or "")
    rule["used_in_default_sg"] = template.used_in_default_sg
    rule["used_in_non_default_sg"] = template.used_in_non_default_sg
    if template.id:
        rule["id"] = template.id
    return rule


def simulate(observed, plan):
    """The templates after the plan (observed: [Template]); created ones have id None."""
    removed = set(op["id"] for op in plan if op["action"] in ("delete", "replace"))
    after = [t for t in observed if t.id not in removed]
    for op in plan:
        if op["action"] in ("create", "replace"):
            rendered = op["template"]
            after.append(
                Template(
                    template_key(rendered), rendered["used_in_default_sg"], rendered["used_in_non_default_sg"], rendered.get("description") or "", None, None
                )
            )
    return sorted(after, key=sort_key)


def sort_key(template):
    return (model.sort_key_of_rule_key(template.key), not template.used_in_default_sg, not template.used_in_non_default_sg, template.description or "")


# --- the guard ---------------------------------------------------------------

SCOPES = (
    ("used_in_non_default_sg", "new security groups (other than default)", ("egress",)),
    ("used_in_default_sg", "new projects' default security groups", ("egress", "ingress")),
)


def _directions(templates, flag):
    return set(t.key.direction for t in templates if getattr(t, flag))


def guard_findings(before, after):
    """What the plan takes away from new groups: egress from any new group, any ingress from default groups.

    Only losses the plan causes are reported (a state declared on purpose and
    already in place is not warned about on every run).
    """
    findings = []
    for flag, who, directions in SCOPES:
        had, has = _directions(before, flag), _directions(after, flag)
        for direction in directions:
            if direction in had and direction not in has:
                findings.append({"scope": flag, "lost": direction, "message": _guard_message(who, direction)})
    return findings


def _guard_message(who, direction):
    if direction == "egress":
        effect = "servers wearing only such a group can not send any traffic (no DNS, no updates, no replies of stateless flows)"
    else:
        effect = "servers booted without a group (they get default) accept no traffic at all, not even from each other or SSH"
    return (
        "LOCKOUT: after this change the default security group rule templates give %s no %s rule: %s. Declare "
        "one, or set lockout_guard=ignore if this is intended. Existing groups are not changed." % (who, direction, effect)
    )


# --- diff --------------------------------------------------------------------


def describe(template):
    """One canonical line per template: ``ingress IPv4 tcp/22 from 0.0.0.0/0 [default, other] "ssh"``."""
    key = template.key
    if key.protocol is None:
        what = "any"
    elif key.port_min is None:
        what = key.protocol
    elif key.protocol in model.ICMP_PROTOCOLS:
        what = "%s type %s%s" % (key.protocol, key.port_min, "" if key.port_max is None else " code %s" % key.port_max)
    else:
        what = "%s/%s" % (key.protocol, model.format_port_range(key.port_min, key.port_max))
    if key.remote_kind == model.REMOTE_GROUP:
        remote = "the new group itself" if key.remote == PARENT else "group %s" % key.remote
    elif key.remote_kind == model.REMOTE_ADDRESS_GROUP:
        remote = "address group %s" % key.remote
    else:
        remote = key.remote or model.ANY_PREFIX[key.ethertype]
    where = [name for flag, name in (("used_in_default_sg", "default"), ("used_in_non_default_sg", "other")) if getattr(template, flag)]
    line = "%s %s %s %s %s [%s]" % (key.direction, key.ethertype, what, "from" if key.direction == "ingress" else "to", remote, ", ".join(where) or "none")
    if template.description:
        line += " %r" % template.description
    return line


def diff_text(templates):
    return "".join(line + "\n" for line in sorted(describe(t) for t in templates))


def diff(before, after):
    return {
        "before_header": "default security group rule templates (before)",
        "after_header": "default security group rule templates (after)",
        "before": diff_text(before),
        "after": diff_text(after),
    }


def summarize(plan):
    summary = {"create": 0, "replace": 0, "delete": 0}
    for op in plan:
        summary[op["action"]] += 1
    return summary
