# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan: desired + observed -> an ordered list of operations (private).

Pure code, no I/O.  ``make_plan`` compares the desired state (from
``_declaration``) with what the adapter observed and returns a plan: a list
of JSON-serialisable operations, each naming its group, its rule and the
reason.  ``simulate`` applies a plan to an observed state without a cloud;
check mode, diff mode and the tests use it, and the real run executes the
very same plan.

Groups the plan creates are referred to by placeholders (``new:<name>``)
until the executor knows their ids, so rules can reference groups created
by the same plan, cycles included.

The observed state is a plain dict::

    project_id: the scope project
    groups: [{id, name, description, stateful, tags, project_id, rules: [neutron rule dicts]}]
    address_groups: [{id, name, description, addresses, tags, project_id}]
    known_groups: {id: {id, name, project_id}}          # outside the scope, for names
    known_address_groups: {id: {id, name, project_id}}
    templates: [neutron default-security-group-rule dicts] or None (unknown)
    usage: {group_id: {ports: [{id, device_id, device_owner, name}], rules: [rule dicts]}}
    address_group_usage: {address_group_id: {rules: [rule dicts]}}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import copy

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _operations as operations
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._errors import PlanError  # noqa: F401 (re-exported)

NEW_PREFIX = "new:"
TEMPLATE_PARENT = "PARENT"
# What a new group gets when the cloud's templates can not be read:
# Neutron's historical default.
ASSUMED_TEMPLATES = [
    {"direction": "egress", "ethertype": "IPv4", "used_in_non_default_sg": True, "used_in_default_sg": True},
    {"direction": "egress", "ethertype": "IPv6", "used_in_non_default_sg": True, "used_in_default_sg": True},
]

# The order of a plan's operations: the operation contract's stages.
ACTION_ORDER = [kind for _stage, kind in operations.STAGES]


def is_placeholder(ref):
    return isinstance(ref, str) and ref.startswith(NEW_PREFIX)


def placeholder(name):
    return NEW_PREFIX + name


def _body_of(key, description=""):
    body = model.neutron_body(key, description, None)
    body.pop("security_group_id")
    return body


class Names(object):
    """Names for ids, to show rules the way users write them."""

    def __init__(self, observed):
        self.groups = {}
        self.address_groups = {}
        for gid, info in (observed.get("known_groups") or {}).items():
            self.groups[gid] = info.get("name") or gid
        for gid, info in (observed.get("known_address_groups") or {}).items():
            self.address_groups[gid] = info.get("name") or gid
        for group in observed.get("groups") or []:
            self.groups[group["id"]] = group.get("name") or group["id"]
        for address_group in observed.get("address_groups") or []:
            self.address_groups[address_group["id"]] = address_group.get("name") or address_group["id"]

    def group(self, ref):
        if is_placeholder(ref):
            return ref.removeprefix(NEW_PREFIX)
        return self.groups.get(ref, ref)

    def address_group(self, ref):
        if is_placeholder(ref):
            return ref.removeprefix(NEW_PREFIX)
        return self.address_groups.get(ref, ref)

    def display(self, key, description=""):
        def name_of(ref):
            if key.remote_kind == model.REMOTE_GROUP:
                return self.group(ref)
            return self.address_group(ref)

        return model.key_to_declaration(key, description, name_of)


def template_keys(templates, group_ref, default_group=False):
    """RuleKeys a new group gets from the cloud's default-rule templates."""
    keys = []
    flag = "used_in_default_sg" if default_group else "used_in_non_default_sg"
    for template in templates:
        if not template.get(flag, True):
            continue
        rule = dict(template)
        if rule.get("remote_group_id") == TEMPLATE_PARENT:
            rule["remote_group_id"] = group_ref
        # Neutron does not copy a template's description into the rule it creates.
        keys.append((model.key_from_neutron(rule), ""))
    return keys


def _index_by_name(items):
    index = {}
    for item in items:
        index.setdefault(item.get("name"), []).append(item)
    return index


