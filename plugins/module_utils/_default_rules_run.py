# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate, observe, plan, apply: the run behind default_security_group_rules (private).

Glue only: the pure part is ``_default_rules``, the cloud calls are
``_cloud.default_rules``.  Check mode returns the plan without executing it;
the real run executes exactly that plan, reads the templates back and
fails unless they match the declaration.  A replacement whose create fails
after its delete puts the old template back before reporting the error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as cloud
from ansible_collections.netsec.openstack.plugins.module_utils import _default_rules as templates
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import connection as cloud_connection
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.default_rules import Templates
from ansible_collections.netsec.openstack.plugins.module_utils import _run_lock as run_lock
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError, PlanError

# The run lock's scope: templates are cloud-wide, not of a project.
LOCK_SCOPE = "(default security group rule templates)"
ADMIN_ROLE = "admin"


def _observe(cloud_templates):
    return sorted((templates.observed_template(t) for t in cloud_templates.list_templates()), key=templates.sort_key)


def _role_refusal(roles):
    """Why these credentials can not change the templates (Neutron's default policy: admin only), or None."""
    if not roles or ADMIN_ROLE in roles:
        return None
    return "changing the default security group rule templates needs the %s role; these credentials have %s" % (ADMIN_ROLE, ", ".join(sorted(roles)))


def _guard(before, after, mode):
    if mode == "ignore":
        return []
    findings = templates.guard_findings(before, after)
    if findings and mode == "fail":
        raise PlanError(["%s (lockout_guard=fail)" % finding["message"] for finding in findings])
    return findings


def _replace(cloud_templates, op):
    cloud_templates.delete_template(op["id"])
    try:
        return cloud_templates.create_template(templates.body_of(op))
    except cloud.CloudError as exc:
        try:
            cloud_templates.create_template(templates.body_of({"template": op["old"]}))
            outcome = "the old template was put back"
        except cloud.CloudError as again:
            outcome = "putting the old template back failed too (%s): it is missing now" % again
        raise cloud.CloudError("%s; %s" % (exc, outcome))


def execute(cloud_templates, plan):
    """Carry out the plan in order; returns the ops done (with the new ids)."""
    done = []
    for index, op in enumerate(plan):
        try:
            if op["action"] == "create":
                created = cloud_templates.create_template(templates.body_of(op))
                done.append(dict(op, id=created["id"]))
            elif op["action"] == "replace":
                created = _replace(cloud_templates, op)
                done.append(dict(op, id=created["id"], replaced_id=op["id"]))
            else:
                cloud_templates.delete_template(op["id"])
                done.append(op)
        except cloud.CloudError as exc:
            raise cloud.CloudError(str(exc), done, plan[index:])
    return done


def _verify(cloud_templates, desired, options, done):
    try:
        final = _observe(cloud_templates)
    except cloud.CloudError as exc:
        raise cloud.CloudError("every planned operation was carried out, but reading the templates back failed: %s" % exc, done)
    left = templates.make_plan(desired, final, options.get("purge_rules", True))
    if left:
        raise cloud.CloudError(
            "the templates still differ from the declaration after applying the plan (%s); another client may be changing them" % templates.summarize(left),
            done,
            left,
        )
    return final


def reconcile(rules, options, auth, check_mode, with_diff=True, connect=cloud.connect):
    """The whole run; returns the module result (without exiting)."""
    desired = templates.parse_templates(rules)
    mode = options.get("lockout_guard") or "warn"
    if mode not in templates.GUARD_MODES:
        raise DeclarationError(["lockout_guard: expected one of %s, got %r" % (", ".join(templates.GUARD_MODES), mode)])
    run = cloud_connection.open_run(auth, options, connect=connect, scoped=False)
    cloud_templates = Templates(run.reads)
    cloud_templates.require_api()
    try:
        with run_lock.run_lock(cloud_connection.auth_url(run.connection), LOCK_SCOPE, run.options.lock_timeout, enabled=run.options.lock):
            result = _reconcile_locked(cloud_templates, desired, options, mode, check_mode, with_diff)
    except run_lock.LockTimeout as exc:
        raise cloud.CloudError("%s; nothing was changed" % exc)
    result["api_requests"] = run.counter.as_dict()
    return result


def _reconcile_locked(cloud_templates, desired, options, mode, check_mode, with_diff):
    observed = _observe(cloud_templates)
    plan = templates.make_plan(desired, observed, options.get("purge_rules", True))
    after = templates.simulate(observed, plan)
    findings = _guard(observed, after, mode)
    warnings = [finding["message"] for finding in findings]
    result = {"changed": bool(plan), "plan": plan, "summary": templates.summarize(plan), "lockouts": findings}
    if with_diff:
        result["diff"] = templates.diff(observed, after)
    if plan:
        refusal = _role_refusal(cloud_templates.role_names())
        if refusal and not check_mode:
            raise PlanError([refusal])
        if refusal:
            warnings.append("a real run would be refused: %s" % refusal)
    if plan and not check_mode:
        done = execute(cloud_templates, plan)
        result["plan"] = done
        after = _verify(cloud_templates, desired, options, done)
    result["templates"] = [templates.render(t) for t in after]
    result["warnings"] = warnings
    return result
