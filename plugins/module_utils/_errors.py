# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exceptions of the collection, in one place (private).

``DeclarationError``: the input failed validation (every problem, each
naming its field path), before any call.  ``PlanError``: the declaration
can not be carried out against this cloud; raised before any write, so
nothing was changed.  ``CloudError``: a cloud
call failed; it carries what had been completed and what had not.  The
cloud layer translates openstacksdk's exceptions into ``CloudError`` or one
of its kinds below, so nothing above it needs to know the SDK.  The analysis modules' refusals (``ModelError``, ``AccessError``,
``AuditError``, ``InspectError``) and the run lock's ``LockTimeout`` are here too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional


class DeclarationError(ValueError):
    """A declaration that failed validation; ``errors`` lists every problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(DeclarationError, self).__init__(
            "invalid declaration (%d error%s):\n  - %s" % (len(self.errors), "" if len(self.errors) == 1 else "s", "\n  - ".join(self.errors))
        )


class PlanError(ValueError):
    """The declaration can not be planned against this cloud (nothing was changed)."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(PlanError, self).__init__("; ".join(self.errors))


class CloudError(Exception):
    """A cloud call failed; ``done`` lists the operations completed before it, ``pending`` those not done."""

    def __init__(
        self, message: str, done: Optional[List[Dict[str, Any]]] = None, pending: Optional[List[Dict[str, Any]]] = None, status: Optional[int] = None
    ) -> None:
        super(CloudError, self).__init__(message)
        self.done = list(done or [])
        self.pending = list(pending or [])
        self.status = status
        # Set by the cloud layer's translation: what the cloud answered (the SDK's text), ...
        self.detail: Optional[str] = None
        # ... worth another try? after how long? after how many attempts?
        self.transient = False
        self.retry_after: Optional[float] = None
        self.netsec_attempts = 1
        # Set by a failed replacement: the op as done (old rule lost) or as not done (old rule restored).
        self.outcome: Optional[Dict[str, Any]] = None
        self.restored: Optional[Dict[str, Any]] = None
        # Set by the run: how many requests it repeated after transient faults before it failed.
        self.retries = 0


class Conflict(CloudError):
    """Neutron answered 409 for another reason than the kinds below."""


class DuplicateRule(Conflict):
    """A rule create was refused because the same rule exists (Neutron names its id)."""

    def __init__(self, message: str, existing_id: str, status: int = 409) -> None:
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


class ModelError(ValueError):
    """A value that can not become a canonical rule."""


class AccessError(ValueError):
    """A question or a target that can not be answered (unknown server, bad address...)."""


class AuditError(ValueError):
    """Bad audit options (admin_ports...)."""


class InspectError(ValueError):
    """A target or option that can not be used; the module fails with this message."""