def _candidates(items):
    return ", ".join("%s (project %s)" % (item["id"], item.get("project_id")) for item in items)


def _resolver(desired, observed, errors, group_refs, address_group_refs):
    """Functions that turn a user's reference into an id or a placeholder."""
    groups_by_name = _index_by_name(observed.get("groups") or [])
    address_groups_by_name = _index_by_name(observed.get("address_groups") or [])
    group_ids = set(g["id"] for g in observed.get("groups") or []) | set(observed.get("known_groups") or {})
    address_group_ids = set(a["id"] for a in observed.get("address_groups") or []) | set(observed.get("known_address_groups") or {})

    def resolve(kind, text, path):
        if isinstance(text, sharing.ForeignGroup):  # {name, project}: a group another project shares with this one
            return sharing.resolve_foreign(observed, text, path, errors, planned_ref=placeholder(str(text)))
        if kind == model.REMOTE_GROUP:
            declared, by_name, ids, what = group_refs, groups_by_name, group_ids, "security group"
        else:
            declared, by_name, ids, what = address_group_refs, address_groups_by_name, address_group_ids, "address group"
        if text in declared:
            return declared[text]
        matches = by_name.get(text) or []
        if len(matches) == 1:
            return matches[0]["id"]
        if len(matches) > 1:
            errors.append(
                "%s: %s name %r is ambiguous in project %s; use one of the ids: %s" % (path, what, text, observed.get("project_id"), _candidates(matches))
            )
            return None
        if text in ids:
            return text
        errors.append("%s: unknown %s %r: not declared in this task and not found in project %s" % (path, what, text, observed.get("project_id")))
        return None

    return resolve


def _match_existing(items, desired_items, what, errors, path_of):
    """Map desired name -> the one observed item of that name (or None)."""
    by_name = _index_by_name(items)
    matched = {}
    for item in desired_items:
        found = by_name.get(item.name) or []
        if len(found) > 1:
            errors.append(
                "%s.name: %s name %r is ambiguous in the project: %s; rename or delete the extra ones" % (path_of(item), what, item.name, _candidates(found))
            )
            matched[item.name] = None
        else:
            matched[item.name] = found[0] if found else None
    return matched


def age_key(group):
    """Orders copies of one group oldest first (created_at, then id): every run keeps the same one."""
    return (group.get("created_at") or "", group["id"])


def _namesakes(desired, observed, options):
    """Declared names that several groups of the scope project carry, at least one with the ownership tag.

    Yields (name, kept group, other tagged copies, untagged copies).  Such
    copies come from a create whose answer was lost and that landed after
    the run had made the group again (Neutron takes no tags in the create,
    so such a copy is born untagged), or from two controllers at once.  The
    oldest tagged copy (created_at, then id: the one the adapter keeps after
    its own creates) is the group.  With no tagged copy the name stays
    ambiguous: not ours to choose.
    """
    if options.get("state", "present") != "present":
        return
    scope = observed.get("project_id")
    by_name = _index_by_name(observed.get("groups") or [])
    for group in desired.groups:
        found = by_name.get(group.name) or []
        if len(found) < 2 or group.name == model.DEFAULT_GROUP_NAME:
            continue
        tagged = [g for g in found if model.OWNER_TAG in (g.get("tags") or []) and g.get("project_id") == scope]
        if not tagged:
            continue
        keep = min(tagged, key=age_key)
        yield (group.name, keep, [g for g in tagged if g["id"] != keep["id"]], [g for g in found if g not in tagged])


def namesake_copies(desired, observed, options):
    """The other copies of declared groups that have a tagged copy, as two maps {group id: (name, id of the kept
    copy)}: extra tagged copies (deleted like purged groups, their usage checked first) and untagged namesakes
    (left alone, not ours, and named in a warning)."""
    duplicates, untagged_copies = {}, {}
    for name, keep, others, untagged in _namesakes(desired, observed, options):
        for copies, groups in ((duplicates, others), (untagged_copies, untagged)):
            copies.update((group["id"], (name, keep["id"])) for group in groups)
    return duplicates, untagged_copies


