# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: access_policy
short_description: The effective policy of a server in a declarations file, and yes/no answers, without a cloud
version_added: 0.1.0
description:
  - The offline form of M(netsec.openstack.effective_access) - merges the rules of the groups a server would wear
    (O(server) from the file's C(servers) list, or O(security_groups)) and optionally answers a question.
  - Returns the same keys as the module - C(security_groups), C(policy), C(policy_text) and, when a question is asked,
    C(allowed), C(matching_rules), C(undetermined_rules), C(sources) and C(answer).
author:
  - netsec.openstack contributors (@netsec)
requirements:
  - jsonschema >= 4.0 (on the controller)
options:
  _input:
    description: A declarations file as a mapping (C(project), C(address_groups), C(groups), C(servers)).
    type: dict
    required: true
  server:
    description: A server of the file's C(servers) list. Mutually exclusive with O(security_groups).
    type: str
  security_groups:
    description: Names of groups declared in the file.
    type: list
    elements: str
  direction:
    description: V(ingress) or V(egress).
    type: str
    default: ingress
  source:
    description: The question's source - an IP address, a CIDR or a group name ("a server wearing it").
    type: str
  protocol:
    description: The question's protocol (name or number).
    type: str
  port:
    description: The question's port (ICMP type for V(icmp)).
    type: int
"""

EXAMPLES = r"""
- name: Could the world reach db-1 on PostgreSQL once this file is applied?
  ansible.builtin.debug:
    msg: "{{ (declarations | netsec.openstack.access_policy(server='db-1', source='0.0.0.0/0', protocol='tcp', port=5432)).answer }}"

- name: The merged ingress policy of a server wearing web and ssh
  ansible.builtin.debug:
    msg: "{{ (declarations | netsec.openstack.access_policy(security_groups=['web', 'ssh'])).policy_text }}"
"""

RETURN = r"""
_value:
  description: The policy and, when a question is asked, the answer (see M(netsec.openstack.effective_access)).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.openstack.plugins.module_utils._inspect import InspectError, effective_access_offline
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError


def access_policy(declarations, server=None, security_groups=None, direction="ingress", source=None, protocol=None, port=None):
    if (server is None) == (security_groups is None):
        raise AnsibleFilterError("access_policy: give exactly one of server and security_groups")
    if direction not in ("ingress", "egress"):
        raise AnsibleFilterError("access_policy: direction must be ingress or egress, not %r" % (direction,))
    params = {
        "declarations": declarations,
        "server": server,
        "security_groups": security_groups,
        "direction": direction,
        "source": source,
        "protocol": None if protocol is None else str(protocol),
        "port": port,
    }
    try:
        result = effective_access_offline(params)
    except (InspectError, DeclarationError) as exc:
        raise AnsibleFilterError("access_policy: %s" % exc)
    result.pop("changed", None)
    return result


class FilterModule(object):
    def filters(self):
        return {"access_policy": access_policy}
