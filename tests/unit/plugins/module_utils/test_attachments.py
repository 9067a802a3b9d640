"""Attachment plans: exact/add/remove per port, validation, per-interface entries."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _attachments as attachments
from ansible_collections.netsec.openstack.plugins.module_utils._plan import PlanError
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError


def observed():
    return {
        "servers": [
            {"id": "s1", "name": "web-1", "project_id": "p"},
            {"id": "s2", "name": "dup", "project_id": "p"},
            {"id": "s3", "name": "dup", "project_id": "p"},
        ],
        "ports": [
            {"id": "a", "device_id": "s1", "project_id": "p", "network_name": "public", "fixed_ips": ["10.0.0.5"], "security_group_ids": ["g-default"]},
            {"id": "b", "device_id": "s1", "project_id": "p", "network_name": "mgmt", "fixed_ips": ["10.1.0.5"], "security_group_ids": ["g-default"]},
        ],
        "groups": [
            {"id": "g-default", "name": "default", "project_id": "p", "stateful": True},
            {"id": "g-web", "name": "web", "project_id": "p", "stateful": True},
            {"id": "g-ssh", "name": "ssh", "project_id": "p", "stateful": True},
            {"id": "g-sl", "name": "stateless", "project_id": "p", "stateful": False},
            {"id": "g-other", "name": "other", "project_id": "q", "stateful": True},
        ],
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
    ops = plan([{"server": "web-1", "security_groups": ["web"], "ports": ["public"]}, {"server": "web-1", "security_groups": ["ssh"], "ports": ["10.1.0.5"]}])
    assert [(op["port"], op["after"]) for op in ops] == [("a", ["web"]), ("b", ["ssh"])]


def test_a_server_twice_without_ports_or_on_the_same_port_is_refused():
    with pytest.raises(DeclarationError) as info:
        plan([{"server": "web-1", "security_groups": ["web"]}, {"server": "web-1", "security_groups": ["ssh"]}])
    assert "servers[1].server: 'web-1' is listed twice" in str(info.value)
    with pytest.raises(PlanError) as info:
        plan([{"server": "web-1", "security_groups": ["web"], "ports": ["a"]}, {"server": "web-1", "security_groups": ["ssh"], "ports": ["public"]}])
    assert "servers[1].ports: port a of server web-1 is also chosen by servers[0]" in str(info.value)


def test_errors_name_their_paths():
    with pytest.raises(PlanError) as info:
        plan(
            [
                {"server": "dup", "security_groups": []},
                {"server": "nope", "security_groups": []},
                {"server": "web-1", "security_groups": ["nope", "other"], "ports": ["public"]},
                {"server": "s1", "security_groups": ["stateless", "web"], "ports": ["mgmt"]},
            ]
        )
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


# --- planned_groups: groups the same play creates -------------------------


def test_a_planned_group_is_a_target_in_check_mode_only():
    servers = [{"server": "web-1", "security_groups": ["default", "newweb"], "ports": ["public"]}]
    ops = attachments.plan_attachments(servers, observed(), planned_groups=["newweb"], check_mode=True)
    (op,) = ops
    assert op["after"] == ["default", "newweb"] and op["created_by_plan"] == ["newweb"]
    assert "would attach newweb (created by this plan)" in op["reason"]
    view = attachments.server_view(servers, observed(), attachments.simulate_ports(observed(), ops))
    assert view[0]["ports"][0]["security_groups"] == ["default", "newweb"]
    with pytest.raises(PlanError) as info:
        attachments.plan_attachments(servers, observed(), planned_groups=["newweb"], check_mode=False)
    assert (
        "servers[0].security_groups[1]: security group 'newweb' not found in project p; it is listed in planned_groups, so the task that creates it"
    ) in str(info.value)
    # Not listed: not found, in check mode too.
    with pytest.raises(PlanError) as info:
        attachments.plan_attachments(servers, observed(), planned_groups=["other-name"], check_mode=True)
    assert "security group 'newweb' not found in project p" in str(info.value)


def test_a_planned_group_that_exists_is_the_existing_one():
    servers = [{"server": "web-1", "security_groups": ["web"], "ports": ["public"]}]
    (op,) = attachments.plan_attachments(servers, observed(), planned_groups=["web"], check_mode=True)
    assert op["security_group_ids"] == ["g-web"] and op["created_by_plan"] == []


def test_a_planned_group_wins_over_a_shared_namesake_of_another_project():
    state = observed()
    state["groups"].append({"id": "g-shared", "name": "newweb", "project_id": "q", "stateful": True, "shared": True})
    servers = [{"server": "web-1", "security_groups": ["newweb"], "ports": ["public"]}]
    (op,) = attachments.plan_attachments(servers, state, planned_groups=["newweb"], check_mode=True)
    assert op["security_group_ids"] == ["planned:newweb"]
    (op,) = attachments.plan_attachments(servers, state, check_mode=True)
    assert op["security_group_ids"] == ["g-shared"]


def test_a_planned_group_is_not_judged_stateful_or_stateless():
    servers = [{"server": "web-1", "security_groups": ["stateless", "newweb"], "ports": ["public"]}]
    (op,) = attachments.plan_attachments(servers, observed(), planned_groups=["newweb"], check_mode=True)
    assert op["after"] == ["newweb", "stateless"]


# --- the lockout guard ------------------------------------------------------

SSH = {
    "id": "r-ssh",
    "direction": "ingress",
    "ethertype": "IPv4",
    "protocol": "tcp",
    "port_range_min": 22,
    "port_range_max": 22,
    "remote_ip_prefix": "10.0.0.0/8",
}
WEB = {"id": "r-web", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 443, "port_range_max": 443}
FROM_DEFAULT = {"id": "r-def", "direction": "ingress", "ethertype": "IPv4", "remote_group_id": "g-default"}


def guarded_state():
    state = observed()
    rules = {"g-default": [FROM_DEFAULT], "g-web": [WEB], "g-ssh": [SSH], "g-sl": [], "g-other": []}
    for group in state["groups"]:
        group["rules"] = list(rules[group["id"]])
    return state


def lockouts(servers, state=None, ports=(22,), planned=(), check_mode=False):
    state = state or guarded_state()
    ops = attachments.plan_attachments(servers, state, planned_groups=planned, check_mode=check_mode)
    return attachments.find_server_lockouts(state, ops, list(ports))


def test_exact_with_no_groups_is_a_lockout():
    found, undecided = lockouts([{"server": "web-1", "security_groups": []}])
    assert [(f["server"], f["kind"]) for f in found] == [("web-1", "no_group")] and undecided == []
    assert "leaves server web-1 (s1) with no security group on any port" in found[0]["message"]
    # Even with no guarded ports: no group at all drops everything.
    found, _undecided = lockouts([{"server": "web-1", "security_groups": []}], ports=())
    assert [f["kind"] for f in found] == ["no_group"]


def test_losing_every_group_that_admits_ssh_is_a_lockout():
    found, _undecided = lockouts([{"server": "web-1", "security_groups": ["web"]}])
    assert [(f["kind"], f["ports"]) for f in found] == [("port", [22])]
    assert "no security group that server web-1 (s1) wears admits tcp/22" in found[0]["message"]
    assert "port a (10.0.0.5, public) wears web" in found[0]["message"]
    assert lockouts([{"server": "web-1", "security_groups": ["web", "ssh"]}]) == ([], [])
    assert lockouts([{"server": "web-1", "security_groups": ["web"]}], ports=()) == ([], [])


def test_a_server_with_two_ports_where_one_keeps_ssh_is_not_locked_out():
    servers = [{"server": "web-1", "security_groups": ["web"], "ports": ["public"]}, {"server": "web-1", "security_groups": ["ssh"], "ports": ["mgmt"]}]
    assert lockouts(servers) == ([], [])
    # Only one port changes, the other keeps default (which admits tcp/22 from its members).
    assert lockouts([{"server": "web-1", "security_groups": ["web"], "ports": ["public"]}]) == ([], [])
    # One port to no group, the other keeps ssh: the server keeps a group admitting tcp/22.
    servers = [{"server": "web-1", "security_groups": [], "ports": ["public"]}, {"server": "web-1", "security_groups": ["ssh"], "ports": ["mgmt"]}]
    assert lockouts(servers) == ([], [])


def test_a_server_that_admitted_nothing_before_is_not_made_worse():
    state = guarded_state()
    for port in state["ports"]:
        port["security_group_ids"] = ["g-web"]
    assert lockouts([{"server": "web-1", "security_groups": ["stateless"]}], state) == ([], [])


def test_port_security_disabled_admits_everything():
    state = guarded_state()
    state["ports"][1]["port_security_enabled"] = False
    state["ports"][1]["security_group_ids"] = []
    assert lockouts([{"server": "web-1", "security_groups": ["web"], "ports": ["public"]}], state) == ([], [])


def test_a_planned_group_can_not_be_judged_in_check_mode():
    found, undecided = lockouts([{"server": "web-1", "security_groups": ["web", "newweb"]}], planned=["newweb"], check_mode=True)
    assert found == [] and len(undecided) == 1
    assert "whether newweb (created by this plan) does is judged by the real run" in undecided[0]
    # With a group that keeps ssh, nothing to say.
    assert lockouts([{"server": "web-1", "security_groups": ["ssh", "newweb"]}], planned=["newweb"], check_mode=True) == ([], [])


def test_a_protocol_0_rule_admits_ssh():
    state = guarded_state()
    (web,) = [g for g in state["groups"] if g["id"] == "g-web"]
    web["rules"].append({"id": "r-zero", "direction": "ingress", "ethertype": "IPv6", "protocol": "0"})
    assert lockouts([{"server": "web-1", "security_groups": ["web"]}], state) == ([], [])