def owned_duplicates(desired, observed, options):
    """Extra tagged copies of declared groups (namesake_copies)."""
    return namesake_copies(desired, observed, options)[0]


def untagged_namesakes(desired, observed, options):
    """Untagged groups named like a declared group that has a tagged copy (namesake_copies)."""
    return namesake_copies(desired, observed, options)[1]


def _purgeable(group, declared, scope):
    """An undeclared group this collection owns (tagged) in the project of the run: purge_groups deletes it."""
    if group.get("name") in declared or group.get("project_id") != scope:
        return False
    return model.OWNER_TAG in (group.get("tags") or [])


def observation_scope(desired, options):
    """The group names a run must observe, or None for every group of the project.

    A run that only deletes declared groups (state=absent) needs those groups
    and their namesakes, nothing else: the rules of other groups that reference
    them are read with their usage. Any other run resolves names across the
    whole project (references, purge, duplicates), so it reads every group.
    """
    names = sorted(set(g.name for g in desired.groups))
    if options.get("state", "present") != "absent" or not names:
        return None
    return names


def deletion_candidates(desired, observed, options):
    """Ids of groups and address groups the plan may delete.

    The adapter reads their usage (ports, referencing rules) before the
    plan is made, so the plan can refuse unsafe deletes.
    """
    state = options.get("state", "present")
    declared = set(g.name for g in desired.groups)
    declared_address_groups = set(a.name for a in desired.address_groups)
    scope = observed.get("project_id")
    groups, address_groups = [], []
    for group in observed.get("groups") or []:
        if group.get("name") == model.DEFAULT_GROUP_NAME:
            continue
        if state == "absent" and group.get("name") in declared:
            groups.append(group["id"])
        elif state == "present" and options.get("purge_groups") and _purgeable(group, declared, scope):
            groups.append(group["id"])
    groups.extend(group_id for group_id in owned_duplicates(desired, observed, options) if group_id not in groups)
    # Neutron has no tags on address groups, so ownership can not be recorded
    # on them: only an explicit state=absent deletes one.
    for address_group in observed.get("address_groups") or []:
        if state == "absent" and address_group.get("name") in declared_address_groups:
            address_groups.append(address_group["id"])
    return sorted(groups), sorted(address_groups)


def _sorted_rules(entries):
    return sorted(entries, key=lambda entry: model.sort_key_of_rule_key(entry[0]))


class _Plan(object):
    """What ``make_plan`` builds up: the operations by stage, errors, warnings, and what it deletes."""

    def __init__(self, desired, observed, options):
        self.desired = desired
        self.observed = observed
        self.options = options
        self.state = options.get("state", "present")
        self.purge_rules = options.get("purge_rules", True)
        self.scope = observed.get("project_id")
        self.names = Names(observed)
        self.ops = dict((stage, []) for stage in operations.STAGE_NAMES)
        self.errors = []
        self.warnings = []
        self.deleted_rule_ids = set()
        self.deleted_groups = set()
        self.deleted_address_groups = set()
        self.references = []  # (kind, resolved ref, path) of every declared remote

    def add(self, stage, op):
        self.ops[stage].append(op)

    def raise_errors(self):
        if self.errors:
            raise PlanError(self.errors)

    def ordered(self):
        return [op for stage in operations.STAGE_NAMES for op in self.ops[stage]]


