"""Attachment plans: exact/add/remove per port, validation, per-interface entries."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _attachments as attachments
from ansible_collections.netsec.openstack.plugins.module_utils._plan import PlanError
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError


def observed():
    return {
        "servers": [{"id": "s1", "name": "web-1", "project_id": "p"}, {"id": "s2", "name": "dup", "project_id": "p"},
                    {"id": "s3", "name": "dup", "project_id": "p"}],
        "ports": [
            {"id": "a", "device_id": "s1", "project_id": "p", "network_name": "public", "fixed_ips": ["10.0.0.5"],
             "security_group_ids": ["g-default"]},
            {"id": "b", "device_id": "s1", "project_id": "p", "network_name": "mgmt", "fixed_ips": ["10.1.0.5"],
             "security_group_ids": ["g-default"]},
        ],
        "groups": [{"id": "g-default", "name": "default", "project_id": "p", "stateful": True},
                   {"id": "g-web", "name": "web", "project_id": "p", "stateful": True},
                   {"id": "g-ssh", "name": "ssh", "project_id": "p", "stateful": True},
                   {"id": "g-sl", "name": "stateless", "project_id": "p", "stateful": False},
                   {"id": "g-other", "name": "other", "project_id": "q", "stateful": True}],
    }


def plan(servers):
    attachments.validate_servers(servers)
    return attachments.plan_attachments(servers, observed())


def test_exact_add_remove():
    ops = plan([{"server": "web-1", "security_groups": ["web"]}])
    assert [(op["port"], op["before"], op["after"]) for op in ops] == [("a", ["default"], ["web"]), ("b", ["default"], ["web"])]
    ops = plan([{"server": "web-1", "security_groups": ["web"], "mode": "add"}])
    assert [op["after"] for op in ops] == [["default", "web"], ["default", "web"]]
    assert plan([{"server": "web-1", "security_groups": ["web"], "mode": "remove"}]) == []
    assert plan([{"server": "web-1", "security_groups": ["default"]}]) == []


def test_per_interface_entries_for_one_server():
    ops = plan([{"server": "web-1", "security_groups": ["web"], "ports": ["public"]},
                {"server": "web-1", "security_groups": ["ssh"], "ports": ["10.1.0.5"]}])
    assert [(op["port"], op["after"]) for op in ops] == [("a", ["web"]), ("b", ["ssh"])]


def test_a_server_twice_without_ports_or_on_the_same_port_is_refused():
    with pytest.raises(DeclarationError) as info:
        plan([{"server": "web-1", "security_groups": ["web"]}, {"server": "web-1", "security_groups": ["ssh"]}])
    assert "servers[1].server: 'web-1' is listed twice" in str(info.value)
    with pytest.raises(PlanError) as info:
        plan([{"server": "web-1", "security_groups": ["web"], "ports": ["a"]},
              {"server": "web-1", "security_groups": ["ssh"], "ports": ["public"]}])
    assert "servers[1].ports: port a of server web-1 is also chosen by servers[0]" in str(info.value)


def test_errors_name_their_paths():
    with pytest.raises(PlanError) as info:
        plan([{"server": "dup", "security_groups": []}, {"server": "nope", "security_groups": []},
              {"server": "web-1", "security_groups": ["nope", "other"], "ports": ["public"]},
              {"server": "s1", "security_groups": ["stateless", "web"], "ports": ["mgmt"]}])
    message = str(info.value)
    assert "servers[0].server: server name 'dup' is ambiguous: s2 (project p), s3 (project p)" in message
    assert "servers[1].server: server 'nope' not found" in message
    assert "servers[2].security_groups[0]: security group 'nope' not found in project p" in message
    assert "servers[2].security_groups[1]: security group 'other' not found in project p" in message
    assert "servers[3]: port b would mix stateful and stateless groups" in message


def test_shape_errors():
    with pytest.raises(DeclarationError) as info:
        attachments.validate_servers([{"server": "x", "security_groups": "web", "mode": "all", "port": ["a"]}])
    message = str(info.value)
    assert "servers[0].port: unknown field 'port'" in message
    assert "servers[0].security_groups: expected array" in message
    assert "servers[0].mode: 'all' is not one of exact, add, remove" in message
