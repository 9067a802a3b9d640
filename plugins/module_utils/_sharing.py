# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sharing groups and address groups with other projects through Neutron RBAC policies (private, pure: no I/O).

A declaration's ``shared_with`` (project names or ids, or ``"*"`` for every
project) is reconciled exactly: the ``access_as_shared`` RBAC policies of the
object are the declared set; one is created for each project missing
(``share``), and deleted for each project no longer listed (``unshare``).
Without ``shared_with`` the policies are left alone (not managed), and
``shared_with: []`` means shared with nobody.

Removing a project's access is refused, before any write, while rules of
that project still reference the group or address group (they would keep
working on Neutron's side but the project could no longer see what they
name), unless the run is forced (``force_unshare``).

A rule's ``remote_group`` may name a group of another project that is
shared with this one, as ``{name: NAME, project: PROJECT}`` (``ForeignGroup``):
it resolves within that project, as a name resolves within the scope project.

The observed state carries (only when a declaration uses ``shared_with``, or such references):

    rbac: [{id, object_type, object_id, target_project_id}]  # policies of the declared objects
    projects: {declared project entry: project id, or None when not found}
    foreign_groups: {project id: [{id, name, project_id}]}  # groups of the referenced projects
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

EVERYONE = "*"
ACTION = "access_as_shared"
SECURITY_GROUP, ADDRESS_GROUP = "security_group", "address_group"
FORCE_OPTION = "force_unshare"


def uses_sharing(desired):
    """True when a declared group or address group manages its sharing (only then are the policies read)."""
    return any(item.shared_with is not None for item in list(desired.groups) + list(desired.address_groups))


def shared_object_ids(desired, observed):
    """Ids of the observed groups and address groups whose declaration manages sharing (their policies are read)."""
    groups = set(g.name for g in desired.groups if g.shared_with is not None)
    address_groups = set(a.name for a in desired.address_groups if a.shared_with is not None)
    ids = [g["id"] for g in observed.get("groups") or [] if g.get("name") in groups]
    ids += [a["id"] for a in observed.get("address_groups") or [] if a.get("name") in address_groups]
    return sorted(ids)


def with_shared_with(exported, inventory, object_type, object_id):
    """An exported group or address group with ``shared_with`` (project ids, sorted) when it is shared."""
    targets = sorted(policies_of(inventory, object_type, object_id))
    if targets:
        exported["shared_with"] = targets
    return exported


def _project_names(state):
    """{project id: the name the declaration used for it} (names only: an entry that is the id says nothing more)."""
    return dict((project_id, entry) for entry, project_id in (state.get("projects") or {}).items() if project_id and entry != project_id)


def shared_with_view(state, object_type, object_id):
    """The targets of one object as the diff shows them, sorted: ``*``, ``NAME (ID)`` where the name is known, else the id."""
    names = _project_names(state)
    labels = []
    for target in policies_of(state, object_type, object_id):
        labels.append("%s (%s)" % (names[target], target) if target in names else target)
    return sorted(labels)


def add_to_rendered(rendered, state, desired, refs):
    """Give each rendered group and address group whose declaration manages sharing its ``shared_with`` view.

    ``rendered``: ``_plan.render_state``'s {security_groups, address_groups} of ``state``; ``refs``: (group ids,
    address group ids) that were rendered.  Left alone when the policies were not read (no sharing declared).
    """
    if state.get("rbac") is None:
        return rendered
    for key, object_type, declared, items, ids in (
        ("security_groups", SECURITY_GROUP, desired.groups, state.get("groups"), refs[0]),
        ("address_groups", ADDRESS_GROUP, desired.address_groups, state.get("address_groups"), refs[1]),
    ):
        managed = set(item.name for item in declared if item.shared_with is not None)
        by_name = dict((item["name"], item["id"]) for item in items or [] if item["id"] in ids and item["name"] in managed)
        for view in rendered.get(key) or []:
            if view.get("name") in by_name:
                view["shared_with"] = shared_with_view(state, object_type, by_name[view["name"]])
    return rendered


def project_entries(desired):
    """The declared project names and ids to look up (``*`` needs no lookup), of ``shared_with`` and of rules'
    references to groups of other projects."""
    entries = set(ref.project for ref in foreign_refs(desired))
    for item in list(desired.groups) + list(desired.address_groups):
        entries.update(entry for entry in item.shared_with or () if entry != EVERYONE)
    return sorted(entries)


def policies_of(observed, object_type, object_id):
    """{target project id: policy id} of one object."""
    return dict(
        (policy["target_project_id"], policy["id"])
        for policy in observed.get("rbac") or []
        if policy["object_type"] == object_type and policy["object_id"] == object_id
    )


