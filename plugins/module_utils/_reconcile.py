# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate, observe, plan, apply: the run behind the security group modules (private).

Glue only: the pure parts are ``_declaration``, ``_plan``, ``_quota`` and
``_lockout``; the cloud is ``_cloud`` (``open_run``) and the plan is carried
out by ``_executor``.  Every refusal (quota, lockout, a stateful change on a
group in use) comes before the first write, in check mode and in a real run
alike.  Check mode returns the plan without executing it; the real run
executes exactly that plan, then reads the result back and verifies it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as cloud
from ansible_collections.netsec.openstack.plugins.module_utils import _audit as audit
from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _executor as executor
from ansible_collections.netsec.openstack.plugins.module_utils import _features as features
from ansible_collections.netsec.openstack.plugins.module_utils import _group_paths as group_paths
from ansible_collections.netsec.openstack.plugins.module_utils import _operations as operations
from ansible_collections.netsec.openstack.plugins.module_utils import _quota as quota
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import connection as cloud_connection
from ansible_collections.netsec.openstack.plugins.module_utils import _lockout as lockout
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils import _run_lock as run_lock
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError

PUBLIC_OP_FIELDS_DROPPED = ("body", "initial_rules", "old_body")


def public_plan(plan):
    """The plan as users see it: what, where, why (no request bodies)."""
    return [dict((k, v) for k, v in op.items() if k not in PUBLIC_OP_FIELDS_DROPPED) for op in plan]


def render_result_groups(state, desired):
    """Declared groups in the declaration's shape, with ids."""
    names = planner.Names(state)
    by_name = {}
    for group in state.get("groups") or []:
        # A tagged copy is the declared group when an untagged one shares its name (planner.untagged_namesakes).
        if group["name"] not in by_name or model.OWNER_TAG in (group.get("tags") or []):
            by_name[group["name"]] = group
    groups = []
    for declared in desired.groups:
        group = by_name.get(declared.name)
        if group is None:
            continue
        rendered = planner.render_group(dict(group, rules=[]), names)  # its rules are rendered below, with ids
        rendered["id"] = None if planner.is_placeholder(group["id"]) else group["id"]
        rendered["project_id"] = group.get("project_id")
        rules = []
        keyed = [(model.key_from_neutron(rule), rule) for rule in group.get("rules") or []]
        for key, rule in sorted(keyed, key=lambda pair: model.sort_key_of_rule_key(pair[0])):
            shown = names.display(key, rule.get("description") or "")
            shown["id"] = None if rule.get("simulated") else rule["id"]
            if key.remote_kind == model.REMOTE_GROUP:
                shown["remote_group_id"] = None if planner.is_placeholder(key.remote) else key.remote
            if key.remote_kind == model.REMOTE_ADDRESS_GROUP:
                shown["remote_address_group_id"] = None if planner.is_placeholder(key.remote) else key.remote
            rules.append(shown)
        rendered["rules"] = rules
        groups.append(rendered)
    return groups


def render_result(state, desired, options):
    """``security_groups`` and ``address_groups`` of the result; only ids and names without ``return_groups``."""
    if options.get("state", "present") != "present":
        return {"security_groups": [], "address_groups": []}
    if not options.get("return_groups", True):
        return {
            "security_groups": render_result_ids(state.get("groups"), desired.groups, owned_first=True),
            "address_groups": render_result_ids(state.get("address_groups"), desired.address_groups),
        }
    return {"security_groups": render_result_groups(state, desired), "address_groups": render_result_address_groups(state, desired)}


def render_result_ids(found, declared, owned_first=False):
    """Each declared item as {id, name}: its id in ``found``, null for what is not there yet (check mode creates)."""
    by_name = {}
    for item in found or []:
        if item["name"] not in by_name or (owned_first and model.OWNER_TAG in (item.get("tags") or [])):
            by_name[item["name"]] = item
    result = []
    for item in declared:
        item_id = by_name.get(item.name, {}).get("id")
        result.append({"id": None if item_id is None or planner.is_placeholder(item_id) else item_id, "name": item.name})
    return result


