# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: drift_report
short_description: Turn check-mode results of the security group modules into a drift report
version_added: 0.1.0
description:
  - Takes the registered check-mode result of M(netsec.openstack.security_groups) and, optionally, of
    M(netsec.openstack.server_security_groups), and lists per address group, group and server what a real run would
    create, delete, replace (a rule whose description changed) or update, each with the plan's reason.
  - The result is plain data - write it with C(to_nice_json), render it with P(netsec.openstack.drift_markdown#filter).
  - A skipped task (for example no servers declared) counts as no changes; a failed one is an error.
author:
  - netsec.openstack contributors (@netsec)
options:
  _input:
    description: The registered result of M(netsec.openstack.security_groups) run in check mode.
    type: dict
    required: true
  servers_result:
    description: The registered result of M(netsec.openstack.server_security_groups) run in check mode.
    type: dict
  declarations:
    description: The declarations mapping that was checked (for its C(project), and to tell what is not declared).
    type: dict
  live:
    description:
      - The RV(netsec.openstack.security_groups_info#module:declarations) of the same scope; groups, address groups
        and servers it lists that O(declarations) does not are reported under C(not_declared) (not drift).
    type: dict
  source:
    description: Where the declarations came from (a path), for the report's reader.
    type: str
"""

EXAMPLES = r"""
- name: Drift of a declarations file, as JSON
  ansible.builtin.copy:
    content: "{{ groups_check | netsec.openstack.drift_report(servers_check, declarations=declarations, source=path) | to_nice_json }}"
    dest: drift.json
    mode: "0644"
"""

RETURN = r"""
_value:
  description:
    - C(drift) (bool), C(status) (V(drift) or V(clean)), C(counts) (C(create), C(delete), C(replace), C(update),
      C(total)), C(objects) (each with C(type) - address_group, security_group or server -, C(name) and C(changes),
      each change with C(change), C(action), C(what), C(reason) and, for rules, C(rule)), C(not_declared), C(source),
      C(project) and C(project_id).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.openstack.plugins.module_utils import _drift as drift


def drift_report(groups_result, servers_result=None, declarations=None, live=None, source=None):
    try:
        return drift.report(groups_result, servers_result, declarations=declarations, live=live, source=source)
    except ValueError as exc:
        raise AnsibleFilterError("drift_report: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"drift_report": drift_report}