def make_plan(desired, observed, options):
    """Return (plan, warnings).  Raises PlanError; never touches the cloud."""
    plan = _Plan(desired, observed, options)
    duplicates, namesakes = namesake_copies(desired, observed, options)
    for group_id, (name, kept) in sorted(namesakes.items()):
        plan.warnings.append(
            "group %s: another group of this name without the ownership tag %s, %s, was left alone; "
            "the declaration manages %s, which carries the tag (a create whose answer was lost can "
            "leave such a copy: delete %s if it is not someone else's)" % (name, model.OWNER_TAG, group_id, kept, group_id)
        )
    existing_groups = _match_existing(
        [g for g in observed.get("groups") or [] if g["id"] not in duplicates and g["id"] not in namesakes],
        desired.groups,
        "security group",
        plan.errors,
        lambda g: g.path,
    )
    existing_address_groups = _match_existing(observed.get("address_groups") or [], desired.address_groups, "address group", plan.errors, lambda a: a.path)
    plan.raise_errors()
    group_refs = dict((name, found["id"] if found else placeholder(name)) for name, found in existing_groups.items())
    address_group_refs = dict((name, found["id"] if found else placeholder(name)) for name, found in existing_address_groups.items())
    if plan.state == "present":
        resolve = _resolver(desired, observed, plan.errors, group_refs, address_group_refs)
        for address_group in desired.address_groups:
            _plan_address_group(plan, address_group, existing_address_groups[address_group.name], address_group_refs[address_group.name])
        for group in desired.groups:
            _plan_group(plan, group, existing_groups[group.name], group_refs[group.name], resolve)
        _plan_sharing(plan, existing_groups, group_refs, existing_address_groups, address_group_refs)
    _plan_deletions(plan, duplicates)
    _check_references(plan)
    _check_deletions(observed, plan.deleted_groups, plan.deleted_address_groups, plan.deleted_rule_ids, plan.names, plan.errors)
    plan.raise_errors()
    return plan.ordered(), plan.warnings


def _plan_sharing(plan, existing_groups, group_refs, existing_address_groups, address_group_refs):
    for group in plan.desired.groups:
        sharing.plan_item(plan, sharing.SECURITY_GROUP, group, existing_groups[group.name], group_refs[group.name])
    for address_group in plan.desired.address_groups:
        sharing.plan_item(plan, sharing.ADDRESS_GROUP, address_group, existing_address_groups[address_group.name], address_group_refs[address_group.name])


def _plan_address_group(plan, address_group, found, ref):
    if found is None:
        plan.add(
            "create_address_group",
            {
                "action": "create_address_group",
                "address_group": address_group.name,
                "ref": ref,
                "description": address_group.description or "",
                "addresses": list(address_group.addresses or []),
                "path": address_group.path,
                "reason": "declared at %s; no address group of that name in project %s" % (address_group.path, plan.scope),
            },
        )
        return
    op = {"action": "update_address_group", "address_group": address_group.name, "id": found["id"], "path": address_group.path, "changes": {}}
    reasons = []
    if address_group.addresses is not None:
        current = set(model.canonical_addresses(found.get("addresses") or []))
        wanted = set(address_group.addresses)
        add = model.canonical_addresses(wanted - current)
        remove = model.canonical_addresses(current - wanted)
        if add or remove:
            op["add_addresses"] = add
            op["remove_addresses"] = remove
            reasons.append("addresses differ (+%d, -%d)" % (len(add), len(remove)))
    if address_group.description is not None and address_group.description != (found.get("description") or ""):
        op["changes"]["description"] = {"before": found.get("description") or "", "after": address_group.description}
        reasons.append("description differs")
    if reasons:
        op["reason"] = "; ".join(reasons)
        plan.add("update_address_group", op)


def _plan_group(plan, group, found, ref, resolve):
    """The ops of one declared group: create or update it, then match its rules."""
    wanted = _wanted_rules(plan, group, resolve)
    if found is None:
        current = _plan_new_group(plan, group, ref)
    else:
        current = [(model.key_from_neutron(r), r.get("description") or "", r["id"]) for r in found.get("rules") or []]
        _plan_group_update(plan, group, found)
    if group.rules is None:
        return  # rules not declared: left as they are, whatever purge_rules says
    _plan_rules(plan, group, ref, wanted, current)


