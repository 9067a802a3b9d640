# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exceptions of the run engine, in one place (private).

``PlanError``: the declaration can not be carried out against this cloud;
raised before any write, so nothing was changed.  ``CloudError``: a cloud
call failed; it carries what had been completed and what had not.  The
cloud layer translates openstacksdk's exceptions into ``CloudError`` or one
of its kinds below, so nothing above it needs to know the SDK.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class PlanError(ValueError):
    """The declaration can not be planned against this cloud (nothing was changed)."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(PlanError, self).__init__("; ".join(self.errors))


class CloudError(Exception):
    """A cloud call failed; ``done`` lists the operations completed before it, ``pending`` those not done."""

    def __init__(self, message, done=None, pending=None, status=None):
        super(CloudError, self).__init__(message)
        self.done = list(done or [])
        self.pending = list(pending or [])
        self.status = status


class Conflict(CloudError):
    """Neutron answered 409 for another reason than the kinds below."""


class DuplicateRule(Conflict):
    """A rule create was refused because the same rule exists (Neutron names its id)."""

    def __init__(self, message, existing_id, status=409):
        super(DuplicateRule, self).__init__(message, status=status)
        self.existing_id = existing_id


class OverQuota(Conflict):
    """Neutron refused a create: the project's quota is used up (409 OverQuota)."""


class InUse(Conflict):
    """Neutron refused a delete or update: the resource is in use (409 ...InUse)."""


class NotFound(CloudError):
    """The resource is not there (404)."""


class Forbidden(CloudError):
    """The credentials may not do this (403)."""


class LockTimeout(Exception):
    """Another run on this controller held the run lock for longer than ``lock_timeout``."""
