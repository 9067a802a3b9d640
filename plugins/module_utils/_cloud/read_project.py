# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads of the project and the cloud: scope, quotas, API extensions, default rule templates (private).

``features`` is the one place that reads Neutron's extension list
(``GET /v2.0/extensions``), once per run and only when asked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _features as features_module
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import looks_like_id, template_dict

QUOTA_RESOURCES = ("security_group", "security_group_rule", "rbac_policy")


class ProjectReads(object):
    """Needs ``Lists``' calls (``reads.Reads`` puts them together)."""

    _features = None

    def scope_project(self, project):
        """The id of the project a run works in (default: the auth project)."""
        current = self.conn.current_project_id
        if not project or project == current:
            return current
        try:
            access = self.conn.session.auth.get_access(self.conn.session)
            if project == access.project_name:
                return current
        except Exception:  # pragma: no cover - auth plugins without access info
            pass
        found = self._find_visible_project(project)
        if found is None:
            raise errors.CloudError("project %r not found, or not visible to these credentials" % project)
        return found.id

    def project_names(self):
        """{project id: name} of the projects these credentials may list (every one for an admin); {} when
        listing projects is not allowed (the export tree then names files by project id)."""
        try:
            listed = self.list_projects()
        except (errors.Forbidden, errors.NotFound):
            return {}
        return dict((p.id, p.name) for p in listed)

    def project_id_of(self, entry):
        """A project's id from its name or id; None when not found.  An id is taken as it is only when the
        credentials may not look projects up (Neutron accepts a policy for a project that does not exist)."""
        try:
            found = self.find_project(entry)
        except errors.Forbidden:
            return entry if looks_like_id(entry) else None
        return found.id if found is not None else None

    def project_name_of(self, project_id):
        """A project's name (None when the credentials may not look it up, or it is gone): the diff names the
        projects an unshare takes a group from."""
        found = self._find_visible_project(project_id)
        return found.name if found is not None else None

    def _find_visible_project(self, project):
        """The project of that name or id, None when missing or when the credentials may not look."""
        try:
            return self.find_project(project)
        except errors.Forbidden:
            return None

    def quota_details(self, project_id):
        """{resource: {limit, used, reserved}} of security groups and rules; None if the cloud does not say."""
        try:
            answer = self.network_json("reading the quota details of project %s" % project_id, "/quotas/%s/details" % project_id)
        except (errors.NotFound, errors.Forbidden):
            return None  # no quota_details extension, or not allowed to read it
        quota = (answer or {}).get("quota") or {}
        return dict((resource, quota[resource]) for resource in QUOTA_RESOURCES if isinstance(quota.get(resource), dict))

    def features(self):
        """What this cloud's Neutron can do (``_features``): one GET /v2.0/extensions, read once per run, when asked."""
        if self._features is None:
            self._features = features_module.features_from_extensions(self.list_extensions())
        return self._features

    def default_rule_templates(self):
        """The cloud's default security group rule templates, or None if unreadable or absent (before 2023.2)."""
        if "default_rules" not in self.features():
            return None
        try:
            return [template_dict(t) for t in self.list_default_rule_templates()]
        except (errors.Forbidden, errors.NotFound):
            return None  # a cloud without the templates API, or not allowed to read it