def _wanted_rules(plan, group, resolve):
    """{RuleKey with resolved remotes: declared rule} of a group (the first of identical ones)."""
    wanted = {}
    for rule in group.rules or []:
        key = rule.key
        if key.remote_kind in (model.REMOTE_GROUP, model.REMOTE_ADDRESS_GROUP):
            field = "remote_group" if key.remote_kind == model.REMOTE_GROUP else "remote_address_group"
            resolved = resolve(key.remote_kind, key.remote, "%s.%s" % (rule.path, field))
            if resolved is None:
                continue
            key = key._replace(remote=resolved)
            plan.references.append((key.remote_kind, resolved, rule.path))
        wanted.setdefault(key, rule)
    return wanted


def _plan_new_group(plan, group, ref):
    """A create_group op; returns the rules the new group will get from the templates."""
    templates = plan.observed.get("templates")
    initial = template_keys(ASSUMED_TEMPLATES if templates is None else templates, ref, group.name == model.DEFAULT_GROUP_NAME)
    op = {
        "action": "create_group",
        "group": group.name,
        "ref": ref,
        "description": group.description or "",
        "tags": sorted(set(group.tags or []) | set([model.OWNER_TAG])),
        "path": group.path,
        "initial_rules": [_body_of(k, d) for k, d in initial],
        "reason": "declared at %s; no group of that name in project %s" % (group.path, plan.scope),
    }
    if group.stateful is not None:
        op["stateful"] = group.stateful
    if templates is None:
        op["initial_rules_assumed"] = True
    plan.add("create_group", op)
    return [(k, d, None) for k, d in initial]


def _plan_group_update(plan, group, found):
    changes = {}
    if group.description is not None and group.description != (found.get("description") or ""):
        changes["description"] = {"before": found.get("description") or "", "after": group.description}
    if group.stateful is not None and bool(group.stateful) != bool(found.get("stateful", True)):
        changes["stateful"] = {"before": bool(found.get("stateful", True)), "after": group.stateful}
    before_tags = sorted(found.get("tags") or [])
    # A group we did not create is managed (its rules and attributes) but adopted - tagged, and so deleted by
    # purge_groups once undeclared - only when the declaration says adopt: true; the project's default group is
    # Neutron's and never adopted.  So an export of any project, re-applied, is 0 writes.
    owned = model.OWNER_TAG in before_tags or (group.adopt and group.name != model.DEFAULT_GROUP_NAME)
    owner = set([model.OWNER_TAG]) if owned else set()
    after_tags = sorted(set(before_tags if group.tags is None else group.tags) | owner)
    if after_tags != before_tags:
        changes["tags"] = {"before": before_tags, "after": after_tags}
    if not changes:
        return
    reasons = []
    for field in sorted(changes):
        if field == "tags" and model.OWNER_TAG not in before_tags and model.OWNER_TAG in after_tags:
            reasons.append("adopted: ownership tag %s added" % model.OWNER_TAG)
        else:
            reasons.append("%s differs from %s" % (field, group.path))
    plan.add(
        "update_group", {"action": "update_group", "group": group.name, "id": found["id"], "changes": changes, "path": group.path, "reason": "; ".join(reasons)}
    )


def _match_rules(plan, group, wanted, current):
    """(creates, replaces, deletes): identity first, then description (None: any description matches)."""
    by_key = {}
    for key, description, rule_id in current:
        by_key.setdefault(key, []).append((description, rule_id))
    creates, replaces, deletes = [], [], []
    for key, rule in wanted.items():
        present = by_key.pop(key, [])
        if not present:
            creates.append((key, rule.description, rule.path, "declared at %s; not present" % rule.path))
            continue
        same = [p for p in present if rule.description is None or p[0] == rule.description]
        keep = same[0] if same else present[0]
        if not same and keep[1] is None:
            # A template rule of a group the plan creates: nobody wears the group yet.
            creates.append((key, rule.description, rule.path, "replaces a rule of the new group's templates whose description differs (%s)" % rule.path))
            keep = None
        elif not same:
            replaces.append((key, rule.description, keep, rule.path))
        deletes.extend((key, extra[0], extra[1], "duplicate of a declared rule (%s)" % rule.path) for extra in present if extra is not keep)
    if plan.purge_rules:
        for key, present in by_key.items():
            for description, rule_id in present:
                reason = "not declared in %s (purge_rules)" % group.path
                if rule_id is None:
                    reason = "added by the cloud's default rule template to a new group; not declared in %s (purge_rules)" % group.path
                deletes.append((key, description, rule_id, reason))
    return creates, replaces, deletes


