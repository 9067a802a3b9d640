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

import copy

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

NEW_PREFIX = "new:"
TEMPLATE_PARENT = "PARENT"
# What a new group gets when the cloud's templates can not be read:
# Neutron's historical default.
ASSUMED_TEMPLATES = [
    {"direction": "egress", "ethertype": "IPv4", "used_in_non_default_sg": True, "used_in_default_sg": True},
    {"direction": "egress", "ethertype": "IPv6", "used_in_non_default_sg": True, "used_in_default_sg": True},
]

ACTION_ORDER = [
    "create_address_group",
    "update_address_group",
    "create_group",
    "replace_rule",
    "create_rule",
    "delete_rule",
    "update_group",
    "delete_group",
    "delete_address_group",
]


class PlanError(ValueError):
    """The declaration can not be planned against this cloud (nothing was changed)."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(PlanError, self).__init__("; ".join(self.errors))


def is_placeholder(ref):
    return isinstance(ref, str) and ref.startswith(NEW_PREFIX)


def placeholder(name):
    return NEW_PREFIX + name


def _body_of(key, description=""):
    body = model.neutron_body(key, description, None)
    body.pop("security_group_id")
    return body


class _Names(object):
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
            return ref[len(NEW_PREFIX):]
        return self.groups.get(ref, ref)

    def address_group(self, ref):
        if is_placeholder(ref):
            return ref[len(NEW_PREFIX):]
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
            errors.append("%s: %s name %r is ambiguous in project %s; use one of the ids: %s"
                          % (path, what, text, observed.get("project_id"), _candidates(matches)))
            return None
        if text in ids:
            return text
        errors.append("%s: unknown %s %r: not declared in this task and not found in project %s"
                      % (path, what, text, observed.get("project_id")))
        return None

    return resolve


def _match_existing(items, desired_items, what, errors, path_of):
    """Map desired name -> the one observed item of that name (or None)."""
    by_name = _index_by_name(items)
    matched = {}
    for item in desired_items:
        found = by_name.get(item.name) or []
        if len(found) > 1:
            errors.append("%s.name: %s name %r is ambiguous in the project: %s; rename or delete the extra ones"
                          % (path_of(item), what, item.name, _candidates(found)))
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
        yield (group.name, keep, [g for g in tagged if g["id"] != keep["id"]],
               [g for g in found if g not in tagged])


def owned_duplicates(desired, observed, options):
    """Extra tagged copies of declared groups, {group id: (name, id of the kept copy)}: deleted like purged
    groups (their usage checked first)."""
    extras = {}
    for name, keep, others, untagged in _namesakes(desired, observed, options):
        for copy in others:
            extras[copy["id"]] = (name, keep["id"])
    return extras


def untagged_namesakes(desired, observed, options):
    """Untagged groups that carry the name of a declared group that has a tagged copy, {group id: (name, id of
    the tagged copy)}: left alone (not ours), and named in a warning."""
    shadowed = {}
    for name, keep, others, untagged in _namesakes(desired, observed, options):
        for copy in untagged:
            shadowed[copy["id"]] = (name, keep["id"])
    return shadowed


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
        elif (state == "present" and options.get("purge_groups") and group.get("name") not in declared
              and model.OWNER_TAG in (group.get("tags") or []) and group.get("project_id") == scope):
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


def make_plan(desired, observed, options):
    """Return (plan, warnings).  Raises PlanError; never touches the cloud."""
    state = options.get("state", "present")
    purge_rules = options.get("purge_rules", True)
    errors = []
    warnings = []
    names = _Names(observed)
    scope = observed.get("project_id")
    ops = dict((action, []) for action in ACTION_ORDER)

    duplicates = owned_duplicates(desired, observed, options)
    namesakes = untagged_namesakes(desired, observed, options)
    for group_id, (name, kept) in sorted(namesakes.items()):
        warnings.append("group %s: another group of this name without the ownership tag %s, %s, was left alone; the "
                        "declaration manages %s, which carries the tag (a create whose answer was lost can leave such "
                        "a copy: delete %s if it is not someone else's)" % (name, model.OWNER_TAG, group_id, kept, group_id))
    existing_groups = _match_existing([g for g in observed.get("groups") or []
                                       if g["id"] not in duplicates and g["id"] not in namesakes],
                                      desired.groups, "security group", errors, lambda g: g.path)
    existing_address_groups = _match_existing(observed.get("address_groups") or [], desired.address_groups,
                                              "address group", errors, lambda a: a.path)
    group_refs = dict((name, found["id"] if found else placeholder(name)) for name, found in existing_groups.items())
    address_group_refs = dict((name, found["id"] if found else placeholder(name))
                              for name, found in existing_address_groups.items())
    if errors:
        raise PlanError(errors)

    to_delete_groups = set()
    to_delete_address_groups = set()
    deleted_rule_ids = set()
    references = []  # (kind, resolved ref, path) of every declared remote

    if state == "present":
        resolve = _resolver(desired, observed, errors, group_refs, address_group_refs)
        templates = observed.get("templates")
        assumed = templates is None
        if assumed:
            templates = ASSUMED_TEMPLATES

        for address_group in desired.address_groups:
            found = existing_address_groups[address_group.name]
            if found is None:
                ops["create_address_group"].append({
                    "action": "create_address_group",
                    "address_group": address_group.name,
                    "ref": address_group_refs[address_group.name],
                    "description": address_group.description or "",
                    "addresses": list(address_group.addresses or []),
                    "path": address_group.path,
                    "reason": "declared at %s; no address group of that name in project %s" % (address_group.path, scope),
                })
                continue
            op = {"action": "update_address_group", "address_group": address_group.name, "id": found["id"],
                  "path": address_group.path, "changes": {}}
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
                ops["update_address_group"].append(op)

        for group in desired.groups:
            found = existing_groups[group.name]
            ref = group_refs[group.name]
            wanted = {}
            for rule in group.rules or []:  # issue 13: rules None = not declared
                key = rule.key
                if key.remote_kind in (model.REMOTE_GROUP, model.REMOTE_ADDRESS_GROUP):
                    field = "remote_group" if key.remote_kind == model.REMOTE_GROUP else "remote_address_group"
                    resolved = resolve(key.remote_kind, key.remote, "%s.%s" % (rule.path, field))
                    if resolved is None:
                        continue
                    key = key._replace(remote=resolved)
                    references.append((key.remote_kind, resolved, rule.path))
                if key in wanted:
                    continue
                wanted[key] = rule
            if found is None:
                tags = sorted(set(group.tags or []) | set([model.OWNER_TAG]))
                initial = template_keys(templates, ref, group.name == model.DEFAULT_GROUP_NAME)
                op = {
                    "action": "create_group",
                    "group": group.name,
                    "ref": ref,
                    "description": group.description or "",
                    "tags": tags,
                    "path": group.path,
                    "initial_rules": [_body_of(k, d) for k, d in initial],
                    "reason": "declared at %s; no group of that name in project %s" % (group.path, scope),
                }
                if group.stateful is not None:
                    op["stateful"] = group.stateful
                if assumed:
                    op["initial_rules_assumed"] = True
                ops["create_group"].append(op)
                current = [(k, d, None) for k, d in initial]
            else:
                current = []
                for rule in found.get("rules") or []:
                    current.append((model.key_from_neutron(rule), rule.get("description") or "", rule["id"]))
                changes = {}
                if group.description is not None and group.description != (found.get("description") or ""):
                    changes["description"] = {"before": found.get("description") or "", "after": group.description}
                if group.stateful is not None and bool(group.stateful) != bool(found.get("stateful", True)):
                    changes["stateful"] = {"before": bool(found.get("stateful", True)), "after": group.stateful}
                before_tags = sorted(found.get("tags") or [])
                if group.tags is not None:
                    after_tags = sorted(set(group.tags) | set([model.OWNER_TAG]))
                else:
                    after_tags = sorted(set(before_tags) | set([model.OWNER_TAG]))
                if after_tags != before_tags:
                    changes["tags"] = {"before": before_tags, "after": after_tags}
                if changes:
                    reasons = []
                    for field in sorted(changes):
                        if field == "tags" and model.OWNER_TAG not in before_tags:
                            reasons.append("adopted: ownership tag %s added" % model.OWNER_TAG)
                        else:
                            reasons.append("%s differs from %s" % (field, group.path))
                    ops["update_group"].append({"action": "update_group", "group": group.name, "id": found["id"],
                                                "changes": changes, "path": group.path, "reason": "; ".join(reasons)})

            # issue 13 (safety): a group declared without a ``rules`` key (group.rules is None) keeps its
            # rules as they are, whatever purge_rules says: nothing to create, replace or delete.
            if group.rules is None:
                continue
            # Match rules: identity first, then description.
            by_key = {}
            for key, description, rule_id in current:
                by_key.setdefault(key, []).append((description, rule_id))
            creates, replaces, deletes = [], [], []
            for key, rule in wanted.items():
                present = by_key.pop(key, [])
                if not present:
                    creates.append((key, rule.description, rule.path, "declared at %s; not present" % rule.path))
                    continue
                # issue 13 (safety): an omitted description (None) is not managed, so any present one matches.
                same = [p for p in present if rule.description is None or p[0] == rule.description]
                if same:
                    keep = same[0]
                else:
                    keep = None
                    old_description, old_id = present[0]
                    replaces.append((key, old_description, old_id,
                                     "description changes from %r to %r (%s); rules are immutable, so it is replaced"
                                     % (old_description, rule.description, rule.path)))
                    creates.append((key, rule.description, rule.path,
                                    "replaces a rule whose description differs (%s)" % rule.path))
                for extra in present:
                    if extra is keep or (keep is None and extra is present[0]):
                        continue
                    deletes.append((key, extra[0], extra[1], "duplicate of a declared rule (%s)" % rule.path))
            if purge_rules:
                for key, present in by_key.items():
                    for description, rule_id in present:
                        reason = "not declared in %s (purge_rules)" % group.path
                        if rule_id is None:
                            reason = "added by the cloud's default rule template to a new group; not declared in %s (purge_rules)" % group.path
                        deletes.append((key, description, rule_id, reason))
            for key, description, path, reason in _sorted_rules(creates):
                ops["create_rule"].append({"action": "create_rule", "group": group.name, "group_ref": ref,
                                           "rule": names.display(key, description), "body": _body_of(key, description),
                                           "path": path, "reason": reason})
            for key, description, rule_id, reason in _sorted_rules(replaces):
                deleted_rule_ids.add(rule_id)
                ops["replace_rule"].append({"action": "delete_rule", "group": group.name, "group_ref": ref, "id": rule_id,
                                            "rule": names.display(key, description), "body": _body_of(key, description),
                                            "reason": reason})
            for key, description, rule_id, reason in _sorted_rules(deletes):
                if rule_id is not None:
                    deleted_rule_ids.add(rule_id)
                ops["delete_rule"].append({"action": "delete_rule", "group": group.name, "group_ref": ref, "id": rule_id,
                                           "rule": names.display(key, description), "body": _body_of(key, description),
                                           "reason": reason})

    # Deletions: state absent, or purge_groups of our own groups.
    candidate_groups, candidate_address_groups = deletion_candidates(desired, observed, options)
    groups_by_id = dict((g["id"], g) for g in observed.get("groups") or [])
    if state == "absent":
        for group in desired.groups:
            if group.name == model.DEFAULT_GROUP_NAME:
                warnings.append("%s: the project's default group is never deleted; it was left as it is" % group.path)
    for group_id in candidate_groups:
        group = groups_by_id[group_id]
        to_delete_groups.add(group_id)
        if state == "absent":
            reason = "state is absent"
        elif group_id in duplicates:
            reason = ("a second group of the declared name, both carrying %s (a create whose answer was lost, or two "
                      "runs at once); kept %s, the older one" % (model.OWNER_TAG, duplicates[group_id][1]))
        else:
            reason = "carries %s, not declared (purge_groups)" % model.OWNER_TAG
        ops["delete_group"].append({"action": "delete_group", "group": group["name"], "id": group_id,
                                    "rules": len(group.get("rules") or []), "reason": reason})
    address_groups_by_id = dict((a["id"], a) for a in observed.get("address_groups") or [])
    for address_group_id in candidate_address_groups:
        address_group = address_groups_by_id[address_group_id]
        to_delete_address_groups.add(address_group_id)
        reason = "state is absent"
        ops["delete_address_group"].append({"action": "delete_address_group", "address_group": address_group["name"],
                                            "id": address_group_id, "reason": reason})

    for kind, ref, path in references:
        if (kind == model.REMOTE_GROUP and ref in to_delete_groups) or (
                kind == model.REMOTE_ADDRESS_GROUP and ref in to_delete_address_groups):
            errors.append("%s: references %s, which this plan deletes (purge_groups); declare it or drop the rule"
                          % (path, names.group(ref) if kind == model.REMOTE_GROUP else names.address_group(ref)))
    _check_deletions(observed, to_delete_groups, to_delete_address_groups, deleted_rule_ids, names, errors)
    if errors:
        raise PlanError(errors)
    plan = []
    for action in ACTION_ORDER:
        plan.extend(ops[action])
    return plan, warnings


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
            errors.append("security group %s (%s): its usage could not be read, refusing to delete it"
                          % (names.group(group_id), group_id))
            continue
        ports = info.get("ports") or []
        if ports:
            listed = ", ".join("port %s%s" % (p["id"], " of server %s" % p["device_id"] if p.get("device_id") else "")
                               for p in ports[:20])
            errors.append("security group %s (%s) is in use by %d port(s): %s; detach it first "
                          "(netsec.openstack.server_security_groups) or keep the group"
                          % (names.group(group_id), group_id, len(ports), listed))
        cascading = [r for r in info.get("rules") or []
                     if r.get("security_group_id") not in groups and r.get("id") not in deleted_rule_ids]
        if cascading:
            errors.append("security group %s (%s) is referenced by rules of other groups, which Neutron would "
                          "silently delete with it: %s; remove those rules first (or in the same declaration)"
                          % (names.group(group_id), group_id, "; ".join(_describe_rule(r, names) for r in cascading[:20])))
    address_usage = observed.get("address_group_usage") or {}
    for address_group_id in sorted(address_groups):
        info = address_usage.get(address_group_id)
        if info is None:
            errors.append("address group %s (%s): its usage could not be read, refusing to delete it"
                          % (names.address_group(address_group_id), address_group_id))
            continue
        using = [r for r in info.get("rules") or []
                 if r.get("security_group_id") not in groups and r.get("id") not in deleted_rule_ids]
        if using:
            errors.append("address group %s (%s) is used by rules that stay: %s; remove those rules first"
                          % (names.address_group(address_group_id), address_group_id,
                             "; ".join(_describe_rule(r, names) for r in using[:20])))


# --- simulation -----------------------------------------------------------

def _matches_body(rule, body):
    return model.key_from_neutron(rule) == model.key_from_neutron(body)


def simulate(observed, plan):
    """Apply a plan to an observed state, as the cloud would; return the new state."""
    state = copy.deepcopy(observed)
    state.setdefault("groups", [])
    state.setdefault("address_groups", [])
    counter = [0]

    def new_rule_id():
        counter[0] += 1
        return "sim-rule-%d" % counter[0]

    def group_by_ref(ref):
        for group in state["groups"]:
            if group["id"] == ref:
                return group
        raise KeyError(ref)

    for op in plan:
        action = op["action"]
        if action == "create_address_group":
            state["address_groups"].append({"id": op["ref"], "name": op["address_group"], "description": op["description"],
                                            "addresses": list(op["addresses"]), "project_id": state.get("project_id")})
        elif action == "update_address_group":
            for address_group in state["address_groups"]:
                if address_group["id"] == op["id"]:
                    addresses = set(model.canonical_addresses(address_group.get("addresses") or []))
                    addresses |= set(op.get("add_addresses") or [])
                    addresses -= set(op.get("remove_addresses") or [])
                    address_group["addresses"] = model.canonical_addresses(addresses)
                    for field, change in op.get("changes", {}).items():
                        address_group[field] = change["after"]
        elif action == "create_group":
            rules = []
            for body in op.get("initial_rules") or []:
                rule = dict(body, id=new_rule_id(), security_group_id=op["ref"])
                rules.append(rule)
            state["groups"].append({"id": op["ref"], "name": op["group"], "description": op["description"],
                                    "stateful": op.get("stateful", True), "tags": list(op["tags"]),
                                    "project_id": state.get("project_id"), "rules": rules})
        elif action == "create_rule":
            group = group_by_ref(op["group_ref"])
            group["rules"].append(dict(op["body"], id=new_rule_id(), security_group_id=op["group_ref"]))
        elif action == "delete_rule":
            group = group_by_ref(op["group_ref"])
            if op.get("id") is not None:
                group["rules"] = [r for r in group["rules"] if r["id"] != op["id"]]
            else:
                for index, rule in enumerate(group["rules"]):
                    if _matches_body(rule, op["body"]) and (rule.get("description") or "") == (op["body"].get("description") or ""):
                        del group["rules"][index]
                        break
        elif action == "update_group":
            group = group_by_ref(op["id"])
            for field, change in op["changes"].items():
                group[field] = change["after"]
        elif action == "delete_group":
            state["groups"] = [g for g in state["groups"] if g["id"] != op["id"]]
            for group in state["groups"]:
                group["rules"] = [r for r in group["rules"] if r.get("remote_group_id") != op["id"]]
        elif action == "delete_address_group":
            state["address_groups"] = [a for a in state["address_groups"] if a["id"] != op["id"]]
        else:
            raise ValueError("unknown plan action %r" % action)
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
        if op["action"] == "create_group":
            groups.add(op["ref"])
        elif op["action"] == "delete_group":
            groups.add(op["id"])
        elif op["action"] == "create_address_group":
            address_groups.add(op["ref"])
        elif op["action"] == "delete_address_group":
            address_groups.add(op["id"])
    return groups, address_groups


def render_state(state, group_refs, address_group_refs, names=None):
    """The declaration-shaped view of the touched part of a state (no ids)."""
    names = names or _Names(state)
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
    names_before = _Names(observed)
    names_after = _Names(after_state)
    return {
        "before": render_state(observed, groups, address_groups, names_before),
        "after": render_state(after_state, groups, address_groups, names_after),
    }


def summarize(plan):
    counts = {}
    for op in plan:
        counts[op["action"]] = counts.get(op["action"], 0) + 1
    return counts
