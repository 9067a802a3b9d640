# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Observe, plan, guard, apply: the run behind server_security_groups (private).

Glue only: the pure parts are ``_attachments`` (plan, lockout judgement,
views) and ``_diff_view``; the cloud is ``_adapter``.  Check mode returns
the plan without executing it; the lockout guard judges the plan before any
write, in check mode too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as cloud
from ansible_collections.netsec.openstack.plugins.module_utils import _attachments as attachments
from ansible_collections.netsec.openstack.plugins.module_utils import _diff_view as diff_view
from ansible_collections.netsec.openstack.plugins.module_utils import _lockout as lockout
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.connection import below_minimum
from ansible_collections.netsec.openstack.plugins.module_utils._reconcile import _locked, open_run
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError, PlanError

# server_security_groups refuses a lockout unless told otherwise (security_groups only warns by default:
# there a lockout is a side effect of editing rules, here it is the whole change).
DEFAULT_LOCKOUT_GUARD = "fail"


def guard(observed, ops, options):
    """(lockouts, warnings) of a plan; raises PlanError when the guard refuses it."""
    mode = options.get("lockout_guard") or DEFAULT_LOCKOUT_GUARD
    ports = options.get("lockout_ports", lockout.DEFAULT_PORTS)
    if mode == "ignore" or not ops:
        return [], []
    findings, undecided = attachments.find_server_lockouts(observed, ops, ports or [])
    if findings and mode == "fail":
        raise PlanError(["%s (lockout_guard=fail)" % finding["message"] for finding in findings])
    return findings, [finding["message"] for finding in findings] + undecided


def reconcile_attachments(servers, options, auth, check_mode, connect=cloud.connect):
    """Make servers wear the declared groups.  Returns the module result."""
    attachments.validate_servers(servers)
    option_errors = lockout.validate_options(options.get("lockout_ports", lockout.DEFAULT_PORTS), options.get("lockout_guard") or DEFAULT_LOCKOUT_GUARD)
    if option_errors:
        raise DeclarationError(option_errors)
    option_errors = below_minimum(options)
    if option_errors:
        raise DeclarationError(option_errors)
    planned = list(options.get("planned_groups") or [])
    cloud_run = open_run(auth, options, connect)
    adapter, project_id = cloud_run.adapter, cloud_run.project_id
    with _locked(cloud_run, options):
        observed = adapter.observe_attachments(project_id, servers)
        ops = attachments.plan_attachments(servers, observed, planned_groups=planned, check_mode=check_mode)
        lockouts, warnings = guard(observed, ops, options)
        if ops and not check_mode:
            adapter.execute_attachments(ops)
    before = attachments.server_view(servers, observed, observed["ports"])
    after_ports = attachments.simulate_ports(observed, ops)
    after = attachments.server_view(servers, observed, after_ports)
    result = {
        "changed": bool(ops),
        "plan": ops,
        "servers": after,
        "lockouts": lockouts,
        "diff": {"before": {"servers": before}, "after": {"servers": after}},
        "project_id": project_id,
        "api_requests": cloud_run.api_requests(),
        "retries": len(cloud_run.retried),
        "warnings": warnings + cloud_run.retry_warnings(),
    }
    return diff_view.readable(result, diff_view.server_diffs)