def _plan_rules(plan, group, ref, wanted, current):
    creates, replaces, deletes = _match_rules(plan, group, wanted, current)
    names = plan.names
    for key, description, path, reason in _sorted_rules(creates):
        plan.add(
            "create_rule",
            {
                "action": "create_rule",
                "group": group.name,
                "group_ref": ref,
                "rule": names.display(key, description),
                "body": _body_of(key, description),
                "path": path,
                "reason": reason,
            },
        )
    for key, description, (old_description, old_id), path in _sorted_rules(replaces):
        plan.deleted_rule_ids.add(old_id)
        plan.add(
            "replace_rule",
            {
                "action": "replace_rule",
                "group": group.name,
                "group_ref": ref,
                "id": old_id,
                "rule": names.display(key, description),
                "body": _body_of(key, description),
                "old_rule": names.display(key, old_description),
                "old_body": _body_of(key, old_description),
                "path": path,
                "reason": "description changes from %r to %r (%s); rules are immutable, so it is replaced: "
                "deleted and created again back to back" % (old_description, description, path),
            },
        )
    added = AddedRules([c[0] for c in creates] + [r[0] for r in replaces])
    for key, description, rule_id, reason in _sorted_rules(deletes):
        if rule_id is not None:
            plan.deleted_rule_ids.add(rule_id)
        plan.add(
            _delete_stage(key, rule_id, added),
            {
                "action": "delete_rule",
                "group": group.name,
                "group_ref": ref,
                "id": rule_id,
                "rule": names.display(key, description),
                "body": _body_of(key, description),
                "reason": reason,
            },
        )


def _plan_deletions(plan, duplicates):
    """state absent, purge_groups of our own groups, extra tagged copies of declared groups."""
    candidate_groups, candidate_address_groups = deletion_candidates(plan.desired, plan.observed, plan.options)
    if plan.state == "absent":
        for group in plan.desired.groups:
            if group.name == model.DEFAULT_GROUP_NAME:
                plan.warnings.append("%s: the project's default group is never deleted; it was left as it is" % group.path)
    groups_by_id = dict((g["id"], g) for g in plan.observed.get("groups") or [])
    for group_id in candidate_groups:
        group = groups_by_id[group_id]
        plan.deleted_groups.add(group_id)
        if plan.state == "absent":
            reason = "state is absent"
        elif group_id in duplicates:
            reason = "a second group of the declared name, both carrying %s (a create whose answer was lost, or two runs at once); kept %s, the older one" % (
                model.OWNER_TAG,
                duplicates[group_id][1],
            )
        else:
            reason = "carries %s, not declared (purge_groups)" % model.OWNER_TAG
        plan.add("delete_group", {"action": "delete_group", "group": group["name"], "id": group_id, "rules": len(group.get("rules") or []), "reason": reason})
    address_groups_by_id = dict((a["id"], a) for a in plan.observed.get("address_groups") or [])
    for address_group_id in candidate_address_groups:
        plan.deleted_address_groups.add(address_group_id)
        plan.add(
            "delete_address_group",
            {
                "action": "delete_address_group",
                "id": address_group_id,
                "address_group": address_groups_by_id[address_group_id]["name"],
                "reason": "state is absent",
            },
        )


def _check_references(plan):
    for kind, ref, path in plan.references:
        if (kind == model.REMOTE_GROUP and ref in plan.deleted_groups) or (kind == model.REMOTE_ADDRESS_GROUP and ref in plan.deleted_address_groups):
            name = plan.names.group(ref) if kind == model.REMOTE_GROUP else plan.names.address_group(ref)
            plan.errors.append("%s: references %s, which this plan deletes (purge_groups); declare it or drop the rule" % (path, name))


def _port_bounds(key):
    return (key.port_min or 0), (key.port_max if key.port_max is not None else 65535)


