# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""openstacksdk resources as the plain dicts the rest of the collection sees (private).

One function per kind of object; the reads, the writes and the template
calls of ``_cloud`` all answer in these shapes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

looks_like_id = model.looks_like_id


def _field(resource, name):
    """A field of an SDK resource or of a dict (rules come as either); None when absent."""
    if isinstance(resource, dict):
        return resource.get(name)
    return getattr(resource, name, None)


def rule_dict(rule):
    get = functools.partial(_field, rule)
    return {
        "id": get("id"),
        "security_group_id": get("security_group_id"),
        "direction": get("direction"),
        "ethertype": get("ethertype") or get("ether_type"),
        "protocol": get("protocol"),
        "port_range_min": get("port_range_min"),
        "port_range_max": get("port_range_max"),
        "remote_ip_prefix": get("remote_ip_prefix"),
        "remote_group_id": get("remote_group_id"),
        "remote_address_group_id": get("remote_address_group_id"),
        "description": get("description") or "",
        "project_id": get("project_id") or get("tenant_id"),
    }


def group_dict(group):
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description or "",
        "stateful": stateful_of(group),
        "tags": sorted(group.tags or []),
        "project_id": group.project_id,
        "created_at": group.created_at,
        "rules": [rule_dict(rule) for rule in group.security_group_rules or []],
    }


def stateful_of(group):
    """A group is stateful unless it says otherwise (older Neutron releases do not say)."""
    return True if group.stateful is None else bool(group.stateful)


def group_reference(group):
    """A group named by a rule or a declaration, as far as the planners need it."""
    return {"id": group.id, "name": group.name, "project_id": group.project_id}


def address_group_dict(address_group):
    return {
        "id": address_group.id,
        "name": address_group.name,
        "description": address_group.description or "",
        "addresses": model.canonical_addresses(address_group.addresses or []),
        "project_id": address_group.project_id,
    }


def fixed_ips_of(port):
    return [ip.get("ip_address") for ip in port.fixed_ips or []]


def port_dict(port, network_names):
    """A port as the planners see it; ``network_names`` maps network ids to names."""
    return {
        "id": port.id,
        "name": port.name or "",
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "project_id": port.project_id,
        "network_id": port.network_id,
        "network_name": network_names.get(port.network_id),
        "fixed_ips": fixed_ips_of(port),
        "port_security_enabled": True if port.is_port_security_enabled is None else bool(port.is_port_security_enabled),
        "security_group_ids": sorted(port.security_group_ids or []),
    }


def server_dict(server, project_id=None):
    return {"id": server.id, "name": server.name, "project_id": server.project_id or project_id}


def policy_dict(policy):
    """An RBAC policy (a share of a group or address group with a project)."""
    return {"id": policy.id, "object_type": policy.object_type, "object_id": policy.object_id, "target_project_id": policy.target_project_id}


def template_dict(template):
    """A default security group rule template."""
    return {
        "id": template.id,
        "direction": template.direction,
        "ethertype": getattr(template, "ether_type", None) or getattr(template, "ethertype", None),
        "protocol": template.protocol,
        "port_range_min": template.port_range_min,
        "port_range_max": template.port_range_max,
        "remote_ip_prefix": template.remote_ip_prefix,
        "remote_group_id": template.remote_group_id,
        "remote_address_group_id": getattr(template, "remote_address_group_id", None),
        "description": template.description or "",
        "used_in_default_sg": bool(template.used_in_default_sg),
        "used_in_non_default_sg": bool(template.used_in_non_default_sg),
    }
