"""server_security_groups and the fleet role on real fake-driver Nova servers, checked independently."""

import os
import shutil
import uuid

import pytest
import yaml

import playbook_runs
from conftest import ROOT, boot_servers, delete_groups, delete_servers, require_compute

MODULE = "netsec.openstack.server_security_groups"
GROUPS = "netsec.openstack.security_groups"


def port_groups(conn, server_id):
    """{port id: sorted group names} read with openstacksdk."""
    names = dict((g.id, g.name) for g in conn.network.security_groups())
    return dict((p.id, sorted(names[g] for g in p.security_group_ids)) for p in conn.network.ports(device_id=server_id))


def server_show_groups(openstack_cli, server_id):
    shown = openstack_cli("server", "show", server_id)
    return sorted(set(g["name"] for g in shown["security_groups"]))


@pytest.fixture(scope="module")
def two_servers(admin, clouds_file):
    prefix = "att%s-" % uuid.uuid4().hex[:6]
    servers = boot_servers(admin, [prefix + "a", prefix + "b"])
    yield servers
    delete_servers(admin, servers)


@pytest.fixture
def three_groups(runner, names):
    groups = [names("web"), names("ssh"), names("debug")]
    # ssh admits tcp/22, so the lockout guard lets servers move between groups that keep it.
    runner.run_task(
        GROUPS,
        dict(
            cloud="netsec-admin",
            groups=[{"name": g, "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}] if g == groups[1] else []} for g in groups],
        ),
    )
    return groups


def test_exact_add_remove_and_idempotence(runner, admin, two_servers, three_groups, openstack_cli):
    server = two_servers[0]
    web, ssh, debug = three_groups
    result = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", server=server.name, security_groups=[web, ssh]))
    assert result["changed"] is True
    assert list(port_groups(admin, server.id).values()) == [sorted([web, ssh])]
    assert server_show_groups(openstack_cli, server.id) == sorted([web, ssh])
    assert [m for m, _path in runner.last_requests["requests"] if m != "GET"] == ["PUT"]

    again = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", server=server.name, security_groups=[web, ssh]))
    assert again["changed"] is False and runner.last_requests["writes"] == 0

    runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.id, security_groups=[debug], mode="add"))
    assert list(port_groups(admin, server.id).values()) == [sorted([web, ssh, debug])]
    runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[web, debug], mode="remove"))
    assert list(port_groups(admin, server.id).values()) == [[ssh]]


def test_check_mode_plans_what_the_real_run_does(runner, admin, two_servers, three_groups):
    server = two_servers[1]
    web, ssh, _debug = three_groups
    args = dict(cloud="netsec-admin", servers=[{"server": server.name, "security_groups": [ssh, web]}])
    before = port_groups(admin, server.id)
    checked = runner.run_task(MODULE, args, check=True, diff=True)
    assert port_groups(admin, server.id) == before
    real = runner.run_task(MODULE, args, diff=True)
    assert checked["plan"] == real["plan"] and checked["diff"] == real["diff"] and checked["servers"] == real["servers"]
    assert list(port_groups(admin, server.id).values()) == [sorted([ssh, web])]


def test_drift_from_outside_is_repaired(runner, admin, two_servers, three_groups, openstack_cli):
    server = two_servers[0]
    web, ssh, debug = three_groups
    args = dict(cloud="netsec-admin", server=server.name, security_groups=[web, ssh])
    runner.run_task(MODULE, args)
    openstack_cli("server", "add", "security", "group", server.id, debug, output=False)
    assert server_show_groups(openstack_cli, server.id) == sorted([web, ssh, debug])
    repaired = runner.run_task(MODULE, args)
    assert repaired["changed"] is True and repaired["plan"][0]["before"] == sorted([web, ssh, debug])
    assert server_show_groups(openstack_cli, server.id) == sorted([web, ssh])


