# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud calls for the default security group rule templates (private).

Part of the cloud layer (``_cloud``), like the reads and writes of security groups.  Every function takes an openstacksdk connection, returns plain
dicts and raises ``CloudError`` with a message that says what was being done;
reads and deletes are retried after transient faults (``with_retries``), a
create is not (a lost create is found by the read-back that follows).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls

try:
    from openstack import exceptions as sdk_exceptions

    NOT_FOUND = (sdk_exceptions.NotFoundException,)
    FORBIDDEN = (sdk_exceptions.ForbiddenException,)
except ImportError:  # reported by the module runner before any call
    NOT_FOUND = FORBIDDEN = ()

EXTENSION = "security-groups-default-rules"
MISSING_API = (
    "this cloud's Neutron has no default security group rules API (API extension %s, Neutron 2023.2 "
    "or newer); its new groups get the built-in egress rules and nothing can be declared here" % EXTENSION
)


def _fail(what, exc):
    return errors.CloudError("%s failed: %s" % (what, calls.error_text(exc)))


def extension_aliases(connection):
    """The API extensions Neutron announces (one GET /v2.0/extensions)."""
    try:
        return set(e.alias for e in calls.with_retries(lambda: list(connection.network.extensions())))
    except calls.CLOUD_EXCEPTIONS as exc:
        raise _fail("listing the network API extensions", exc)


def require_api(connection):
    if EXTENSION not in extension_aliases(connection):
        raise errors.CloudError(MISSING_API)


def _template_dict(item):
    return {
        "id": item.id,
        "direction": item.direction,
        "ethertype": getattr(item, "ether_type", None) or getattr(item, "ethertype", None),
        "protocol": item.protocol,
        "port_range_min": item.port_range_min,
        "port_range_max": item.port_range_max,
        "remote_ip_prefix": item.remote_ip_prefix,
        "remote_group_id": item.remote_group_id,
        "remote_address_group_id": getattr(item, "remote_address_group_id", None),
        "description": item.description or "",
        "used_in_default_sg": bool(item.used_in_default_sg),
        "used_in_non_default_sg": bool(item.used_in_non_default_sg),
    }


def list_templates(connection):
    """Every default security group rule template of the cloud."""
    try:
        items = calls.with_retries(lambda: list(connection.network.default_security_group_rules()))
    except NOT_FOUND:
        raise errors.CloudError(MISSING_API)
    except FORBIDDEN as exc:
        raise errors.CloudError(
            "reading the default security group rule templates was refused (%s): these "
            "credentials need a role that may read them (reader or admin)" % calls.error_text(exc)
        )
    except calls.CLOUD_EXCEPTIONS as exc:
        raise _fail("listing the default security group rule templates", exc)
    return [_template_dict(item) for item in items]


def role_names(connection):
    """The roles of the credentials' token (empty when the auth plugin does not tell)."""
    try:
        return set(connection.session.auth.get_access(connection.session).role_names or [])
    except Exception:  # pragma: no cover - auth plugins without access info
        return set()


def create_template(connection, body):
    attrs = dict(body)
    if "ethertype" in attrs:
        attrs["ether_type"] = attrs.pop("ethertype")
    try:
        return _template_dict(connection.network.create_default_security_group_rule(**attrs))
    except FORBIDDEN as exc:
        raise errors.CloudError("creating a default security group rule template was refused (%s): it needs the admin role" % calls.error_text(exc))
    except calls.CLOUD_EXCEPTIONS as exc:
        raise _fail("creating the default security group rule template %s" % body, exc)


def delete_template(connection, template_id):
    """Delete one template; one that is already gone counts as deleted."""
    try:
        calls.with_retries(lambda: connection.network.delete_default_security_group_rule(template_id, ignore_missing=True))
    except FORBIDDEN as exc:
        raise errors.CloudError(
            "deleting the default security group rule template %s was refused (%s): it needs the admin role" % (template_id, calls.error_text(exc))
        )
    except calls.CLOUD_EXCEPTIONS as exc:
        raise _fail("deleting the default security group rule template %s" % template_id, exc)
