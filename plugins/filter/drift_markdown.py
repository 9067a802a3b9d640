# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: drift_markdown
short_description: Render a drift report as Markdown, for a merge-request comment or a CI job summary
version_added: 0.1.0
description:
  - A status line (no drift, drift with counts, or the error), a table of every change with its reason, what the scope
    holds that the declarations do not, and optionally a Mermaid picture of the declared access.
author:
  - netsec.openstack contributors (@netsec)
options:
  _input:
    description: A report from P(netsec.openstack.drift_report#filter) (or the error report C(drift.yml) writes).
    type: dict
    required: true
  picture:
    description: Mermaid text (from P(netsec.openstack.security_groups_graph#filter)) to append in a folded section.
    type: str
  title:
    description: The heading.
    type: str
    default: Security group drift
"""

EXAMPLES = r"""
- name: Drift as Markdown, with a picture of the declarations
  ansible.builtin.copy:
    content: "{{ report | netsec.openstack.drift_markdown(picture=declarations | netsec.openstack.security_groups_graph) }}"
    dest: drift.md
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The Markdown text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.openstack.plugins.module_utils import _drift as drift


def drift_markdown(report, picture=None, title="Security group drift"):
    if not isinstance(report, dict):
        raise AnsibleFilterError("drift_markdown: expected a drift report, got %s" % type(report).__name__)
    return drift.markdown(report, picture=picture, title=title)


class FilterModule(object):
    def filters(self):
        return {"drift_markdown": drift_markdown}
