# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The lockout guard of the modules that manage security group rules.
    DOCUMENTATION = r"""
options:
  lockout_ports:
    description:
      - TCP ports the lockout guard protects. A plan that removes every ingress rule admitting one of them from a
        group that ports (servers) wear triggers O(lockout_guard).
      - A rule admits tcp/P when it is ingress, its protocol is tcp or any, and its port range covers P (no range means
        every port), whatever its source and ethertype. Narrowing a rule (to another source, a smaller range that still
        covers P) is not a lockout; removing the last one is.
      - An empty list turns the guard off.
    type: list
    elements: int
    default: [22]
  lockout_guard:
    description:
      - What to do when the plan would take away the last rule admitting a port of O(lockout_ports) from a group that
        ports wear.
      - V(warn) - carry on, with a loud warning (in check mode too) naming the group, the port, and the ports and
        servers that wear the group.
      - V(fail) - fail before any change, with the same message.
      - V(ignore) - do not check.
      - The check costs nothing in the common case; only when a plan removes such access does the module read which
        ports wear the group (one extra read request).
    type: str
    choices: [warn, fail, ignore]
    default: warn
"""