def render_result_address_groups(state, desired):
    by_name = dict((a["name"], a) for a in state.get("address_groups") or [])
    result = []
    for declared in desired.address_groups:
        found = by_name.get(declared.name)
        if found is None:
            continue
        rendered = planner.render_address_group(found)
        rendered["id"] = None if planner.is_placeholder(found["id"]) else found["id"]
        rendered["project_id"] = found.get("project_id")
        result.append(rendered)
    return result


def observe_for_plan(adapter, project_id, desired, options):
    observed = adapter.observe(project_id, desired, need_templates=False, group_names=planner.observation_scope(desired, options))
    if options.get("state", "present") == "present":
        existing = set(g["name"] for g in observed["groups"])
        if any(g.name not in existing for g in desired.groups):
            observed["templates"] = adapter.default_rule_templates()
    group_ids, address_group_ids = planner.deletion_candidates(desired, observed, options)
    if group_ids or address_group_ids:
        adapter.read_usage(observed, group_ids, address_group_ids)
    return observed


@contextlib.contextmanager
def _locked(cloud_run, options):
    """The run lock of ``_run_lock``; not getting it in time is a CloudError (nothing was changed)."""
    try:
        with run_lock.run_lock(
            cloud_connection.auth_url(cloud_run.connection), cloud_run.project_id, cloud_run.options.lock_timeout, enabled=cloud_run.options.lock
        ):
            yield
    except run_lock.LockTimeout as exc:
        raise errors.CloudError("%s; nothing was changed" % exc)


def open_run(auth, options, connect):
    """The cloud run of a module, with an ``Adapter`` (reads + executor) over it."""
    cloud_run = cloud_connection.open_run(auth, options, connect=connect)
    cloud_run.adapter = cloud.Adapter(cloud_run.connection, cloud_run.counter, cloud_run.reads.calls)
    return cloud_run


def reconcile(declaration, options, auth, check_mode, connect=cloud.connect, with_diff=True, single_group=False):
    """The whole run.  Returns the module result (without exiting).

    ``with_diff`` false leaves the before/after out: it is computed from the
    plan alone, so leaving it out changes nothing else.  Every error and
    warning names the group it is about (``_group_paths``; ``single_group``:
    the group's fields were given at the top level).
    """
    names = group_paths.declared_names(declaration)
    try:
        result = _reconcile(declaration, options, auth, check_mode, connect, with_diff)
    except (DeclarationError, errors.PlanError) as exc:
        raise type(exc)(group_paths.name_groups(exc.errors, names, single_group))
    except errors.CloudError as exc:
        exc.args = tuple(group_paths.name_groups(list(exc.args), names, single_group))
        raise
    result["warnings"] = group_paths.name_groups(result["warnings"], names, single_group)
    if single_group:
        for op in result["plan"]:
            if op.get("reason"):
                op["reason"] = group_paths.name_groups([op["reason"]], names, single=True)[0]
    return result


def _reconcile(declaration, options, auth, check_mode, connect, with_diff):
    desired = parse_declaration(declaration)
    option_errors = lockout.validate_options(options.get("lockout_ports", lockout.DEFAULT_PORTS), options.get("lockout_guard") or lockout.DEFAULT_MODE)
    option_errors += cloud_connection.below_minimum(options)
    if option_errors:
        raise DeclarationError(option_errors)
    cloud_run = open_run(auth, options, connect)
    try:
        with _locked(cloud_run, options):
            result = _reconcile_locked(cloud_run.adapter, cloud_run.project_id, desired, options, check_mode, with_diff)
    except errors.CloudError as exc:
        exc.retries = len(cloud_run.retried)  # a failed run says how often it repeated requests, too
        raise
    result["warnings"] = result["warnings"] + cloud_run.retry_warnings()
    result["api_requests"] = cloud_run.api_requests()
    result["retries"] = len(cloud_run.retried)
    return result


