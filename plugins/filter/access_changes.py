# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: access_changes
short_description: What a change of a declarations file opens and closes, server by server
version_added: 0.1.0
description:
  - Compares the effective access of every server of two declarations files (before and after a change) and lists what
    the change opens and closes, for example C(this change opens tcp/3389 on db-1 to 0.0.0.0/0).
  - Servers come from the files' C(servers) lists; a file without servers is compared group by group. O(targets) names
    the servers and their groups explicitly.
  - Addresses are compared as address sets - adding C(10.0.0.0/8) where C(0.0.0.0/0) is already open opens nothing;
    remote groups and undeclared address groups are compared by name.
author:
  - netsec.openstack contributors (@netsec)
requirements:
  - jsonschema >= 4.0 (on the controller)
options:
  _input:
    description: The declarations file before the change (a mapping).
    type: dict
    required: true
  after:
    description: The declarations file after the change.
    type: dict
    required: true
  targets:
    description: A mapping of a name to the list of group names it wears, used for both files instead of their servers.
    type: dict
  direction:
    description: V(ingress), V(egress), or omitted for both.
    type: str
"""

EXAMPLES = r"""
- name: What does this merge request open?
  ansible.builtin.debug:
    msg: "{{ before | netsec.openstack.access_changes(after) | selectattr('change', '==', 'opened') | map(attribute='message') }}"
"""

RETURN = r"""
_value:
  description:
    - One entry per change - C(target), C(change) (V(opened) or V(closed)), C(direction), C(ethertype), C(protocol), C(ports),
      C(sources), C(rules) (the rules responsible, with their declaration C(path)) and C(message).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.openstack.plugins.module_utils._access import AccessError, declarations_changes
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError


def access_changes(before, after, targets=None, direction=None):
    if direction not in (None, "ingress", "egress"):
        raise AnsibleFilterError("access_changes: direction must be ingress or egress, not %r" % (direction,))
    try:
        return declarations_changes(before, after, targets, direction)
    except (AccessError, DeclarationError) as exc:
        raise AnsibleFilterError("access_changes: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"access_changes": access_changes}
