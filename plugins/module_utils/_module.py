# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of this collection shares (private).

The common OpenStack auth options (the same names openstack.cloud uses, so
users keep their habits) and a runner that turns our error types into one
clean ``fail_json`` without tracebacks or credentials.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as adapter
from ansible_collections.netsec.openstack.plugins.module_utils import _schema as schema
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.connection import RunOptions, below_minimum
from ansible_collections.netsec.openstack.plugins.module_utils._errors import CloudError, DeclarationError, PlanError

AUTH_ARGUMENT_SPEC = dict(
    cloud=dict(type="raw"),
    auth=dict(type="dict", no_log=True),
    auth_type=dict(type="str"),
    region_name=dict(type="str"),
    interface=dict(type="str", default="public", choices=["public", "internal", "admin"], aliases=["endpoint_type"]),
    validate_certs=dict(type="bool", aliases=["verify"]),
    ca_cert=dict(type="str", aliases=["cacert"]),
    client_cert=dict(type="str", aliases=["cert"]),
    client_key=dict(type="str", no_log=True, aliases=["key"]),
    api_timeout=dict(type="int"),
)

AUTH_OPTION_NAMES = tuple(AUTH_ARGUMENT_SPEC)

# How a run behaves next to other runs (doc fragment netsec.openstack.run_options).
RUN_ARGUMENT_SPEC = dict(
    lock=dict(type="bool", default=RunOptions.lock),
    lock_timeout=dict(type="int", default=RunOptions.lock_timeout),
)
CONCURRENCY_ARGUMENT_SPEC = dict(
    concurrency=dict(type="int", default=RunOptions.concurrency),
)
RUN_OPTION_NAMES = ("lock", "lock_timeout", "concurrency")


def run_options(params):
    """The run options a module has, for ``_reconcile``."""
    return dict((name, params[name]) for name in RUN_OPTION_NAMES if name in params)


def auth_options(params):
    return dict((name, params.get(name)) for name in AUTH_OPTION_NAMES)


def build_module(argument_spec, **kwargs):
    spec = dict(AUTH_ARGUMENT_SPEC)
    spec.update(argument_spec)
    return AnsibleModule(argument_spec=spec, **kwargs)


def run_module(module, runner):
    """Call ``runner(module)`` -> result dict, and exit or fail cleanly."""
    if not adapter.HAS_OPENSTACKSDK:
        module.fail_json(msg=missing_required_lib("openstacksdk"), exception=adapter.OPENSTACKSDK_IMPORT_ERROR)
    if not schema.HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"), exception=schema.JSONSCHEMA_IMPORT_ERROR)
    too_small = below_minimum(module.params)
    if too_small:
        module.fail_json(msg="; ".join(too_small), errors=too_small, changed=False)
    try:
        result = runner(module)
    except DeclarationError as exc:
        module.fail_json(msg=str(exc), errors=exc.errors, changed=False)
    except PlanError as exc:
        module.fail_json(msg="nothing was changed: %s" % exc, errors=exc.errors, changed=False)
    except CloudError as exc:
        done = getattr(exc, "done", None) or []
        pending = getattr(exc, "pending", None) or []
        module.fail_json(
            msg="%s%s" % (exc, _done_text(done, pending)),
            changed=bool(done),
            completed=done,
            not_completed=pending,
            retries=getattr(exc, "retries", 0),
        )
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


def _done_text(done, pending):
    if not done:
        text = "; nothing had been changed"
    else:
        text = "; %d operation(s) had completed before it (see 'completed')" % len(done)
    if pending:
        text += "; %d planned operation(s) were not carried out (see 'not_completed')" % len(pending)
    if done or pending:
        text += "; run again to converge"
    return text