def _ports_overlap(a, b):
    low_a, high_a = _port_bounds(a)
    low_b, high_b = _port_bounds(b)
    return low_a <= high_b and low_b <= high_a


def overlaps(a, b):
    """True when two rules could admit the same traffic, judged on direction, family, protocol and ports
    (not on the remote: a rule changed only in its source overlaps the new one)."""
    if a.direction != b.direction or a.ethertype != b.ethertype:
        return False
    if a.protocol is not None and b.protocol is not None and a.protocol != b.protocol:
        return False
    return _ports_overlap(a, b)


class AddedRules(object):
    """The rules a group's plan adds, to answer ``any(overlaps(key, added) ...)`` without comparing every
    deleted rule with every added one (replacing a 1,000-rule group would be 10^6 comparisons).

    By direction, ethertype and protocol: the added rules' port bounds sorted by their low end, with the
    running maximum of the high ends; a rule overlaps one of them when, among those starting at or below
    its high end, the highest end reaches its low end (``_ports_overlap``, the same comparisons).
    """

    def __init__(self, keys):
        bounds = {}
        for key in keys:
            bounds.setdefault((key.direction, key.ethertype, key.protocol), []).append(_port_bounds(key))
        self.scopes = {}
        self.protocols = {}
        for scope, pairs in bounds.items():
            pairs.sort()
            highest, reach = [], None
            for _low, high in pairs:
                reach = high if reach is None else max(reach, high)
                highest.append(reach)
            self.scopes[scope] = ([low for low, _high in pairs], highest)
            self.protocols.setdefault(scope[:2], []).append(scope[2])

    def overlap(self, key):
        """True when some added rule ``overlaps`` key."""
        present = self.protocols.get((key.direction, key.ethertype), [])
        low, high = _port_bounds(key)
        for protocol in present:
            if key.protocol is not None and protocol is not None and protocol != key.protocol:
                continue
            lows, highest = self.scopes[(key.direction, key.ethertype, protocol)]
            starting = bisect.bisect_right(lows, high)  # the added rules whose low end is <= high
            if starting and highest[starting - 1] >= low:
                return True
        return False


def _delete_stage(key, rule_id, added):
    """The stage of a rule delete: a template rule of a new group after the group is made; a rule that a
    create of the same group overlaps after the creates (create before delete: no access is lost while
    it changes); any other before every create (it lowers the peak quota usage)."""
    if rule_id is None:
        return "delete_rule.template"
    if added.overlap(key):
        return "delete_rule.overlapping"
    return "delete_rule.unrelated"


def _describe_rule(rule, names):
    key = model.key_from_neutron(rule)
    name_of = names.group if key.remote_kind == model.REMOTE_GROUP else names.address_group
    text = model.key_to_declaration(key, "", name_of)
    parts = [text["direction"], text["ethertype"], str(text["protocol"])]
    if "port" in text:
        parts.append(str(text["port"]))
    return "%s rule %s of group %s" % (" ".join(parts), rule.get("id"), names.group(rule.get("security_group_id")))


def _check_deletions(observed, groups, address_groups, deleted_rule_ids, names, errors):
    usage = observed.get("usage") or {}
    for group_id in sorted(groups):
        info = usage.get(group_id)
        if info is None:
            errors.append("security group %s (%s): its usage could not be read, refusing to delete it" % (names.group(group_id), group_id))
            continue
        ports = info.get("ports") or []
        if ports:
            listed = ", ".join("port %s%s" % (p["id"], " of server %s" % p["device_id"] if p.get("device_id") else "") for p in ports[:20])
            errors.append(
                "security group %s (%s) is in use by %d port(s): %s; detach it first "
                "(netsec.openstack.server_security_groups) or keep the group" % (names.group(group_id), group_id, len(ports), listed)
            )
        cascading = [r for r in info.get("rules") or [] if r.get("security_group_id") not in groups and r.get("id") not in deleted_rule_ids]
        if cascading:
            errors.append(
                "security group %s (%s) is referenced by rules of other groups, which Neutron would "
                "silently delete with it: %s; remove those rules first (or in the same declaration)"
                % (names.group(group_id), group_id, "; ".join(_describe_rule(r, names) for r in cascading[:20]))
            )
    address_usage = observed.get("address_group_usage") or {}
    for address_group_id in sorted(address_groups):
        info = address_usage.get(address_group_id)
        if info is None:
            errors.append(
                "address group %s (%s): its usage could not be read, refusing to delete it" % (names.address_group(address_group_id), address_group_id)
            )
            continue
        using = [r for r in info.get("rules") or [] if r.get("security_group_id") not in groups and r.get("id") not in deleted_rule_ids]
        if using:
            errors.append(
                "address group %s (%s) is used by rules that stay: %s; remove those rules first"
                % (names.address_group(address_group_id), address_group_id, "; ".join(_describe_rule(r, names) for r in using[:20]))
            )