def test_unknown_group_or_server_fails_before_any_change(runner, admin, two_servers, three_groups):
    server = two_servers[0]
    before = port_groups(admin, server.id)
    result = runner.run_task(
        MODULE,
        dict(
            cloud="netsec-admin-counted",
            servers=[{"server": server.name, "security_groups": [three_groups[0], "no-such-group"]}, {"server": "no-such-server", "security_groups": []}],
        ),
        expect_failure=True,
    )
    assert "servers[0].security_groups[1]: security group 'no-such-group' not found" in result["msg"]
    assert "servers[1].server: server 'no-such-server' not found" in result["msg"]
    assert runner.last_requests["writes"] == 0 and port_groups(admin, server.id) == before


def test_stateful_and_stateless_groups_on_one_port_are_refused(runner, admin, two_servers, names):
    stateless, stateful = names("stateless"), names("stateful")
    runner.run_task(GROUPS, dict(cloud="netsec-admin", groups=[{"name": stateless, "stateful": False}, {"name": stateful}]))
    result = runner.run_task(MODULE, dict(cloud="netsec-admin", server=two_servers[1].name, security_groups=[stateless, stateful]), expect_failure=True)
    assert "mix stateful and stateless" in result["msg"]


def test_multi_nic_server_wears_different_groups_per_port(runner, admin, names, three_groups):
    web, ssh, _debug = three_groups
    second = admin.network.create_network(name=names("mgmt"))
    admin.network.create_subnet(network_id=second.id, ip_version=4, cidr="10.251.0.0/24", name=names("mgmt-sub"))
    shared = admin.network.find_network("netsec-net")
    (server,) = boot_servers(admin, [names("multi")], networks=[{"uuid": shared.id}, {"uuid": second.id}])
    try:
        runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[web], ports=["netsec-net"]))
        runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[ssh], ports=[second.name]))
        by_network = dict((p.network_id, sorted(port_groups(admin, server.id)[p.id])) for p in admin.network.ports(device_id=server.id))
        assert by_network == {shared.id: [web], second.id: [ssh]}
        again = runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[ssh], ports=[second.name]))
        assert again["changed"] is False
    finally:
        delete_servers(admin, [server])
        admin.network.delete_network(second)


# --- the fleet role ------------------------------------------------------


def run_playbook(clouds_file, playbook, inventory, extra=()):
    run = playbook_runs.run_playbook(playbook, clouds_file, ROOT, inventory=inventory, extra_args=extra)
    assert run.status == 0, run.output
    return run.output


@pytest.fixture
def fleet(admin, tmp_path):
    """The example inventory, copied, and its three servers booted."""
    require_compute()
    for name in ("web-1", "web-2", "db-1"):
        assert not list(admin.compute.servers(name="^%s$" % name)), "a server %s exists already" % name
    servers = boot_servers(admin, ["web-1", "web-2", "db-1"])
    inventory = tmp_path / "fleet"
    shutil.copytree(os.path.join(ROOT, "playbooks", "fleet"), str(inventory))
    yield dict((s.name, s) for s in servers), inventory
    delete_servers(admin, servers)
    delete_groups(
        admin, lambda g: g.project_id == admin.current_project_id and g.name in ("web", "db", "ssh") and "managed-by=netsec.openstack" in (g.tags or [])
    )


