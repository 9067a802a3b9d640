# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How a run that changes the cloud behaves next to other runs.
    DOCUMENTATION = r"""
options:
  lock:
    description:
      - Take turns with other runs of this collection on the same controller that work on the same cloud and project
        (a file lock in the controller's temporary directory, held from the first read to the last write).
      - Several runs of one declaration started at once then converge one after the other instead of each creating
        the same groups. Runs on different machines are not covered by the lock; the modules also check, right after
        creating groups, that each declared name has one group, and keep the oldest.
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for the lock of O(lock) before failing without a change. At least V(1); a smaller value is
        refused with an error naming the option.
    type: int
    default: 600
"""

    # Options of the modules that write security groups and rules.
    CONCURRENCY = r"""
options:
  concurrency:
    description:
      - How many requests of one phase may be in flight at once when applying a plan. The bulk rule creation of
        different groups, and single rule deletions, run in parallel up to this number; phases (groups before rules,
        deletions of unrelated rules before creations, rule replacements before creations, creations before the deletions they overlap) stay in order.
      - V(1) applies strictly one request after another. A Neutron with several API workers on a real database gains
        the most (1.25x to 1.8x measured with 4 workers on MariaDB); on a single-worker Neutron the parallel requests
        only queue, and V(1) measured about 20% faster there (C(docs/benchmark.md)).
      - At least V(1); a smaller value is refused with an error naming the option.
    type: int
    default: 4
"""
