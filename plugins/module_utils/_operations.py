# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operation contract: every kind of plan operation, in one table (private).

A plan is a list of JSON-serialisable operations ``{"action": kind, ...}``.
Each kind (a small class below, registered in ``KINDS``) says everything
about itself that the rest of the engine needs:

- ``change``: how drift and diff word it (create, delete, replace, update);
- ``parallel``: whether its units may run at the same time; ``batch``:
  whether the ops of one group form one unit (one bulk request);
- ``quota_steps(op)``: how it changes usage, step by step (``_quota``);
- ``simulate(state, op, sim)``: what it does to an observed state, as the
  cloud would (check mode, diff, the lockout guard);
- ``execute_unit(run, unit, results)``: how it is carried out through the
  cloud layer (``run`` is the executor's context, see ``_executor``);
- ``inverse(op)``: the op that restores the state it changed (used by
  ``replace_rule`` to restore the old rule when the new one fails);
- ``drift(op, words)``: the object it changes and the words for it.

``STAGES`` is the order a plan's operations run in; the planner fills
stages, the executor runs consecutive ops of one kind as one phase.
Adding a kind: a class here, a stage in ``STAGES``, the planner emitting it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

Op = Dict[str, Any]
Step = Dict[str, int]
GROUPS, RULES, RBAC_POLICIES = "security_group", "security_group_rule", "rbac_policy"

# The order of a plan: (stage, kind).  Deletes of rules that no create of the plan
# replaces go first (they lower the peak quota usage and take no declared access
# away); deletes of rules a create of the plan overlaps go after the creates.
STAGES = (
    ("create_address_group", "create_address_group"),
    ("update_address_group", "update_address_group"),
    ("delete_rule.unrelated", "delete_rule"),
    ("create_group", "create_group"),
    ("delete_rule.template", "delete_rule"),
    ("replace_rule", "replace_rule"),
    ("create_rule", "create_rule"),
    ("delete_rule.overlapping", "delete_rule"),
    ("update_group", "update_group"),
    ("share", "share"),
    ("unshare", "unshare"),
    ("delete_group", "delete_group"),
    ("delete_address_group", "delete_address_group"),
)


class Kind(object):
    """The defaults of an operation kind: nothing is parallel, nothing costs quota."""

    name = ""
    change = "update"
    parallel = False
    batch = False
    object_type = "security_group"

    def quota_steps(self, op: Op) -> List[Step]:
        return []

    def simulate(self, state: Dict[str, Any], op: Op, sim: "Simulation") -> None:
        raise NotImplementedError(self.name)

    def execute(self, run: Any, op: Op) -> Op:
        raise NotImplementedError(self.name)

    def execute_unit(self, run: Any, unit: List[Tuple[int, Op]], results: Dict[int, Op]) -> None:
        """Carry out a unit; record each op's result in ``results`` as soon as it is done."""
        for index, op in unit:
            results[index] = self.execute(run, op)

    def inverse(self, op: Op) -> Optional[Op]:
        return None

    def groups_whose_ports_matter(self, op: Op) -> List[str]:
        """Precondition: ids of groups whose ports must be read before this op may run (one read per plan)."""
        return []

    def refusal(self, op: Op, ports_by_group: Mapping[str, List[Any]]) -> Optional[str]:
        """Precondition: why this op can not run, given the ports wearing those groups; None when it can."""
        return None

    def touches(self, op: Op) -> Tuple[List[str], List[str]]:
        """(group refs, address group refs) this op creates or deletes, for the diff's before/after."""
        return [], []

    def object_name(self, op: Op) -> Optional[str]:
        return op.get("group") or op.get("address_group")

    def object_type_of(self, op: Op) -> str:
        """The type of the object this op changes (drift groups entries by it)."""
        return op.get("object_type") or self.object_type

    def drift(self, op: Op, words: Any) -> Tuple[str, Dict[str, Any]]:
        """(change, extra fields of the drift entry: at least ``what``)."""
        return self.change, {"what": op["action"]}


class Simulation(object):
    """Helpers for simulating: made-up ids for new rules, groups by reference."""

    def __init__(self):
        self.counter = 0

    def new_rule(self, body: Mapping[str, Any], group_ref: str) -> Dict[str, Any]:
        self.counter += 1
        return dict(body, id="simulated-%d" % self.counter, security_group_id=group_ref, simulated=True)

    @staticmethod
    def group(state, ref):
        for group in state["groups"]:
            if group["id"] == ref:
                return group
        raise KeyError(ref)


def _rule_words(op, words, rule=None):
    return words.describe_rule(rule if rule is not None else (op.get("rule") or {}))


# --- address groups -------------------------------------------------------------


class CreateAddressGroup(Kind):
    name = "create_address_group"
    change = "create"
    object_type = "address_group"

    def simulate(self, state, op, sim):
        state["address_groups"].append(
            {
                "id": op["ref"],
                "name": op["address_group"],
                "description": op["description"],
                "addresses": list(op["addresses"]),
                "project_id": state.get("project_id"),
            }
        )

    def execute(self, run, op):
        body = {"name": op["address_group"], "description": op["description"], "addresses": op["addresses"], "project_id": run.project_id}

        def find_new():
            found = run.writes.address_groups_named(run.project_id, op["address_group"])
            return found[0] if found else None

        created, adopted = run.create_adopting("creating address group %s" % op["address_group"], lambda: run.writes.create_address_group(body), find_new)
        run.bind(op["ref"], created["id"])
        return dict(op, id=created["id"], adopted=True) if adopted else dict(op, id=created["id"])

    def touches(self, op):
        return [], [op["ref"]]

    def drift(self, op, words):
        return self.change, {"what": "new address group with %s" % (", ".join(op.get("addresses") or []) or "no addresses")}


class UpdateAddressGroup(Kind):
    name = "update_address_group"
    object_type = "address_group"

    def simulate(self, state, op, sim):
        for address_group in state["address_groups"]:
            if address_group["id"] == op["id"]:
                addresses = set(model.canonical_addresses(address_group.get("addresses") or []))
                addresses |= set(op.get("add_addresses") or [])
                addresses -= set(op.get("remove_addresses") or [])
                address_group["addresses"] = model.canonical_addresses(addresses)
                for field, change in op.get("changes", {}).items():
                    address_group[field] = change["after"]

    def execute(self, run, op):
        run.writes.change_addresses(op["id"], op.get("add_addresses"), op.get("remove_addresses"), op["address_group"])
        changes = op.get("changes") or {}
        if "description" in changes:
            run.writes.update_address_group(op["id"], {"description": changes["description"]["after"]}, op["address_group"])
        return dict(op)

    def drift(self, op, words):
        parts = []
        if op.get("add_addresses"):
            parts.append("add %s" % ", ".join(op["add_addresses"]))
        if op.get("remove_addresses"):
            parts.append("remove %s" % ", ".join(op["remove_addresses"]))
        if op.get("changes"):
            parts.append(words.attribute_changes(op["changes"]))
        return self.change, {"what": "; ".join(parts), "add_addresses": op.get("add_addresses") or [], "remove_addresses": op.get("remove_addresses") or []}


class DeleteAddressGroup(Kind):
    name = "delete_address_group"
    change = "delete"
    object_type = "address_group"

    def simulate(self, state, op, sim):
        state["address_groups"] = [a for a in state["address_groups"] if a["id"] != op["id"]]

    def execute(self, run, op):
        run.writes.delete_address_group(op["id"], op["address_group"])
        return dict(op)

    def touches(self, op):
        return [], [op["id"]]

    def drift(self, op, words):
        return self.change, {"what": "address group"}


# --- security groups --------------------------------------------------------------


class CreateGroup(Kind):
    name = "create_group"
    change = "create"

    def quota_steps(self, op):
        return [{GROUPS: 1, RULES: len(op.get("initial_rules") or [])}]

    def simulate(self, state, op, sim):
        rules = [sim.new_rule(body, op["ref"]) for body in op.get("initial_rules") or []]
        state["groups"].append(
            {
                "id": op["ref"],
                "name": op["group"],
                "description": op["description"],
                "stateful": op.get("stateful", True),
                "tags": list(op["tags"]),
                "project_id": state.get("project_id"),
                "rules": rules,
            }
        )

    def inverse(self, op):
        return {"action": "delete_group", "group": op["group"], "id": op.get("id")}

    def touches(self, op):
        return [op["ref"]], []

    def execute_unit(self, run, unit, results):
        for index, op in unit:
            # Recorded as soon as the group exists: if tagging it fails, the result still says it was made.
            results[index] = self.create(run, op)
            self.finish(run, op, results[index])

    def create(self, run, op):
        """POST the group (once; a lost create is looked for, not repeated); returns the op as done."""
        body = {"name": op["group"], "description": op["description"], "project_id": run.project_id}
        if "stateful" in op and (op["stateful"] is False or run.has_feature("stateful")):
            body["stateful"] = op["stateful"]  # without the extension every group is stateful

        def find_new():
            for found in run.writes.groups_named(run.project_id, [op["group"]]):
                if found["id"] not in run.known_group_ids:
                    return found
            return None

        created, adopted = run.create_adopting("creating security group %s" % op["group"], lambda: run.writes.create_group(body), find_new)
        run.bind(op["ref"], created["id"], group=True)
        result = dict(op, id=created["id"], initial_rule_ids=[r["id"] for r in created.get("rules") or []])
        result["created"] = created
        if adopted:
            result["adopted"] = True
            run.warn("group %s: creating it failed with a transient fault but the group had been made; adopted %s" % (op["group"], created["id"]))
        return result

    def finish(self, run, op, result):
        """Tag the new group (Neutron 2025.2 refuses tags in a group's POST, so they follow it; until then
        a re-run adopts it by name) and bind the plan's template-rule deletes to the rules it got."""
        created = result.pop("created")
        if sorted(created.get("tags") or []) != sorted(op["tags"]):
            run.writes.set_group_tags(created["id"], op["tags"], op["group"])
        run.bind_template_rules(op, created["id"], created.get("rules") or [])

    def drift(self, op, words):
        details = []
        if op.get("description"):
            details.append("description %r" % op["description"])
        if op.get("stateful") is False:
            details.append("stateless")
        tags = [t for t in op.get("tags") or [] if t != model.OWNER_TAG]
        if tags:
            details.append("tags %s" % ", ".join(tags))
        return self.change, {"what": "new group" + (" (%s)" % "; ".join(details) if details else "")}


class UpdateGroup(Kind):
    name = "update_group"

    def simulate(self, state, op, sim):
        group = sim.group(state, op["id"])
        for field, change in op["changes"].items():
            group[field] = change["after"]

    def groups_whose_ports_matter(self, op):
        return [op["id"]] if "stateful" in (op.get("changes") or {}) else []

    def refusal(self, op, ports_by_group):
        ports = ports_by_group.get(op["id"]) or []
        if "stateful" not in (op.get("changes") or {}) or not ports:
            return None
        return (
            "%s: refused: group %s is in use by %d port(s), and Neutron can not change stateful of a group in "
            "use; detach it first or keep stateful as it is" % (op.get("path") or op["group"], op["group"], len(ports))
        )

    def execute(self, run, op):
        changes = op["changes"]
        attributes = dict((field, changes[field]["after"]) for field in ("description", "stateful") if field in changes)
        if attributes:
            run.writes.update_group(op["id"], attributes, op["group"])
        if "tags" in changes:
            run.writes.set_group_tags(op["id"], changes["tags"]["after"], op["group"])
        return dict(op)

    def drift(self, op, words):
        changes = op.get("changes") or {}
        if words.only_adoption(changes):
            return words.ADOPT, {"what": "ownership tag %s added" % model.OWNER_TAG}
        return self.change, {"what": words.attribute_changes(changes), "changes": changes}


class DeleteGroup(Kind):
    name = "delete_group"
    change = "delete"

    def quota_steps(self, op):
        return [{GROUPS: -1, RULES: -int(op.get("rules") or 0)}]

    def simulate(self, state, op, sim):
        state["groups"] = [g for g in state["groups"] if g["id"] != op["id"]]
        for group in state["groups"]:  # Neutron deletes the rules that referenced it
            group["rules"] = [r for r in group["rules"] if r.get("remote_group_id") != op["id"]]

    def execute(self, run, op):
        run.writes.delete_group(op["id"], op["group"])
        return dict(op)

    def touches(self, op):
        return [op["id"]], []

    def drift(self, op, words):
        return self.change, {"what": "group and its %s rule(s)" % op.get("rules", "?")}


# --- rules ----------------------------------------------------------------------------


class CreateRule(Kind):
    """All create_rule ops of one group are one unit: one bulk POST (Neutron makes all or none)."""

    name = "create_rule"
    change = "create"
    parallel = True
    batch = True

    def quota_steps(self, op):
        return [{RULES: 1}]

    def simulate(self, state, op, sim):
        sim.group(state, op["group_ref"])["rules"].append(sim.new_rule(op["body"], op["group_ref"]))

    def inverse(self, op):
        return dict(op, action="delete_rule")

    def execute_unit(self, run, unit, results):
        bodies = [run.rule_body(op["body"], op["group_ref"]) for _index, op in unit]
        group = unit[0][1]["group"]
        try:
            created = run.writes.create_rules(bodies, group)
        except (errors.OverQuota, errors.InUse):
            raise  # all or none: nothing was made, one by one would fail the same way
        except errors.Conflict:
            # One of them exists already (a concurrent run, a lost answer, or a spelling
            # we did not foresee): go one by one and adopt the existing.
            for (index, op), body in zip(unit, bodies):
                results[index] = self.create_one(run, op, body)
            return
        for (index, op), rule in zip(unit, created):
            results[index] = dict(op, id=rule["id"])

    @staticmethod
    def create_one(run, op, body):
        what = "creating rule %s in group %s" % (words_of_rule(op["rule"]), op["group"])
        try:
            return dict(op, id=run.writes.create_rule(body, what)["id"])
        except errors.DuplicateRule as exc:
            run.warn("group %s: rule %s already existed as %s; adopted it" % (op["group"], words_of_rule(op["rule"]), exc.existing_id))
            return dict(op, id=exc.existing_id, adopted=True)

    def drift(self, op, words):
        return self.change, {"what": "rule %s" % _rule_words(op, words), "rule": op.get("rule")}


class DeleteRule(Kind):
    name = "delete_rule"
    change = "delete"
    parallel = True

    def quota_steps(self, op):
        return [{RULES: -1}]

    def simulate(self, state, op, sim):
        group = sim.group(state, op["group_ref"])
        if op.get("id") is not None:
            group["rules"] = [r for r in group["rules"] if r["id"] != op["id"]]
            return
        for index, rule in enumerate(group["rules"]):  # a template rule of a group the plan creates
            if model.key_from_neutron(rule) == model.key_from_neutron(op["body"]) and (rule.get("description") or "") == (op["body"].get("description") or ""):
                del group["rules"][index]
                return

    def inverse(self, op):
        return dict(op, action="create_rule")

    def execute(self, run, op):
        rule_id = op.get("id")
        if rule_id is None:
            rule_id = run.take_template_rule(op)
            if rule_id is None:
                run.warn("group %s: the template rule %s to remove was not there" % (op["group"], words_of_rule(op["rule"])))
                return dict(op, skipped=True)
        run.writes.delete_rule(rule_id, "deleting rule %s of group %s" % (rule_id, op["group"]))
        return dict(op, id=rule_id)

    def drift(self, op, words):
        return self.change, {"what": "rule %s" % _rule_words(op, words), "rule": op.get("rule")}


class ReplaceRule(Kind):
    """A declared rule whose description changes: rules are immutable, and a create identical but for
    the description is refused as a duplicate, so the old rule is deleted and the new one created back
    to back.  If the create fails, the old rule is created again as it was (``inverse``)."""

    name = "replace_rule"
    change = "replace"
    parallel = True

    def quota_steps(self, op):
        return [{RULES: -1}, {RULES: 1}]

    def simulate(self, state, op, sim):
        group = sim.group(state, op["group_ref"])
        group["rules"] = [r for r in group["rules"] if r["id"] != op["id"]]
        group["rules"].append(sim.new_rule(op["body"], op["group_ref"]))

    def inverse(self, op):
        return {"action": "create_rule", "group": op["group"], "group_ref": op["group_ref"], "rule": op["old_rule"], "body": op["old_body"]}

    def execute(self, run, op):
        rule = words_of_rule(op["rule"])
        run.writes.delete_rule(op["id"], "deleting rule %s of group %s to replace it" % (op["id"], op["group"]))
        try:
            created = run.writes.create_rule(run.rule_body(op["body"], op["group_ref"]), "creating rule %s in group %s" % (rule, op["group"]))
        except errors.DuplicateRule as exc:  # a concurrent run made it meanwhile
            return dict(op, new_id=exc.existing_id, adopted=True)
        except errors.CloudError as exc:
            raise self.restore(run, op, exc)
        return dict(op, new_id=created["id"])

    def restore(self, run, op, failure):
        """Create the old rule again; the error to raise says whether that worked."""
        back = self.inverse(op)
        try:
            restored = CreateRule.create_one(run, back, run.rule_body(back["body"], back["group_ref"]))
        except errors.CloudError as exc:
            error = errors.CloudError(
                "replacing rule %s of group %s: %s; restoring the old rule %s failed too: "
                "%s; the group has lost that rule until a run succeeds" % (words_of_rule(op["rule"]), op["group"], failure, op["id"], exc)
            )
            error.outcome = dict(op, outcome="old rule deleted, new rule not created, restore failed")
            return error
        if restored.get("adopted"):  # the failed create had landed after all (a late answer)
            error = errors.CloudError(
                "replacing rule %s of group %s: %s; restoring the old rule found the rule "
                "there already (%s), so the group holds it" % (words_of_rule(op["rule"]), op["group"], failure, restored["id"])
            )
        else:
            error = errors.CloudError(
                "replacing rule %s of group %s: %s; the old rule was restored as it was "
                "(now %s)" % (words_of_rule(op["rule"]), op["group"], failure, restored["id"])
            )
        error.restored = dict(op, restored_id=restored["id"])
        return error

    def drift(self, op, words):
        rule, old = op.get("rule") or {}, op.get("old_rule") or {}
        return self.change, {
            "what": "rule %s: description %r -> %r"
            % (words.describe_rule(words.without_description(rule)), old.get("description") or "", rule.get("description") or ""),
            "rule": rule,
        }


# --- sharing (RBAC policies access_as_shared, see _sharing) ---------------------------


def _shared_label(op):
    target = op.get("target_project")
    if target == "*":
        return "every project (*)"
    return "project %s" % (op.get("project") if op.get("project") not in (None, target) else target)


class Share(Kind):
    """One RBAC policy: the group or address group is shared with one project (or every project, ``*``).

    A POST whose answer was lost (a 5xx, a dropped connection) is not blindly repeated: the policy is
    looked for first and adopted when the lost POST made it; a 409 keeps the existing policy only when
    it is there (a 409 is also what an RBAC policy Neutron can not make answers).
    """

    name = "share"
    change = "create"

    def quota_steps(self, op):
        return [{RBAC_POLICIES: 1}]

    def simulate(self, state, op, sim):
        sim.counter += 1
        state.setdefault("rbac", []).append(
            {"id": "simulated-%d" % sim.counter, "object_type": op["object_type"], "object_id": op["object_ref"], "target_project_id": op["target_project"]}
        )

    def inverse(self, op):
        return dict(op, action="unshare", object_id=op["object_ref"], id=op.get("id"))

    def execute(self, run, op):
        name = self.object_name(op)
        object_id = run.resolve(op["object_ref"])

        def find_existing():
            return run.writes.rbac_policy_of(op["object_type"], object_id, op["target_project"])

        def create():
            return run.writes.create_rbac_policy(op["object_type"], object_id, op["target_project"], name, run.project_id)

        what = "sharing %s %s with %s" % (op["object_type"], name, _shared_label(op))
        try:
            created, adopted = run.create_adopting(what, create, find_existing)
        except (errors.OverQuota, errors.InUse):
            raise
        except errors.Forbidden as exc:
            if op["target_project"] != "*":
                raise
            raise errors.Forbidden("%s (Neutron's default policy lets only an admin share with every project, *)" % exc, status=exc.status)
        except errors.Conflict:  # a concurrent run made it, or a lost answer was repeated: keep it, if it is there
            created, adopted = find_existing(), True
            if created is None:
                raise
            run.warn("%s %s: already shared with %s; kept that policy %s" % (op["object_type"], name, _shared_label(op), created["id"]))
        if adopted:
            return dict(op, object_id=object_id, id=created["id"], adopted=True)
        return dict(op, object_id=object_id, id=created["id"])

    def drift(self, op, words):
        return self.change, {"what": "shared with %s" % _shared_label(op), "target_project": op["target_project"]}


class Unshare(Kind):
    """Delete one RBAC policy of a declared group or address group (its project left ``shared_with``)."""

    name = "unshare"
    change = "delete"

    def quota_steps(self, op):
        # Unshares run after the shares: they never lower the plan's peak.
        return [{RBAC_POLICIES: -1}]

    def simulate(self, state, op, sim):
        state["rbac"] = [p for p in state.get("rbac") or [] if p["id"] != op["id"]]

    def inverse(self, op):
        return dict(op, action="share", object_ref=op["object_id"])

    def execute(self, run, op):
        run.writes.delete_rbac_policy(op["id"], "%s %s" % (op["object_type"], self.object_name(op)))
        return dict(op)

    def drift(self, op, words):
        return self.change, {"what": "no longer shared with %s" % _shared_label(op), "target_project": op["target_project"]}


def words_of_rule(rule):
    """A declaration-shaped rule in one line, for messages."""
    if not isinstance(rule, dict):
        return str(rule)
    parts = [rule.get("direction", "ingress"), rule.get("ethertype", "IPv4"), str(rule.get("protocol", "any"))]
    if rule.get("port") is not None:
        parts.append(str(rule["port"]))
    for field in ("remote_ip_prefix", "remote_group", "remote_address_group"):
        if rule.get(field):
            parts.append("from %s" % rule[field])
    return " ".join(parts)


KINDS = dict(
    (kind.name, kind)
    for kind in (
        CreateAddressGroup(),
        UpdateAddressGroup(),
        DeleteAddressGroup(),
        CreateGroup(),
        UpdateGroup(),
        DeleteGroup(),
        CreateRule(),
        DeleteRule(),
        ReplaceRule(),
        Share(),
        Unshare(),
    )
)
STAGE_NAMES = tuple(stage for stage, _kind in STAGES)


def kind_of(op: Mapping[str, Any]) -> Kind:
    try:
        return KINDS[op["action"]]
    except KeyError:
        raise ValueError("unknown plan action %r" % op.get("action"))


def quota_steps(plan: List[Op]) -> List[Step]:
    """The plan's usage changes, in its order."""
    return [step for op in plan if op["action"] in KINDS for step in kind_of(op).quota_steps(op)]


def phases(plan: List[Op]) -> List[Tuple[str, List[List[Tuple[int, Op]]]]]:
    """[(action, units)]: consecutive ops of one kind form a phase; a unit is a list of (plan index, op):
    the ops of one group for a ``batch`` kind, one op otherwise."""
    result: List[Tuple[str, List[List[Tuple[int, Op]]]]] = []
    for index, op in enumerate(plan):
        action = op["action"]
        if not result or result[-1][0] != action:
            result.append((action, []))
        units = result[-1][1]
        if kind_of(op).batch and units and units[-1][0][1]["group_ref"] == op["group_ref"]:
            units[-1].append((index, op))
        else:
            units.append([(index, op)])
    return result
