# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Attributes shared by the modules that change the cloud.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
    description:
      - Check mode computes the same plan the real run executes and returns it, with the diff, without changing
        anything.
  diff_mode:
    support: full
    description:
      - Returns the touched groups before and after, in the declaration's shape, computed from the plan.
  idempotent:
    support: full
    description:
      - A second run with the same declaration changes nothing and reports C(changed=false).
"""

    # For modules that only read.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    description:
      - The module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    description:
      - The module changes nothing, so there is nothing to diff.
  idempotent:
    support: full
    description:
      - The module changes nothing.
"""
