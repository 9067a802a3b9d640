# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The executor: carries out a plan through the cloud layer's writes (private).

Phases follow the plan's order and each ends before the next starts; in
the phases of a ``parallel`` kind the units run up to ``concurrency`` at a
time.  What each op does is its kind's (``_operations``); the executor only
keeps the run's context (ids of the groups the plan creates, the rules a
new group got from the templates, the warnings) and turns a failure into a
``CloudError`` whose ``done``/``pending`` say what was and was not done.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _operations as operations
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner

DEFAULT_CONCURRENCY = 4


class Run(object):
    """The context the operation kinds execute in."""

    def __init__(self, writes, project_id, known_group_ids=(), features=None):
        self.writes = writes
        self.project_id = project_id
        self.features = features  # () -> the cloud's features (``_features``); None: assume the newest Neutron
        self.known_group_ids = set(known_group_ids)
        self.warnings = []
        self._refs = {}
        self._template_rules = {}
        self._lock = threading.Lock()

    def has_feature(self, name):
        return self.features is None or name in self.features()

    def warn(self, message):
        with self._lock:
            self.warnings.append(message)

    def bind(self, ref, real_id, group=False):
        with self._lock:
            self._refs[ref] = real_id
            if group:
                self.known_group_ids.add(real_id)

    def resolve(self, ref):
        if planner.is_placeholder(ref):
            with self._lock:
                if ref not in self._refs:
                    raise errors.CloudError("internal error: %s was not created before use" % ref)
                return self._refs[ref]
        return ref

    def rule_body(self, body, group_ref):
        """A planned rule body with the real ids of the groups it names, and the group's project: an admin working
        in another project would otherwise make rules of its own project there."""
        body = dict(body, security_group_id=self.resolve(group_ref))
        if self.project_id:
            body["project_id"] = self.project_id
        for field in ("remote_group_id", "remote_address_group_id"):
            if body.get(field):
                body[field] = self.resolve(body[field])
        return body

    def create_adopting(self, what, create, find_new):
        """Create once; after a transient fault that leaves it unknown whether the create happened,
        look (``find_new()``, a read) and adopt what the lost create made instead of creating it twice."""
        attempts: List[str] = []

        def attempt():
            if attempts:
                found = find_new()
                if found is not None:
                    return found, True
            attempts.append(what)
            return create(), False

        return self.writes.calls.retrying(what, attempt)

    def bind_template_rules(self, op, group_id, initial):
        """Give the plan's id-less deletes of template rules the real ids."""
        predicted = [
            model.key_from_neutron(dict(b, remote_group_id=group_id if b.get("remote_group_id") == op["ref"] else b.get("remote_group_id")))
            for b in op.get("initial_rules") or []
        ]
        actual = [model.key_from_neutron(r) for r in initial]
        if sorted(map(model.sort_key_of_rule_key, predicted)) != sorted(map(model.sort_key_of_rule_key, actual)):
            self.warn(
                "group %s: the cloud gave the new group other rules than its default-rule templates said; "
                "the run re-checks the group after applying" % op["group"]
            )
        with self._lock:
            self._template_rules[op["ref"]] = list(initial)

    def take_template_rule(self, op):
        wanted = dict(op["body"])
        if wanted.get("remote_group_id"):
            wanted["remote_group_id"] = self.resolve(wanted["remote_group_id"])
        wanted_key = model.key_from_neutron(wanted)
        with self._lock:
            initial = self._template_rules.get(op["group_ref"], [])
            for index, rule in enumerate(initial):
                if model.key_from_neutron(rule) == wanted_key:
                    del initial[index]
                    return rule["id"]
        return None

    def settle_created_groups(self, created):
        """After creating groups, make sure each declared name has one owned group.

        Two runs of the same declaration at once (or a create whose answer was
        lost) can make two groups of one name.  Every run keeps the oldest
        (created_at, then id) and deletes the others of that name that carry
        our tag and were not there before this run, so all runs agree.
        """
        created = [op for op in created if op.get("action") == "create_group"]
        if not created:
            return
        listed = self.writes.groups_named(self.project_id, set(op["group"] for op in created))
        for op in created:
            same = [g for g in listed if g["name"] == op["group"] and model.OWNER_TAG in (g.get("tags") or [])]
            if len(same) < 2:
                continue
            keep = min(same, key=planner.age_key)
            for extra in same:
                if extra["id"] == keep["id"] or extra["id"] in self.known_group_ids - set([op["id"]]):
                    continue
                self.writes.delete_group(extra["id"], "duplicate %s" % op["group"])
                self.warn(
                    "group %s: a concurrent run (or a lost answer) made a second group of this name; "
                    "kept %s, deleted %s" % (op["group"], keep["id"], extra["id"])
                )
            if keep["id"] != op["id"]:
                self.bind(op["ref"], keep["id"])
                with self._lock:
                    self._template_rules[op["ref"]] = list(keep.get("rules") or [])
                op["id"] = keep["id"]
                op["merged"] = True


