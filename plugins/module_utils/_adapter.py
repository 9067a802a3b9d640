# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud layer as one object, for the code that still uses it that way (private).

The cloud layer lives in ``_cloud`` (connection, calls, reads, writes) and
the executor in ``_executor``; ``Adapter`` combines the reads with the
executor for callers that hold one object.  New code uses
``_cloud.connection.open_run``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _executor as executor
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.connection import (
    HAS_OPENSTACKSDK,
    OPENSTACKSDK_IMPORT_ERROR,
    RequestCounter,
    connect,
    discover_network,
)
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.reads import Reads
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.writes import Writes
from ansible_collections.netsec.openstack.plugins.module_utils._errors import CloudError

__all__ = ["Adapter", "CloudError", "DEFAULT_CONCURRENCY", "HAS_OPENSTACKSDK", "OPENSTACKSDK_IMPORT_ERROR", "RequestCounter", "connect", "discover_network"]
DEFAULT_CONCURRENCY = executor.DEFAULT_CONCURRENCY


class Adapter(Reads):
    """Reads, writes and the executor over one connection."""

    def __init__(self, connection, counter=None, shared_calls=None):
        super(Adapter, self).__init__(connection, shared_calls or calls.Calls())
        self.counter = counter
        self.writes = Writes(connection, self.calls)

    @property
    def retried(self):
        return self.calls.retried

    def execute(self, plan, project_id, concurrency=DEFAULT_CONCURRENCY, known_group_ids=()):
        return executor.execute(self.writes, plan, project_id, concurrency, known_group_ids, features=self.features)

    def execute_attachments(self, ops):
        """Set each port's groups (a PUT of the whole list: safe to repeat)."""
        done = []
        for op in ops:
            what = "setting the security groups of port %s (server %s) to %s" % (op["port"], op["server"], ", ".join(op["after"]) or "none")
            try:
                self.writes.set_port_groups(op["port"], op["security_group_ids"], what)
            except CloudError as exc:
                completed = len(done)
                raise CloudError(str(exc), done, ops[completed:])
            done.append(op)
        return done
