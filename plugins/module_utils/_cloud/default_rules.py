# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud calls for the default security group rule templates (private).

Part of the cloud layer (``_cloud``).  ``Templates`` works over a run's
``Reads``: whether the cloud has the templates API is the reads' ``features``
(the one place that reads the extension list), the list is the reads' call;
the writes are here.  Every call goes through ``cloud_call``: reads and
deletes are retried after transient faults, a create is not (a lost create
is found by the read-back that follows).  Plain dicts out; a refusal (403)
says which role the credentials need.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _features as features
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.calls import cloud_call
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import template_dict

FEATURE = "default_rules"
EXTENSION = features.BY_NAME[FEATURE].alias
MISSING_API = (
    "this cloud's Neutron has no default security group rules API (API extension %s, Neutron 2023.2 "
    "or newer); its new groups get the built-in egress rules and nothing can be declared here" % EXTENSION
)
NEEDS_ADMIN = "it needs the admin role"


def _refused(doing, exc, needs):
    return errors.CloudError("%s was refused (%s): %s" % (doing, exc.detail, needs))


class Templates(object):
    """The template calls of one run, over its ``Reads`` (``_cloud.reads``)."""

    def __init__(self, reads):
        self.reads = reads
        self.conn = reads.conn
        self.calls = reads.calls

    def require_api(self):
        if FEATURE not in self.reads.features():
            raise errors.CloudError(MISSING_API)

    def list_templates(self):
        """Every default security group rule template of the cloud."""
        try:
            return [template_dict(item) for item in self.reads.list_default_rule_templates()]
        except errors.NotFound:
            raise errors.CloudError(MISSING_API)
        except errors.Forbidden as exc:
            raise _refused("reading the default security group rule templates", exc, "these credentials need a role that may read them (reader or admin)")

    def role_names(self):
        """The roles of the credentials' token (empty when the auth plugin does not tell)."""
        try:
            return set(self.conn.session.auth.get_access(self.conn.session).role_names or [])
        except Exception:  # pragma: no cover - auth plugins without access info
            return set()

    def create_template(self, body):
        try:
            return self._create(body)
        except errors.Forbidden as exc:
            raise _refused("creating a default security group rule template", exc, NEEDS_ADMIN)

    def delete_template(self, template_id):
        """Delete one template; one that is already gone counts as deleted."""
        try:
            self._delete(template_id)
        except errors.Forbidden as exc:
            raise _refused("deleting the default security group rule template %s" % template_id, exc, NEEDS_ADMIN)

    @cloud_call("creating the default security group rule template {body}", retry=False)
    def _create(self, body):
        attrs = dict(body)
        if "ethertype" in attrs:
            attrs["ether_type"] = attrs.pop("ethertype")
        return template_dict(self.conn.network.create_default_security_group_rule(**attrs))

    @cloud_call("deleting the default security group rule template {template_id}")
    def _delete(self, template_id):
        self.conn.network.delete_default_security_group_rule(template_id, ignore_missing=True)