def _run_unit(run, unit, stop=None):
    """Run one unit; return ({plan index: executed op}, CloudError or None)."""
    results: Dict[int, Dict[str, Any]] = {}
    if stop is not None and stop.is_set():
        return results, None
    try:
        operations.kind_of(unit[0][1]).execute_unit(run, unit, results)
    except errors.CloudError as exc:
        if stop is not None:
            stop.set()
        return results, exc
    return results, None


def _run_phase(run, action, units, concurrency):
    if operations.KINDS[action].parallel and concurrency > 1 and len(units) > 1:
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=min(concurrency, len(units))) as pool:
            return list(pool.map(lambda unit: _run_unit(run, unit, stop), units))
    outcomes = []
    for unit in units:
        outcomes.append(_run_unit(run, unit))
        if outcomes[-1][1] is not None:
            break
    return outcomes


def execute(writes, plan, project_id, concurrency=DEFAULT_CONCURRENCY, known_group_ids=(), features=None):
    """Run a plan; return (executed ops, warnings).

    ``known_group_ids`` are the groups read before planning: a group of a
    declared name that is not among them after a failed create was made by
    that create (or by a concurrent run) and is adopted, not made twice.
    On failure raises CloudError: ``done`` lists what was completed (a
    replacement whose old rule could not be restored among them, marked
    with its ``outcome``), ``pending`` what was not (a replacement whose
    old rule was restored is marked ``restored_id``).
    """
    run = Run(writes, project_id, known_group_ids, features)
    results: Dict[int, Dict[str, Any]] = {}
    failures: List[errors.CloudError] = []
    for action, units in operations.phases(plan):
        for unit_results, error in _run_phase(run, action, units, concurrency):
            results.update(unit_results)
            if error is not None:
                failures.append(error)
        if not failures and action == "create_group":
            try:
                run.settle_created_groups([results[index] for unit in units for index, _op in unit if index in results])
            except errors.CloudError as exc:  # the groups exist: the failure must list them as done
                failures.append(exc)
        if failures:
            break
    if failures:
        raise _failure(plan, results, failures)
    return [results[index] for index in sorted(results)], run.warnings


def _failure(plan, results, failures):
    """One CloudError for a failed run: each message once, done/pending as the cloud holds them."""
    done = [results[index] for index in sorted(results)]
    pending = []
    by_rule_id = dict((f.restored.get("id"), f.restored) for f in failures if f.restored)
    lost = dict((f.outcome.get("id"), f.outcome) for f in failures if f.outcome)
    for index, op in enumerate(plan):
        if index in results:
            continue
        if op["action"] == "replace_rule" and op.get("id") in lost:
            done.append(lost[op["id"]])
        else:
            pending.append(by_rule_id.get(op.get("id"), op) if op["action"] == "replace_rule" else op)
    messages = []
    for failure in failures:
        if str(failure) not in messages:
            messages.append(str(failure))
    return errors.CloudError("; ".join(messages), done, pending)