def test_fleet_role_end_to_end(admin, clouds_file, fleet, openstack_cli):
    servers, inventory = fleet
    playbook = os.path.join(ROOT, "playbooks", "fleet.yml")
    run_playbook(clouds_file, playbook, str(inventory / "inventory.yml"))
    assert server_show_groups(openstack_cli, servers["web-1"].id) == ["ssh", "web"]
    assert server_show_groups(openstack_cli, servers["web-2"].id) == ["ssh", "web"]
    assert server_show_groups(openstack_cli, servers["db-1"].id) == ["db", "ssh"]
    web = admin.network.find_security_group("web", project_id=admin.current_project_id)
    db = admin.network.find_security_group("db", project_id=admin.current_project_id)
    db_rules = [
        (r.protocol, r.port_range_min, r.remote_group_id) for r in admin.network.security_group_rules(security_group_id=db.id) if r.direction == "ingress"
    ]
    assert db_rules == [("tcp", 5432, web.id)]

    output = run_playbook(clouds_file, playbook, str(inventory / "inventory.yml"))
    assert "changed=0" in output

    # Move web-2 from the web tier to the db tier, re-run.
    with open(str(inventory / "inventory.yml")) as handle:
        data = yaml.safe_load(handle)
    del data["all"]["children"]["webservers"]["hosts"]["web-2"]
    data["all"]["children"]["dbservers"]["hosts"]["web-2"] = None
    with open(str(inventory / "inventory.yml"), "w") as handle:
        yaml.safe_dump(data, handle)
    run_playbook(clouds_file, playbook, str(inventory / "inventory.yml"))
    assert server_show_groups(openstack_cli, servers["web-2"].id) == ["db", "ssh"]
    assert server_show_groups(openstack_cli, servers["web-1"].id) == ["ssh", "web"]


# --- planned_groups: check mode plans attachments to groups the play creates ---------------


def test_planned_group_in_check_mode_and_missing_in_a_real_run(runner, admin, two_servers, names):
    server = two_servers[0]
    newweb = names("newweb")
    before = port_groups(admin, server.id)
    args = dict(cloud="netsec-admin-counted", server=server.name, security_groups=["default", newweb], planned_groups=[newweb])
    checked = runner.run_task(MODULE, args, check=True, diff=True)
    assert runner.last_requests["writes"] == 0 and port_groups(admin, server.id) == before
    assert checked["changed"] is True
    assert [op["created_by_plan"] for op in checked["plan"]] == [[newweb]]
    assert "would attach %s (created by this plan)" % newweb in checked["plan"][0]["reason"]
    assert [item["after"] for item in checked["diff"]] == ["default\n%s\n" % newweb]
    # A real run: the group must exist by then.
    failed = runner.run_task(MODULE, dict(args, cloud="netsec-admin-counted"), expect_failure=True)
    assert "security group %r not found" % newweb in failed["msg"] and "listed in planned_groups" in failed["msg"]
    assert runner.last_requests["writes"] == 0 and port_groups(admin, server.id) == before
    # A name in planned_groups that nothing declares: check mode can not know, the real run says so (above);
    # a name that is not in planned_groups fails in check mode too.
    unknown = runner.run_task(MODULE, dict(args, planned_groups=[]), check=True, expect_failure=True)
    assert "security group %r not found" % newweb in unknown["msg"]


def test_fleet_check_mode_lists_the_create_and_the_attach_and_writes_nothing(admin, clouds_file, fleet, proxy):
    servers, inventory = fleet
    ports_before = dict((name, port_groups(admin, s.id)) for name, s in servers.items())
    playbook = os.path.join(ROOT, "playbooks", "fleet.yml")
    proxy.reset()
    output = run_playbook(clouds_file, playbook, str(inventory / "inventory.yml"), ["--check", "--diff", "-e", "fleet_cloud=netsec-admin-counted"])
    assert proxy.counts()["writes"] == 0, proxy.counts()
    assert dict((name, port_groups(admin, s.id)) for name, s in servers.items()) == ports_before
    assert not [
        g
        for g in admin.network.security_groups(project_id=admin.current_project_id)
        if g.name in ("web", "db", "ssh") and "managed-by=netsec.openstack" in (g.tags or [])
    ]
    assert "failed=0" in output
    # The diff names the groups created and the servers' ports that would wear them.
    assert "after: security group web" in output and "after: security group db" in output
    for name in ("web-1", "web-2", "db-1"):
        assert "after: server %s port" % name in output
    # The real run does what the check showed.
    run_playbook(clouds_file, playbook, str(inventory / "inventory.yml"))
    assert server_show_groups_sdk(admin, servers["web-1"].id) == ["ssh", "web"]
    assert server_show_groups_sdk(admin, servers["db-1"].id) == ["db", "ssh"]


