# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate, observe, plan, apply: the run behind the security group modules (private).

Glue only: the pure parts are ``_declaration``, ``_plan``; the cloud is
``_adapter``.  Check mode returns the plan without executing it; the real
run executes exactly that plan, then reads the result back and verifies it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as cloud
from ansible_collections.netsec.openstack.plugins.module_utils import _attachments as attachments
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError

PUBLIC_OP_FIELDS_DROPPED = ("body", "initial_rules")


def public_plan(plan):
    """The plan as users see it: what, where, why (no request bodies)."""
    return [dict((k, v) for k, v in op.items() if k not in PUBLIC_OP_FIELDS_DROPPED) for op in plan]


def render_result_groups(state, desired):
    """Declared groups in the declaration's shape, with ids."""
    names = planner._Names(state)
    by_name = dict((g["name"], g) for g in state.get("groups") or [])
    groups = []
    for declared in desired.groups:
        group = by_name.get(declared.name)
        if group is None:
            continue
        rendered = planner.render_group(group, names)
        rendered["id"] = None if planner.is_placeholder(group["id"]) else group["id"]
        rendered["project_id"] = group.get("project_id")
        rules = []
        for rule in sorted(group.get("rules") or [], key=lambda r: model.sort_key_of_rule_key(model.key_from_neutron(r))):
            key = model.key_from_neutron(rule)
            shown = names.display(key, rule.get("description") or "")
            shown["id"] = None if str(rule["id"]).startswith("sim-rule-") else rule["id"]
            if key.remote_kind == model.REMOTE_GROUP:
                shown["remote_group_id"] = None if planner.is_placeholder(key.remote) else key.remote
            if key.remote_kind == model.REMOTE_ADDRESS_GROUP:
                shown["remote_address_group_id"] = None if planner.is_placeholder(key.remote) else key.remote
            rules.append(shown)
        rendered["rules"] = rules
        groups.append(rendered)
    return groups


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
    observed = adapter.observe(project_id, desired, need_templates=False)
    if options.get("state", "present") == "present":
        existing = set(g["name"] for g in observed["groups"])
        if any(g.name not in existing for g in desired.groups):
            observed["templates"] = adapter.default_rule_templates()
    group_ids, address_group_ids = planner.deletion_candidates(desired, observed, options)
    if group_ids or address_group_ids:
        adapter.read_usage(observed, group_ids, address_group_ids)
    return observed


def reconcile(declaration, options, auth, check_mode, connect=cloud.connect, with_diff=True):
    """The whole run.  Returns the module result (without exiting).

    ``with_diff`` false leaves the before/after out: it is computed from the
    plan alone, so leaving it out changes nothing else.
    """
    desired = parse_declaration(declaration)
    counter = cloud.RequestCounter()
    connection = connect(auth)
    counter.wrap(connection.session)
    adapter = cloud.Adapter(connection, counter)
    project_id = adapter.scope_project(options.get("project"))
    observed = observe_for_plan(adapter, project_id, desired, options)
    plan, warnings = planner.make_plan(desired, observed, options)
    result = {"changed": bool(plan), "plan": public_plan(plan), "project_id": project_id,
              "summary": planner.summarize(plan)}
    if with_diff:
        result["diff"] = planner.diff(desired, observed, plan)
    if plan and not check_mode:
        _done, apply_warnings = adapter.execute(plan, project_id)
        warnings.extend(apply_warnings)
        final = observe_for_plan(adapter, project_id, desired, options)
        residual, residual_warnings = planner.make_plan(desired, final, options)
        if residual:
            warnings.append("after applying, the cloud still differed from the declaration (%s); applied the "
                            "remaining %d operation(s) too" % (planner.summarize(residual), len(residual)))
            adapter.execute(residual, project_id)
            result["plan"] = result["plan"] + public_plan(residual)
            final = observe_for_plan(adapter, project_id, desired, options)
        state = final
    elif plan:
        state = planner.simulate(observed, plan)
    else:
        state = observed
    result["security_groups"] = render_result_groups(state, desired) if options.get("state", "present") == "present" else []
    result["address_groups"] = render_result_address_groups(state, desired) if options.get("state", "present") == "present" else []
    result["warnings"] = warnings
    result["api_requests"] = counter.as_dict()
    return result


def _unprefix(errors, prefix="groups[0]."):
    return [e[len(prefix):] if e.startswith(prefix) else e.replace("groups[0]", "(group)") for e in errors]


def reconcile_one_group(group, options, auth, check_mode, connect=cloud.connect, with_diff=True):
    """``reconcile`` for one group whose fields are given at the top level."""
    options = dict(options, purge_groups=False)
    try:
        result = reconcile({"groups": [group]}, options, auth, check_mode, connect=connect, with_diff=with_diff)
    except DeclarationError as exc:
        raise DeclarationError(_unprefix(exc.errors))
    except planner.PlanError as exc:
        raise planner.PlanError(_unprefix(exc.errors))
    groups = result.pop("security_groups")
    result.pop("address_groups")
    result["security_group"] = groups[0] if groups else None
    return result


def reconcile_attachments(servers, options, auth, check_mode, connect=cloud.connect):
    """Make servers wear the declared groups.  Returns the module result."""
    attachments.validate_servers(servers)
    counter = cloud.RequestCounter()
    connection = connect(auth)
    counter.wrap(connection.session)
    adapter = cloud.Adapter(connection, counter)
    project_id = adapter.scope_project(options.get("project"))
    observed = adapter.observe_attachments(project_id, servers)
    ops = attachments.plan_attachments(servers, observed)
    before = attachments.server_view(servers, observed, observed["ports"])
    after_ports = attachments.simulate_ports(observed, ops)
    after = attachments.server_view(servers, observed, after_ports)
    if ops and not check_mode:
        adapter.execute_attachments(ops)
    return {
        "changed": bool(ops),
        "plan": ops,
        "servers": after,
        "diff": {"before": {"servers": before}, "after": {"servers": after}},
        "project_id": project_id,
        "api_requests": counter.as_dict(),
        "warnings": [],
    }