def _wanted(item, observed, errors):
    """{target project id: the entry the user wrote}, errors for projects not found."""
    projects = observed.get("projects") or {}
    wanted = {}
    for entry in item.shared_with:
        target = EVERYONE if entry == EVERYONE else projects.get(entry)
        if target is None:
            errors.append("%s.shared_with: project %r not found, or not visible to these credentials (give its id)" % (item.path, entry))
            continue
        wanted.setdefault(target, entry)
    return wanted


def _label(target, entry=None):
    if target == EVERYONE:
        return "every project (*)"
    if entry and entry != target:
        return "project %s (%s)" % (entry, target)
    return "project %s" % target


def plan_item(plan, object_type, item, found, ref):
    """Add the share / unshare ops of one declared group or address group to ``plan`` (a ``_plan._Plan``)."""
    if item.shared_with is None:
        return
    if found is not None and plan.observed.get("rbac") is None:
        plan.errors.append("%s.shared_with: the project's RBAC policies were not read" % item.path)
        return
    name_field = "group" if object_type == SECURITY_GROUP else "address_group"
    wanted = _wanted(item, plan.observed, plan.errors)
    current = policies_of(plan.observed, object_type, found["id"]) if found is not None else {}
    for target in sorted(set(wanted) - set(current)):
        plan.add(
            "share",
            {
                "action": "share",
                "object_type": object_type,
                name_field: item.name,
                "object_ref": ref,
                "target_project": target,
                "project": wanted[target],
                "path": item.path + ".shared_with",
                "reason": "%s lists %s" % (item.path + ".shared_with", _label(target, wanted[target])),
            },
        )
    for target in sorted(set(current) - set(wanted)):
        plan.add(
            "unshare",
            {
                "action": "unshare",
                "object_type": object_type,
                name_field: item.name,
                "object_id": found["id"],
                "id": current[target],
                "target_project": target,
                "path": item.path + ".shared_with",
                "reason": "%s no longer lists %s" % (item.path + ".shared_with", _label(target)),
            },
        )


def access_lost(plan_ops, observed):
    """{(object_type, object id): set of projects (or "*") that lose access to it through the plan's unshares}."""
    lost = {}
    for op in plan_ops:
        if op.get("action") != "unshare":
            continue
        key = (op["object_type"], op["object_id"])
        lost.setdefault(key, set()).add(op["target_project"])
    return lost


def _after(plan_ops, observed, object_type, object_id):
    """The targets of an object after the plan."""
    targets = set(policies_of(observed, object_type, object_id))
    for op in plan_ops:
        if op.get("object_type") != object_type:
            continue
        if op.get("action") == "unshare" and op["object_id"] == object_id:
            targets.discard(op["target_project"])
        if op.get("action") == "share" and op.get("object_ref") == object_id:
            targets.add(op["target_project"])
    return targets


def unshare_refusals(plan_ops, observed, referencing_rules, owner_project):
    """Refusals (messages) for unshares that take access away from projects whose rules reference the object.

    ``referencing_rules``: {(object_type, object id): [rule dicts that reference it]} as the credentials see them.
    """
    refusals = []
    for (object_type, object_id), removed in sorted(access_lost(plan_ops, observed).items()):
        after = _after(plan_ops, observed, object_type, object_id)
        if EVERYONE in after:
            continue
        losing = []
        for rule in referencing_rules.get((object_type, object_id)) or []:
            project = rule.get("project_id")
            if project in (None, owner_project) or project in after:
                continue
            if project in removed or EVERYONE in removed:
                losing.append(rule)
        if not losing:
            continue
        op = next(o for o in plan_ops if o.get("action") == "unshare" and o["object_id"] == object_id)
        what = "group" if object_type == SECURITY_GROUP else "address group"
        name = op.get("group") or op.get("address_group")
        listed = "; ".join("rule %s of group %s (project %s)" % (r.get("id"), r.get("security_group_id"), r.get("project_id")) for r in losing[:20])
        refusals.append(
            "%s: refused: unsharing %s %s (%s) from project(s) %s, whose rules still reference it: %s; "
            "remove those rules first, or set %s=true"
            % (op.get("path"), what, name, object_id, ", ".join(sorted(set(r.get("project_id") for r in losing))), listed, FORCE_OPTION)
        )
    return refusals