# --- simulation -----------------------------------------------------------


def simulate(observed, plan):
    """Apply a plan to an observed state, as the cloud would; return the new state."""
    state = copy.deepcopy(observed)
    state.setdefault("groups", [])
    state.setdefault("address_groups", [])
    sim = operations.Simulation()
    for op in plan:
        operations.kind_of(op).simulate(state, op, sim)
    return state


# --- rendering --------------------------------------------------------------


def render_group(group, names):
    rules = []
    for rule in group.get("rules") or []:
        key = model.key_from_neutron(rule)
        rules.append((model.sort_key_of_rule_key(key), names.display(key, rule.get("description") or "")))
    rules.sort(key=lambda item: item[0])
    return {
        "name": group.get("name"),
        "description": group.get("description") or "",
        "stateful": bool(group.get("stateful", True)),
        "tags": sorted(group.get("tags") or []),
        "rules": [rule for _order, rule in rules],
    }


def render_address_group(address_group):
    return {
        "name": address_group.get("name"),
        "description": address_group.get("description") or "",
        "addresses": model.canonical_addresses(address_group.get("addresses") or []),
    }


def relevant_refs(desired, observed, plan):
    """Ids/placeholders of the groups and address groups a run touches."""
    groups = set()
    address_groups = set()
    declared = set(g.name for g in desired.groups)
    declared_address_groups = set(a.name for a in desired.address_groups)
    for group in observed.get("groups") or []:
        if group.get("name") in declared:
            groups.add(group["id"])
    for address_group in observed.get("address_groups") or []:
        if address_group.get("name") in declared_address_groups:
            address_groups.add(address_group["id"])
    for op in plan:
        touched_groups, touched_address_groups = operations.kind_of(op).touches(op)
        groups.update(touched_groups)
        address_groups.update(touched_address_groups)
    return groups, address_groups


def render_state(state, group_refs, address_group_refs, names=None):
    """The declaration-shaped view of the touched part of a state (no ids)."""
    names = names or Names(state)
    groups = [render_group(g, names) for g in state.get("groups") or [] if g["id"] in group_refs]
    address_groups = [render_address_group(a) for a in state.get("address_groups") or [] if a["id"] in address_group_refs]
    return {
        "security_groups": sorted(groups, key=lambda g: g["name"] or ""),
        "address_groups": sorted(address_groups, key=lambda a: a["name"] or ""),
    }


def diff(desired, observed, plan):
    """before/after for Ansible's diff mode, from the plan alone."""
    groups, address_groups = relevant_refs(desired, observed, plan)
    after_state = simulate(observed, plan)
    names_before = Names(observed)
    names_after = Names(after_state)
    refs = (groups, address_groups)
    return {
        "before": sharing.add_to_rendered(render_state(observed, groups, address_groups, names_before), observed, desired, refs),
        "after": sharing.add_to_rendered(render_state(after_state, groups, address_groups, names_after), after_state, desired, refs),
    }


def summarize(plan):
    counts = {}
    for op in plan:
        counts[op["action"]] = counts.get(op["action"], 0) + 1
    return counts