def server_show_groups_sdk(conn, server_id):
    return sorted(set(name for names_ in port_groups(conn, server_id).values() for name in names_))


# --- the lockout guard --------------------------------------------------------------------------


def test_exact_with_no_groups_is_refused_before_any_write_in_check_mode_too(runner, admin, two_servers, names):
    server = two_servers[1]
    ssh = names("ssh")
    runner.run_task(GROUPS, dict(cloud="netsec-admin", groups=[{"name": ssh, "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}]}]))
    runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[ssh]))
    before = port_groups(admin, server.id)
    assert list(before.values()) == [[ssh]]
    for check in (True, False):
        refused = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", server=server.name, security_groups=[]), check=check, expect_failure=True)
        assert "LOCKOUT" in refused["msg"] and "no security group on any port" in refused["msg"], refused["msg"]
        assert "(lockout_guard=fail)" in refused["msg"]
        assert runner.last_requests["writes"] == 0 and port_groups(admin, server.id) == before
    # Taking the only group that admits tcp/22 (mode remove, or exact to a group without it).
    web = names("web")
    runner.run_task(GROUPS, dict(cloud="netsec-admin", groups=[{"name": web, "rules": [{"protocol": "tcp", "port": 443}]}]))
    refused = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", server=server.name, security_groups=[web]), expect_failure=True)
    assert "admits tcp/22" in refused["msg"] and server.name in refused["msg"]
    assert runner.last_requests["writes"] == 0 and port_groups(admin, server.id) == before
    # Opting in: the change is made, with the warning.
    warned = runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[web], lockout_guard="warn"))
    assert warned["changed"] is True and warned["lockouts"][0]["kind"] == "port"
    assert "LOCKOUT" in runner.last_output
    assert list(port_groups(admin, server.id).values()) == [[web]]
    ignored = runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[], lockout_guard="ignore"))
    assert ignored["changed"] is True and list(port_groups(admin, server.id).values()) == [[]]


def test_a_server_with_two_ports_where_one_keeps_ssh(runner, admin, names):
    ssh, web = names("ssh"), names("web")
    runner.run_task(
        GROUPS,
        dict(
            cloud="netsec-admin",
            groups=[
                {"name": ssh, "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}]},
                {"name": web, "rules": [{"protocol": "tcp", "port": 443}]},
            ],
        ),
    )
    second = admin.network.create_network(name=names("mgmt"))
    admin.network.create_subnet(network_id=second.id, ip_version=4, cidr="10.252.0.0/24", name=names("mgmt-sub"))
    shared = admin.network.find_network("netsec-net")
    (server,) = boot_servers(admin, [names("two-nic")], networks=[{"uuid": shared.id}, {"uuid": second.id}])
    try:
        runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[ssh]))
        # The public port goes to web only; the management port keeps ssh: the server stays reachable.
        kept = runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[web], ports=["netsec-net"]))
        assert kept["changed"] is True and kept["lockouts"] == []
        by_network = dict((p.network_id, port_groups(admin, server.id)[p.id]) for p in admin.network.ports(device_id=server.id))
        assert by_network == {shared.id: [web], second.id: [ssh]}
        # Then the management port loses ssh too: refused, nothing changed.
        refused = runner.run_task(
            MODULE, dict(cloud="netsec-admin-counted", server=server.name, security_groups=[web], ports=[second.name]), expect_failure=True
        )
        assert "admits tcp/22" in refused["msg"] and runner.last_requests["writes"] == 0
        assert dict((p.network_id, port_groups(admin, server.id)[p.id]) for p in admin.network.ports(device_id=server.id)) == by_network
    finally:
        delete_servers(admin, [server])
        admin.network.delete_network(second)