def unshare_port_refusals(plan_ops, observed, ports_by_group):
    """Refusals for unsharing a group while ports of a project that loses access wear it: Neutron refuses to delete
    such a policy (409 RbacPolicyInUse), so the run refuses before its first write instead (ports as far as the
    credentials see them; ``ports_by_group``: {group id: [port dicts with project_id]})."""
    refusals = []
    for (object_type, object_id), removed in sorted(access_lost(plan_ops, observed).items()):
        after = _after(plan_ops, observed, object_type, object_id)
        if object_type != SECURITY_GROUP or EVERYONE in after:
            continue
        ports = [p for p in ports_by_group.get(object_id) or [] if p.get("project_id") not in after and (EVERYONE in removed or p.get("project_id") in removed)]
        if not ports:
            continue
        op = next(o for o in plan_ops if o.get("action") == "unshare" and o["object_id"] == object_id)
        refusals.append(
            "%s: refused: unsharing group %s (%s): port(s) of project(s) %s wear it (%s), and Neutron refuses to take a "
            "group away from a project whose ports wear it; detach it from those ports first"
            % (
                op.get("path"),
                op.get("group"),
                object_id,
                ", ".join(sorted(set(p.get("project_id") or "?" for p in ports))),
                ", ".join(p["id"] for p in ports[:20]),
            )
        )
    return refusals


def deleted_objects(plan_ops):
    """Ids of the groups and address groups the plan deletes (their sharing policies are read before)."""
    return sorted(op["id"] for op in plan_ops if op.get("action") in ("delete_group", "delete_address_group") and op.get("id"))


def delete_refusals(plan_ops, policies, owner_project):
    """Refusals for deleting a group or address group that is shared with other projects: Neutron silently deletes
    the rules of every project that reference a deleted group, rules these credentials may not see."""
    targets = {}
    for policy in policies or []:
        if policy["target_project_id"] != owner_project:
            targets.setdefault(policy["object_id"], set()).add(policy["target_project_id"])
    refusals = []
    for op in plan_ops:
        if op.get("action") not in ("delete_group", "delete_address_group") or op.get("id") not in targets:
            continue
        what = "group %s" % op.get("group") if op["action"] == "delete_group" else "address group %s" % op.get("address_group")
        refusals.append(
            "%s (%s): refused: deleting it (%s) takes it from the project(s) it is shared with, %s; Neutron silently deletes "
            "their rules that reference it (these credentials may not see them); unshare it first (declare it with "
            "shared_with: []), or set %s=true" % (what, op["id"], op.get("reason") or op["action"], ", ".join(sorted(targets[op["id"]])), FORCE_OPTION)
        )
    return refusals


def objects_losing_access(plan_ops):
    """(group ids, address group ids) whose referencing rules the unshare check needs (one read each kind)."""
    groups, address_groups = set(), set()
    for op in plan_ops:
        if op.get("action") == "unshare":
            (groups if op["object_type"] == SECURITY_GROUP else address_groups).add(op["object_id"])
    return sorted(groups), sorted(address_groups)


# --- a rule's remote group in another project: remote_group: {name: NAME, project: PROJECT} --------------------


class ForeignGroup(str):
    """A rule's reference to a group of another project (shared with this one), as the declaration wrote it.

    A ``str`` (so that messages, sorting and hashing treat it as any reference) that also carries its
    ``name`` and ``project``; the planner resolves it within that project (``resolve_foreign``).
    """

    def __new__(cls, name, project):
        text = str.__new__(cls, "%s (project %s)" % (name, project))
        text.name, text.project = name, project
        return text

    def __reduce__(self):
        return (ForeignGroup, (self.name, self.project))


def reference(value):
    """A declared ``remote_group`` as the declaration's key holds it: a string, or a ``ForeignGroup``."""
    if isinstance(value, dict):
        return ForeignGroup(value["name"], value["project"])
    return value


def foreign_refs(desired):
    """The ``ForeignGroup`` references of the declared rules."""
    found = set()
    for group in desired.groups:
        for rule in group.rules or ():
            if isinstance(rule.key.remote, ForeignGroup):
                found.add(rule.key.remote)
    return sorted(found)


def resolve_foreign(observed, ref, path, errors, planned_ref=None):
    """The id of the group a ``ForeignGroup`` names (None, with an error, when not exactly one).

    A group that does not exist (or is not visible) yet but that another file of the same run creates or shares
    (``observed["planned_foreign_groups"]``, [(name, project)], check mode only) is ``planned_ref`` instead.
    """
    project_id = (observed.get("projects") or {}).get(ref.project)
    if project_id is None:
        errors.append("%s: project %r not found, or not visible to these credentials (give its id)" % (path, ref.project))
        return None
    matches = [g for g in (observed.get("foreign_groups") or {}).get(project_id) or [] if g["name"] == ref.name]
    if len(matches) == 1:
        return matches[0]["id"]
    if matches:
        errors.append(
            "%s: security group name %r is ambiguous in project %s; use one of the ids: %s" % (path, ref.name, ref.project, ", ".join(g["id"] for g in matches))
        )
        return None
    if planned_ref is not None and (ref.name, ref.project) in (observed.get("planned_foreign_groups") or ()):
        return planned_ref
    errors.append("%s: no security group %r in project %s that these credentials see (is it shared with this project?)" % (path, ref.name, ref.project))
    return None
