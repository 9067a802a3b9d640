# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: declarations_yaml
short_description: Write a declarations mapping as a compact, diff-friendly YAML declarations file
version_added: 0.1.0
description:
  - Keeps the mapping's key order, writes each rule and each server entry on one line (flow style) and lists of names
    or addresses inline, so that a change to one rule is a one-line change in a merge request.
  - Optionally starts with a C(yaml-language-server) comment pointing editors at the published JSON Schema, and with
    comment lines.
author:
  - netsec.openstack contributors (@netsec)
options:
  _input:
    description: A declarations mapping (C(project), C(address_groups), C(groups), C(servers)).
    type: dict
    required: true
  schema:
    description: Path or URL of the JSON Schema for the C(yaml-language-server) comment; none when omitted.
    type: str
  header:
    description: Text to put first, each line as a YAML comment.
    type: str
"""

EXAMPLES = r"""
- name: Write an exported scope as a declarations file
  ansible.builtin.copy:
    content: "{{ exported.declarations | netsec.openstack.declarations_yaml(header='Exported from demo') }}"
    dest: declarations.yml
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The YAML text.
  type: str
"""

from collections.abc import Mapping

import yaml

from ansible.errors import AnsibleFilterError

FLOW_ITEMS = ("rules", "servers")


class _FlowMap(dict):
    pass


class _FlowList(list):
    pass


class _BlockMap(dict):
    pass


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as the example declarations do.
        return super(_Dumper, self).increase_indent(flow, False)


def _represent_flow_map(dumper, data):
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _represent_block_map(dumper, data):
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


def _represent_flow_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(_FlowMap, _represent_flow_map)
_Dumper.add_representer(_BlockMap, _represent_block_map)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def _scalar(value):
    # Ansible hands over tagged str/int subclasses; the safe dumper wants the plain types.
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _plain(value, key=None, in_flow=False):
    """Plain Python types, marked: rule and server entries and lists of scalars in flow style."""
    if isinstance(value, Mapping):
        items = [(str(k), _plain(v, key=str(k), in_flow=in_flow)) for k, v in value.items()]
        return (_FlowMap if in_flow else _BlockMap)(items)
    if isinstance(value, (list, tuple)):
        if all(not isinstance(item, (Mapping, list, tuple)) for item in value):
            return _FlowList(_scalar(item) for item in value)
        return [_plain(item, in_flow=in_flow or key in FLOW_ITEMS) for item in value]
    return _scalar(value)


def declarations_yaml(declarations, schema=None, header=None):
    if not isinstance(declarations, Mapping):
        raise AnsibleFilterError("declarations_yaml: expected a declarations mapping, got %s" % type(declarations).__name__)
    lines = []
    if schema:
        lines.append("# yaml-language-server: $schema=%s" % schema)
    for line in (header or "").splitlines():
        lines.append(("# " + line).rstrip())
    body = yaml.dump(_plain(declarations), Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=4096, allow_unicode=True, indent=2)
    return "\n".join(lines + [body.rstrip("\n")]) + "\n"


class FilterModule(object):
    def filters(self):
        return {"declarations_yaml": declarations_yaml}
