"""The lockout guard against the real cloud: a fake server wearing a group that would lose tcp/22.

Outcomes are checked with openstacksdk; request counts come from the
counting proxy in front of Neutron.
"""

import uuid

import pytest

from conftest import boot_servers, delete_servers

SGS = "netsec.openstack.security_groups"
SG = "netsec.openstack.security_group"
SSH = {"protocol": "tcp", "port": 22}
HTTPS = {"protocol": "tcp", "port": 443}
OWNER = "managed-by=netsec.openstack"


@pytest.fixture(scope="module")
def server(admin):
    servers = boot_servers(admin, ["lockout-%s" % uuid.uuid4().hex[:8]])
    yield servers[0]
    delete_servers(admin, servers)


def wear(admin, server, group_ids):
    """Make the server's port wear exactly these groups; return the port."""
    ports = list(admin.network.ports(device_id=server.id))
    assert len(ports) == 1
    return admin.network.update_port(ports[0], security_group_ids=list(group_ids))


def make_group(admin, name, *ports):
    """A group with exactly these ingress tcp rules (made with openstacksdk: faster than a module run)."""
    group = admin.network.create_security_group(name=name)
    admin.network.set_tags(group, [OWNER])  # as if the modules had made it: runs do not adopt it
    for rule in admin.network.security_group_rules(security_group_id=group.id):
        admin.network.delete_security_group_rule(rule)
    for port in ports:
        admin.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", ethertype="IPv4", protocol="tcp", port_range_min=port, port_range_max=port
        )
    return group


def rules_of(admin, name):
    group = admin.network.find_security_group(name, ignore_missing=False)
    return sorted(
        (r.direction, r.protocol, r.port_range_min) for r in admin.network.security_group_rules(security_group_id=group.id) if r.direction == "ingress"
    )


def lockout_warnings(result):
    return [w for w in result.get("warnings") or [] if "LOCKOUT" in w]


def port_reads(requests):
    return [path for method, path in requests["requests"] if "/ports" in path]


def test_warns_in_check_and_real_runs_and_fail_refuses(runner, admin, names, server):
    name = names("web")
    group = make_group(admin, name, 22, 443)
    port = wear(admin, server, [group.id])
    tightened = dict(cloud="netsec-admin-counted", groups=[{"name": name, "rules": [HTTPS]}])

    # Common case first: a plan that keeps tcp/22 (here: no change) reads no ports.
    same = runner.run_task(SGS, dict(tightened, groups=[{"name": name, "rules": [SSH, HTTPS]}]))
    assert same["changed"] is False and same["lockouts"] == [] and not lockout_warnings(same)
    assert port_reads(runner.last_requests) == [], runner.last_requests

    # fail: refused before any write, nothing changes.
    failed = runner.run_task(SGS, dict(tightened, lockout_guard="fail"), expect_failure=True)
    assert "nothing was changed" in failed["msg"] and "LOCKOUT" in failed["msg"], failed["msg"]
    for word in (name, group.id, "tcp/22", port.id, server.id, "lockout_guard=fail"):
        assert word in failed["msg"], (word, failed["msg"])
    assert runner.last_requests["writes"] == 0, runner.last_requests
    assert rules_of(admin, name) == [("ingress", "tcp", 22), ("ingress", "tcp", 443)]

    # warn (the default), check mode: the warning, the plan, no change.
    checked = runner.run_task(SGS, tightened, check=True)
    warnings = lockout_warnings(checked)
    assert len(warnings) == 1, checked.get("warnings")
    for word in (name, group.id, "tcp/22", port.id, server.id):
        assert word in warnings[0], (word, warnings[0])
    assert [(f["group"], f["ports"], [w["id"] for w in f["wearers"]]) for f in checked["lockouts"]] == [(name, [22], [port.id])]
    assert len(port_reads(runner.last_requests)) == 1, runner.last_requests  # one extra read, only now
    assert rules_of(admin, name) == [("ingress", "tcp", 22), ("ingress", "tcp", 443)]

    # warn, real run: the same warning, and the change is made.
    real = runner.run_task(SGS, tightened)
    assert lockout_warnings(real) == warnings
    assert rules_of(admin, name) == [("ingress", "tcp", 443)]


def test_security_group_module_and_configured_ports(runner, admin, names, server):
    name = names("rdp")
    rdp = {"protocol": "tcp", "port": "3389"}
    group = make_group(admin, name, 22, 3389)
    wear(admin, server, [group.id])
    # Only 3389 guarded: losing tcp/22 says nothing.
    result = runner.run_task(SG, dict(cloud="netsec-admin", name=name, rules=[rdp], lockout_ports=[3389]), check=True)
    assert result["changed"] is True and not lockout_warnings(result)
    failed = runner.run_task(SG, dict(cloud="netsec-admin", name=name, rules=[SSH], lockout_ports=[3389, 22], lockout_guard="fail"), expect_failure=True)
    assert "tcp/3389" in failed["msg"] and name in failed["msg"], failed["msg"]
    ignored = runner.run_task(SG, dict(cloud="netsec-admin", name=name, rules=[], lockout_guard="ignore"))
    assert not lockout_warnings(ignored) and rules_of(admin, name) == []


def test_a_group_on_no_server_gives_no_warning(runner, admin, names):
    name = names("idle")
    make_group(admin, name, 22, 443)
    result = runner.run_task(SGS, dict(cloud="netsec-admin-counted", groups=[{"name": name, "rules": [HTTPS]}], lockout_guard="fail"))
    assert result["changed"] is True and not lockout_warnings(result) and result["lockouts"] == []
    assert rules_of(admin, name) == [("ingress", "tcp", 443)]
    # It did look (one read of the ports wearing the group) and found none.
    assert len(port_reads(runner.last_requests)) == 1, runner.last_requests


def test_bad_lockout_options_fail_before_any_request(runner):
    result = runner.run_task(SGS, dict(cloud="netsec-admin-counted", groups=[], lockout_ports=[0, 22]), expect_failure=True)
    assert "lockout_ports[0]: expected a tcp port 1-65535, got 0" in result["msg"], result["msg"]
    assert runner.last_requests["total"] == 0


def test_deleting_a_group_a_server_wears_is_refused_and_lists_it(runner, admin, names, server):
    name = names("worn")
    group = make_group(admin, name)
    port = wear(admin, server, [group.id])
    result = runner.run_task(SGS, dict(cloud="netsec-admin-counted", state="absent", groups=[{"name": name}]), expect_failure=True)
    assert "in use by 1 port(s): port %s of server %s" % (port.id, server.id) in result["msg"], result["msg"]
    assert runner.last_requests["writes"] == 0
    assert admin.network.find_security_group(group.id) is not None