def _apply(adapter, plan, project_id, observed, options):
    known = [g["id"] for g in observed["groups"]]
    return adapter.execute(plan, project_id, concurrency=options.get("concurrency") or executor.DEFAULT_CONCURRENCY, known_group_ids=known)


def _verify_read(adapter, project_id, desired, options, done):
    try:
        return observe_for_plan(adapter, project_id, desired, options)
    except errors.CloudError as exc:
        raise errors.CloudError("every planned operation was carried out, but reading the result back to verify it failed: %s" % exc, done)


def check_lockout(adapter, observed, plan, options):
    """The lockout guard: groups that servers wear and that the plan leaves without a way in on a guarded port.

    The end state of every plan is judged (replacements included): the plan
    is simulated, and only when a group loses access are the ports wearing
    it read (one list call). Returns the findings, each with its
    ``message``; with ``lockout_guard=fail`` raises PlanError instead.
    """
    mode = options.get("lockout_guard") or lockout.DEFAULT_MODE
    ports = options.get("lockout_ports", lockout.DEFAULT_PORTS)
    if mode == "ignore" or not ports or not plan:
        return []
    found = lockout.find_lockouts(observed, planner.simulate(observed, plan), ports)
    if not found:
        return []
    wearing = adapter.ports_wearing([finding["group_id"] for finding in found])
    messages = lockout.lockout_messages(found, wearing)
    if mode == "fail" and messages:
        raise errors.PlanError(["%s (lockout_guard=fail)" % message for _finding, message in messages])
    return [dict(finding, message=message, wearers=wearing[finding["group_id"]]) for finding, message in messages]


def check_quota(adapter, project_id, plan, warnings):
    """The quota pre-check: reads the project's quota details only when the plan raises some usage;
    returns {resource: {limit, used, reserved, peak}} (None: not read or not readable).  A plan that can
    not fit raises PlanError, before any write."""
    steps = operations.quota_steps(plan)
    if not quota.needs_quota(steps):
        return None
    details = adapter.quota_details(project_id)
    if not details:
        warnings.append(
            "the project's quota details could not be read (no quota_details API, or not allowed); the plan was not checked against the quota before writing"
        )
        return None
    refusal = quota.check(details, steps)
    if refusal:
        raise errors.PlanError([refusal])
    peaks = quota.peaks(details, steps)
    return dict((resource, dict(details[resource], peak=peaks[resource][1])) for resource in details)


def check_preconditions(adapter, plan):
    """The operation kinds' preconditions that need the cloud (today: Neutron refuses to change ``stateful``
    of a group that ports wear): one ports read, only when some op asks for it; refusals raise PlanError."""
    group_ids = sorted(set(g for op in plan for g in operations.kind_of(op).groups_whose_ports_matter(op)))
    if not group_ids:
        return
    wearing = adapter.ports_wearing(group_ids)
    refused = [text for text in (operations.kind_of(op).refusal(op, wearing) for op in plan) if text]
    if refused:
        raise errors.PlanError(refused)


def check_unshares(adapter, project_id, observed, plan, options):
    """Refuse to take a project's access away while its rules reference the group, or to delete a group or address
    group shared with other projects, unless force_unshare; and to unshare a group that ports of a project losing it
    wear (Neutron refuses that).  Reads only when the plan unshares or deletes something (``_sharing``)."""
    group_ids, address_group_ids = sharing.objects_losing_access(plan)
    deleted = sharing.deleted_objects(plan)
    refusals = []
    if group_ids:
        refusals += sharing.unshare_port_refusals(plan, observed, adapter.ports_wearing(group_ids))
    if not options.get(sharing.FORCE_OPTION):
        if group_ids or address_group_ids:
            refusals += sharing.unshare_refusals(plan, observed, adapter.rules_referencing(group_ids, address_group_ids), project_id)
        if deleted:
            refusals += sharing.delete_refusals(plan, adapter.rbac_policies_of_objects(deleted), project_id)
    if refusals:
        raise errors.PlanError(refusals)


