#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_groups_info
short_description: Export the live security groups, address groups and attachments of a scope as a declarations file
version_added: 0.1.0
description:
  - Reads a project (or, with O(all_projects), every project the credentials can see) and returns its security
    groups with their rules, its address groups and which groups each server wears, in the shape of a declarations
    file - the mapping M(netsec.openstack.security_groups) and M(netsec.openstack.server_security_groups) take.
  - "Round trip: feeding RV(declarations) back into M(netsec.openstack.security_groups) (O(netsec.openstack.security_groups#module:groups)
    and O(netsec.openstack.security_groups#module:address_groups)) and M(netsec.openstack.server_security_groups)
    (O(netsec.openstack.server_security_groups#module:servers)) sends no write request, on any project - groups that
    do not carry the tag C(managed-by=netsec.openstack) (made by hand or by other tools) are managed but not adopted
    unless a group is declared with C(adopt: true) (see O(netsec.openstack.security_groups#module:groups[].adopt))."
  - Rules are written in their shortest canonical form (an omitted direction is ingress, an omitted protocol is any,
    the ethertype is left out where the prefix or protocol implies it). Remote groups and address groups are named
    by name when the name is unique in the project, else by id; so are the groups servers wear, and the servers.
  - The ownership tag is not listed in C(tags) (the modules always keep it); empty descriptions are left out.
  - Reads the whole scope in a constant number of list calls.
author:
  - netsec.openstack contributors (@netsec)
extends_documentation_fragment:
  - netsec.openstack.openstack
  - netsec.openstack.attributes.INFO_MODULE
options:
  project:
    description:
      - Name or id of the project to export; defaults to the project of the credentials.
      - The exported mapping carries C(project) exactly as given here (and no C(project) when omitted).
    type: str
  all_projects:
    description:
      - Export every project the credentials can see (all of them for an admin), one mapping per project in
        RV(projects), each with C(project) set to the project id. Projects with nothing to export are left out.
      - Can not be combined with O(project).
    type: bool
    default: false
  names:
    description:
      - Export only the groups whose names match one of these shell-style patterns (C(web-*)).
      - With O(names) or O(tags), only the address groups the selected groups' rules reference are exported, and only
        the servers that wear a selected group (with everything they wear).
    type: list
    elements: str
  tags:
    description:
      - Export only the groups that carry all of these tags.
    type: list
    elements: str
  include_servers:
    description:
      - Also export which groups each server wears (C(servers)). A server whose ports wear different sets of groups
        gets one entry per set, with its C(ports) listed by id.
    type: bool
    default: true
notes:
  - A group or address group whose name is not unique in its project can not be written in a declarations file (names
    identify them there); it is left out with a warning, and rules that reference it do so by id.
seealso:
  - module: netsec.openstack.security_groups
  - module: netsec.openstack.server_security_groups
"""

EXAMPLES = r"""
- name: Export project demo
  netsec.openstack.security_groups_info:
    cloud: netsec-admin
    project: demo
  register: exported

- name: Write it as a declarations file (playbooks/export.yml does this, with a picture)
  ansible.builtin.copy:
    content: "{{ exported.declarations | netsec.openstack.declarations_yaml }}"
    dest: demo.yml
    mode: "0644"

- name: Manage what exists - apply the export unchanged (sends no write request)
  netsec.openstack.security_groups:
    cloud: netsec-admin
    project: demo
    groups: "{{ exported.declarations.groups }}"
    address_groups: "{{ exported.declarations.address_groups }}"

- name: Only the web tier, every project
  netsec.openstack.security_groups_info:
    cloud: netsec-admin
    all_projects: true
    names: ["web*"]
  register: web_everywhere
"""

RETURN = r"""
declarations:
  description:
    - The scope as a declarations file's mapping - C(project) (when O(project) was given), C(address_groups),
      C(groups) and C(servers) (when O(include_servers)).
  returned: unless O(all_projects)
  type: dict
  sample:
    project: demo
    address_groups:
      - {name: office, addresses: [203.0.113.0/24]}
    groups:
      - name: web
        description: Public web tier
        rules:
          - {protocol: tcp, port: 443}
          - {protocol: tcp, port: 22, remote_group: bastion}
          - {direction: egress}
    servers:
      - {server: web-1, security_groups: [default, web]}
projects:
  description:
    - One item per exported project, with C(project_id) and its C(declarations) mapping.
    - With O(all_projects), also C(project_name) (null when the credentials may not list projects) and C(file_name),
      the name of the project's file in an export tree - C(<project name>.yml), or C(<project id>.yml) when the name is
      unknown or two projects' names would make the same file name (names are unique per domain only).
  returned: always
  type: list
  elements: dict
  sample:
    - project_id: 0c5e8f6b2b6a4d0f9b7a5e3c1d2f4a6b
      project_name: team-a
      file_name: team-a.yml
      declarations: {project: 0c5e8f6b2b6a4d0f9b7a5e3c1d2f4a6b, address_groups: [], groups: [], servers: []}
project_id:
  description: The id of the exported project.
  returned: unless O(all_projects)
  type: str
api_requests:
  description: HTTP requests this run sent, by method (no writes).
  returned: always
  type: dict
  sample: {total: 6, writes: 0, by_method: {GET: 5, POST: 1}}
"""

from ansible_collections.netsec.openstack.plugins.module_utils._export import export
from ansible_collections.netsec.openstack.plugins.module_utils._module import (
    auth_options,
    build_module,
    run_module,
)

ARGUMENT_SPEC = dict(
    project=dict(type="str"),
    all_projects=dict(type="bool", default=False),
    names=dict(type="list", elements="str"),
    tags=dict(type="list", elements="str"),
    include_servers=dict(type="bool", default=True),
)


def run(module):
    options = dict((k, module.params[k]) for k in ARGUMENT_SPEC)
    if options["all_projects"] and options["project"]:
        module.fail_json(msg="give either project or all_projects=true, not both")
    return export(options, auth_options(module.params))


def main():
    module = build_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
