"""server_security_groups and the fleet role on real fake-driver Nova servers, checked independently."""

import os
import shutil
import subprocess
import sys
import uuid

import pytest
import yaml

from conftest import ROOT, boot_servers, delete_groups, delete_servers

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
    runner.run_task(GROUPS, dict(cloud="netsec-admin", groups=[{"name": g} for g in groups]))
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
    args = dict(cloud="netsec-admin", server=server.name, security_groups=[web])
    runner.run_task(MODULE, args)
    openstack_cli("server", "add", "security", "group", server.id, debug, output=False)
    assert server_show_groups(openstack_cli, server.id) == sorted([web, debug])
    repaired = runner.run_task(MODULE, args)
    assert repaired["changed"] is True and repaired["plan"][0]["before"] == sorted([web, debug])
    assert server_show_groups(openstack_cli, server.id) == [web]


def test_unknown_group_or_server_fails_before_any_change(runner, admin, two_servers, three_groups):
    server = two_servers[0]
    before = port_groups(admin, server.id)
    result = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", servers=[
        {"server": server.name, "security_groups": [three_groups[0], "no-such-group"]},
        {"server": "no-such-server", "security_groups": []}]), expect_failure=True)
    assert "servers[0].security_groups[1]: security group 'no-such-group' not found" in result["msg"]
    assert "servers[1].server: server 'no-such-server' not found" in result["msg"]
    assert runner.last_requests["writes"] == 0 and port_groups(admin, server.id) == before


def test_stateful_and_stateless_groups_on_one_port_are_refused(runner, admin, two_servers, names):
    stateless, stateful = names("stateless"), names("stateful")
    runner.run_task(GROUPS, dict(cloud="netsec-admin", groups=[{"name": stateless, "stateful": False},
                                                               {"name": stateful}]))
    result = runner.run_task(MODULE, dict(cloud="netsec-admin", server=two_servers[1].name,
                                          security_groups=[stateless, stateful]), expect_failure=True)
    assert "mix stateful and stateless" in result["msg"]


def test_multi_nic_server_wears_different_groups_per_port(runner, admin, names, three_groups):
    web, ssh, _debug = three_groups
    second = admin.network.create_network(name=names("mgmt"))
    admin.network.create_subnet(network_id=second.id, ip_version=4, cidr="10.251.0.0/24", name=names("mgmt-sub"))
    shared = admin.network.find_network("netsec-net")
    (server,) = boot_servers(admin, [names("multi")], networks=[{"uuid": shared.id}, {"uuid": second.id}])
    try:
        runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[web],
                                     ports=["netsec-net"]))
        runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[ssh],
                                     ports=[second.name]))
        by_network = dict((p.network_id, sorted(port_groups(admin, server.id)[p.id]))
                          for p in admin.network.ports(device_id=server.id))
        assert by_network == {shared.id: [web], second.id: [ssh]}
        again = runner.run_task(MODULE, dict(cloud="netsec-admin", server=server.name, security_groups=[ssh],
                                             ports=[second.name]))
        assert again["changed"] is False
    finally:
        delete_servers(admin, [server])
        admin.network.delete_network(second)


# --- the fleet role ------------------------------------------------------

def run_playbook(clouds_file, playbook, inventory, extra=()):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=clouds_file,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"), ANSIBLE_NOCOLOR="1")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, playbook,
               "-e", "ansible_python_interpreter=%s" % sys.executable] + list(extra)
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.fixture
def fleet(admin, tmp_path):
    """The example inventory, copied, and its three servers booted."""
    for name in ("web-1", "web-2", "db-1"):
        assert not list(admin.compute.servers(name="^%s$" % name)), "a server %s exists already" % name
    servers = boot_servers(admin, ["web-1", "web-2", "db-1"])
    inventory = tmp_path / "fleet"
    shutil.copytree(os.path.join(ROOT, "playbooks", "fleet"), str(inventory))
    yield dict((s.name, s) for s in servers), inventory
    delete_servers(admin, servers)
    delete_groups(admin, lambda g: g.project_id == admin.current_project_id and g.name in ("web", "db", "ssh")
                  and "managed-by=netsec.openstack" in (g.tags or []))


def test_fleet_role_end_to_end(admin, clouds_file, fleet, openstack_cli):
    servers, inventory = fleet
    playbook = os.path.join(ROOT, "playbooks", "fleet.yml")
    run_playbook(clouds_file, playbook, str(inventory / "inventory.yml"))
    assert server_show_groups(openstack_cli, servers["web-1"].id) == ["ssh", "web"]
    assert server_show_groups(openstack_cli, servers["web-2"].id) == ["ssh", "web"]
    assert server_show_groups(openstack_cli, servers["db-1"].id) == ["db", "ssh"]
    web = admin.network.find_security_group("web", project_id=admin.current_project_id)
    db = admin.network.find_security_group("db", project_id=admin.current_project_id)
    db_rules = [(r.protocol, r.port_range_min, r.remote_group_id)
                for r in admin.network.security_group_rules(security_group_id=db.id) if r.direction == "ingress"]
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
