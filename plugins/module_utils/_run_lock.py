# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per cloud and project on this controller (private).

Runs of the same declaration started together (several pipelines, ``forks``
over hosts that all delegate to localhost) would otherwise each observe
"group missing" and each create it.  A file lock on the controller makes
them take turns: the later runs then find the work done.  Runs on other
machines are not covered by it; the adapter's duplicate check after
creating groups handles those.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import os
import tempfile
import time

from ansible_collections.netsec.openstack.plugins.module_utils._errors import LockTimeout

try:
    import fcntl

    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not a POSIX controller
    HAS_FCNTL = False


def lock_path(auth_url, project_id, directory=None):
    digest = hashlib.sha256(("%s|%s" % (auth_url or "", project_id or "")).encode("utf-8")).hexdigest()[:16]
    return os.path.join(directory or tempfile.gettempdir(), "netsec-openstack-%s.lock" % digest)


@contextlib.contextmanager
def run_lock(auth_url, project_id, timeout, enabled=True, directory=None):
    """Hold an exclusive lock for (auth_url, project) while the block runs.

    Yields the seconds spent waiting.  ``timeout`` seconds without getting it
    raise LockTimeout; ``enabled`` false (or no fcntl) does not lock at all.
    """
    if not enabled or not HAS_FCNTL:
        yield 0.0
        return
    path = lock_path(auth_url, project_id, directory)
    handle = open(path, "a")
    started = time.time()
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError):
                if time.time() - started > timeout:
                    raise LockTimeout("another netsec.openstack run on this controller held %s for more than %d s" % (path, timeout))
                time.sleep(0.2)
        yield time.time() - started
    finally:
        handle.close()
