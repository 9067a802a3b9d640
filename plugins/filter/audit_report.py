# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: audit_report
short_description: Render a security group audit as Markdown, for a merge-request comment or a CI job summary
version_added: 0.1.0
description:
  - The gate verdict, counts per severity, a table of the open findings (severity, group, rule, message, fix hint, id)
    and a table of the waived ones with the waiver that accepted each.
  - The JSON report is the registered result of M(netsec.openstack.security_groups_audit) itself (C(to_nice_json)).
author:
  - netsec.openstack contributors (@netsec)
options:
  _input:
    description: The registered result of M(netsec.openstack.security_groups_audit), or its C(findings) list.
    type: raw
    required: true
  title:
    description: The heading.
    type: str
    default: Security group audit
"""

EXAMPLES = r"""
- name: Audit as Markdown
  ansible.builtin.copy:
    content: "{{ audit | netsec.openstack.audit_report }}"
    dest: audit.md
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The Markdown text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.openstack.plugins.module_utils import _audit as auditing


def audit_report(result, title="Security group audit"):
    if isinstance(result, dict) and isinstance(result.get("findings"), list) or isinstance(result, list):
        return auditing.markdown(result, title=title)
    raise AnsibleFilterError("audit_report: expected the result of netsec.openstack.security_groups_audit or its findings, got %s" % type(result).__name__)


class FilterModule(object):
    def filters(self):
        return {"audit_report": audit_report}
