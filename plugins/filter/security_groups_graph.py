# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: security_groups_graph
short_description: Draw declarations or exported state as a Mermaid or Graphviz picture of who may talk to whom
version_added: 0.1.0
description:
  - Nodes are the declared security groups, the groups and address groups their rules reference (groups that are not
    declared are drawn dashed), and the CIDRs the rules admit (C(anywhere) for V(0.0.0.0/0) and V(::/0)).
  - Edges are allowed traffic, labelled with protocol and ports (C(tcp/22), C(udp), C(icmp type 8), C(any)) - ingress
    from the remote to the group as a solid arrow, egress from the group to the remote as a dashed arrow. Rules between
    the same two nodes share an edge. A label carries C((IPv6)) or C((IPv4+IPv6)) when the traffic is not IPv4 only
    and the remote is not a CIDR.
  - Mermaid renders in Markdown on code-hosting sites (drift reports, merge-request comments); DOT renders with
    Graphviz (C(dot -Tsvg)).
  - The input is validated as the modules validate a declaration; an invalid one fails with every error and its path.
author:
  - netsec.openstack contributors (@netsec)
options:
  _input:
    description:
      - A declarations mapping - a loaded declarations file, or the RV(netsec.openstack.security_groups_info#module:declarations)
        of M(netsec.openstack.security_groups_info). Its C(groups) and C(address_groups) are drawn, and with O(servers)
        the C(servers) each group is worn by.
    type: dict
    required: true
  format:
    description: V(mermaid) or V(dot).
    type: str
    choices: [mermaid, dot]
    default: mermaid
  egress:
    description: Draw egress rules too.
    type: bool
    default: true
  servers:
    description: List the servers that wear a group in its node.
    type: bool
    default: true
  title:
    description: A title for the picture.
    type: str
"""

EXAMPLES = r"""
- name: Picture of a declarations file, for a Markdown document
  ansible.builtin.copy:
    content: "{{ declarations | netsec.openstack.security_groups_graph }}"
    dest: access.mmd
    mode: "0644"

- name: The same for Graphviz (render with `dot -Tsvg access.dot -o access.svg`)
  ansible.builtin.copy:
    content: "{{ declarations | netsec.openstack.security_groups_graph(format='dot', egress=false) }}"
    dest: access.dot
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The picture's source text (Mermaid C(flowchart LR) or a DOT C(digraph)).
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.openstack.plugins.module_utils import _graph as graph
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError


def security_groups_graph(declarations, format="mermaid", egress=True, servers=True, title=None):  # pylint: disable=redefined-builtin
    if not isinstance(declarations, dict):
        raise AnsibleFilterError("security_groups_graph: expected a declarations mapping, got %s" % type(declarations).__name__)
    try:
        return graph.render(declarations, output_format=format, egress=egress, servers=servers, title=title)
    except DeclarationError as exc:
        raise AnsibleFilterError("security_groups_graph: %s" % exc)
    except ValueError as exc:
        raise AnsibleFilterError("security_groups_graph: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"security_groups_graph": security_groups_graph}