def name_unshared_projects(adapter, observed, plan):
    """The diff names the projects an unshare takes a group from (the declaration no longer does): one lookup each,
    only for a diff; a project the credentials may not look up keeps its id."""
    known = set((observed.get("projects") or {}).values())
    for target in sorted(set(op["target_project"] for op in plan if op.get("action") == "unshare") - known - set([sharing.EVERYONE])):
        name = adapter.project_name_of(target)
        if name:
            observed.setdefault("projects", {})[name] = target


def check_features(adapter, desired, plan=()):
    """Refuse what this cloud's Neutron can not do, before any write; its extensions are read only if needed."""
    uses = features.declaration_uses(desired) + features.plan_uses(desired, plan)
    missing = features.missing(uses, adapter.features()) if uses else []
    if missing:
        raise errors.PlanError(missing)


def _reconcile_locked(adapter, project_id, desired, options, check_mode, with_diff):
    check_features(adapter, desired)
    observed = observe_for_plan(adapter, project_id, desired, options)
    if check_mode:  # groups another file of the run creates or shares first (playbooks/drift.yml); never in a real run
        observed["planned_foreign_groups"] = sorted(set((g["name"], g["project"]) for g in options.get("planned_foreign_groups") or []))
    plan, warnings = planner.make_plan(desired, observed, options)
    warnings.extend(audit.address_group_family_warnings(desired, observed))
    check_features(adapter, desired, plan)
    check_preconditions(adapter, plan)
    check_unshares(adapter, project_id, observed, plan, options)
    quota_used = check_quota(adapter, project_id, plan, warnings)
    lockouts = check_lockout(adapter, observed, plan, options)
    warnings.extend(finding["message"] for finding in lockouts)
    result = {
        "changed": bool(plan),
        "plan": public_plan(plan),
        "project_id": project_id,
        "summary": planner.summarize(plan),
        "lockouts": lockouts,
        "quota": quota_used,
    }
    if with_diff:
        name_unshared_projects(adapter, observed, plan)
        result["diff"] = planner.diff(desired, observed, plan)
    if plan and not check_mode:
        done, apply_warnings = _apply(adapter, plan, project_id, observed, options)
        warnings.extend(apply_warnings)
        final = _verify_read(adapter, project_id, desired, options, done)
        try:
            residual, residual_warnings = planner.make_plan(desired, final, options)
        except errors.PlanError as exc:
            raise errors.CloudError("every planned operation was carried out, but the result does not plan cleanly: %s" % exc, done)
        if residual:
            warnings.append(
                "after applying, the cloud still differed from the declaration (%s); applied the "
                "remaining %d operation(s) too" % (planner.summarize(residual), len(residual))
            )
            try:
                more, more_warnings = _apply(adapter, residual, project_id, final, options)
            except errors.CloudError as exc:
                exc.done = done + exc.done
                raise
            warnings.extend(more_warnings)
            result["plan"] = result["plan"] + public_plan(residual)
            final = _verify_read(adapter, project_id, desired, options, done + more)
            left, left_warnings = planner.make_plan(desired, final, options)
            if left:
                raise errors.CloudError(
                    "the cloud still differs from the declaration after applying the plan twice "
                    "(%s); another client may be changing these groups" % planner.summarize(left),
                    done + more,
                    left,
                )
        state = final
    elif plan and options.get("return_groups", True):
        state = planner.simulate(observed, plan)
    else:
        state = observed  # without return_groups the simulation would only serve rules nobody returns
    result.update(render_result(state, desired, options))
    result["warnings"] = warnings
    return result


def _unprefix(errors, name=None):
    """Messages about the one group of a security_group task: paths relative to the group, which they name."""
    return group_paths.name_groups(errors, [name], single=True)


def reconcile_one_group(group, options, auth, check_mode, connect=cloud.connect, with_diff=True):
    """``reconcile`` for one group whose fields are given at the top level."""
    options = dict(options, purge_groups=False)
    result = reconcile({"groups": [group]}, options, auth, check_mode, connect=connect, with_diff=with_diff, single_group=True)
    groups = result.pop("security_groups")
    result.pop("address_groups")
    result["security_group"] = groups[0] if groups else None
    return result
