"""The local cloud itself: Neutron security groups on real Nova servers.

Proves what the collection's integration tests take for granted: a new group
has Neutron's default egress rules, servers boot (Nova fake driver) on the
shared network ``netsec-net`` with image and flavor ``netsec-tiny``, and
adding a group to a server changes its Neutron port. The concurrent boot
proves the compute databases take parallel writers (they are on MariaDB;
sqlite failed that with "database is locked").

Uses openstacksdk only, with the clouds of OS_CLIENT_CONFIG_FILE, which the
suite's runner sets after ``tests/cloud/localcloud start``.
"""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import openstack
import pytest

IMAGE = FLAVOR = "netsec-tiny"
NETWORK = "netsec-net"
BOOT_TIMEOUT = 60


@pytest.fixture(scope="module")
def clouds():
    path = os.environ.get("OS_CLIENT_CONFIG_FILE")
    if not path or not os.path.exists(path):
        pytest.fail(
            "OS_CLIENT_CONFIG_FILE is unset or missing (%r): start the local cloud with "
            "tests/cloud/localcloud start and export what `tests/cloud/localcloud env` prints" % path
        )
    return path


def connect(cloud):
    return openstack.connect(cloud=cloud)


@pytest.fixture(scope="module")
def conn(clouds):
    return connect("netsec-admin")


@pytest.fixture(scope="module")
def boot_args(conn):
    image = conn.image.find_image(IMAGE)
    flavor = conn.compute.find_flavor(FLAVOR)
    network = conn.network.find_network(NETWORK)
    missing = [what for what, found in (("image " + IMAGE, image), ("flavor " + FLAVOR, flavor), ("network " + NETWORK, network)) if found is None]
    if missing:
        pytest.fail("the local cloud lacks %s: run tests/cloud/localcloud start (compute included)" % ", ".join(missing))
    return {"image_id": image.id, "flavor_id": flavor.id, "networks": [{"uuid": network.id}]}


def name(prefix):
    return "netsec-lc-%s-%s" % (prefix, uuid.uuid4().hex[:8])


def boot(conn, boot_args, prefix):
    return conn.compute.create_server(name=name(prefix), **boot_args)


def wait_active(conn, server):
    try:
        return conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], interval=0.5, wait=BOOT_TIMEOUT)
    except openstack.exceptions.ResourceFailure:
        fault = conn.compute.get_server(server).fault
        pytest.fail("server %s went to ERROR: %s" % (server.name, fault))


def delete_servers(conn, servers):
    """Delete, then wait until all are gone (ports released), never raising on a missing one."""
    for server in servers:
        conn.compute.delete_server(server, ignore_missing=True)
    for server in servers:
        conn.compute.wait_for_delete(server, interval=0.5, wait=BOOT_TIMEOUT)


def port_groups(conn, server_id):
    ports = list(conn.network.ports(device_id=server_id))
    assert len(ports) == 1, "expected one port on server %s, found %d" % (server_id, len(ports))
    return ports[0], set(ports[0].security_group_ids)


def test_group_on_a_server_port(conn, boot_args):
    servers, group = [], None
    try:
        group = conn.network.create_security_group(name=name("sg"), description="test_localcloud")
        rules = list(conn.network.security_group_rules(security_group_id=group.id))
        assert sorted((r.direction, r.ether_type, r.protocol, r.remote_ip_prefix) for r in rules) == [
            ("egress", "IPv4", None, None),
            ("egress", "IPv6", None, None),
        ]
        rule = conn.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", ether_type="IPv4", protocol="tcp", port_range_min=22, port_range_max=22
        )
        assert (rule.port_range_min, rule.port_range_max, rule.protocol) == (22, 22, "tcp")

        servers.append(boot(conn, boot_args, "vm"))
        server = wait_active(conn, servers[0])
        port, before = port_groups(conn, server.id)
        assert port.status == "ACTIVE"
        assert port.binding_vif_type not in ("binding_failed", "unbound")
        assert group.id not in before

        conn.compute.add_security_group_to_server(server, group)
        _port, after = port_groups(conn, server.id)
        assert after == before | {group.id}
        assert group.name in {sg["name"] for sg in conn.compute.get_server(server).security_groups}
    finally:
        delete_servers(conn, servers)
        if group is not None:
            conn.network.delete_security_group(group, ignore_missing=True)


def test_three_servers_boot_at_once(conn, boot_args):
    servers = []

    def create(index):
        # one connection per thread: the three POSTs really overlap
        own = connect("netsec-admin")
        server = boot(own, boot_args, "par%d" % index)
        servers.append(server)
        return server

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            created = list(pool.map(create, range(3)))
        states = {}
        for server in created:
            states[server.name] = wait_active(conn, server).status
        assert states == {server.name: "ACTIVE" for server in created}
        assert time.monotonic() - started < BOOT_TIMEOUT
    finally:
        delete_servers(conn, servers)


def test_demo_project_boots_on_the_shared_network(clouds, boot_args):
    demo = connect("netsec-demo")
    servers = []
    try:
        servers.append(boot(demo, boot_args, "demo"))
        server = wait_active(demo, servers[0])
        port, groups = port_groups(demo, server.id)
        assert port.project_id == demo.current_project_id
        default = demo.network.find_security_group("default", project_id=demo.current_project_id)
        assert groups == {default.id}
    finally:
        delete_servers(demo, servers)


# --- releases (issue 15): choosing the Neutron release; nothing here starts or stops a cloud ---


def _localcloud(args, **env):
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(os.path.dirname(here), "cloud", "localcloud")
    return subprocess.run([sys.executable, script] + args, env=dict(os.environ, **env), capture_output=True, text=True, check=False)


def test_localcloud_lists_the_releases_it_can_run():
    listed = _localcloud(["releases"]).stdout.split()
    assert listed[0] == "2026.2"
    for release in ("2025.1", "2024.1", "2023.1"):
        assert release in listed
        here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cloud", "releases")
        assert os.path.exists(os.path.join(here, "upper-constraints-%s.txt" % release))


def test_an_unknown_release_is_refused_before_anything_runs(tmp_path):
    out = _localcloud(["start"], NETSEC_NEUTRON_RELEASE="2019.1", NETSEC_CLOUD_DIR=str(tmp_path / "c"))
    assert out.returncode == 2 and "NETSEC_NEUTRON_RELEASE=2019.1 is not a release" in out.stderr
    assert not (tmp_path / "c").exists()


def test_a_stale_base_venv_is_an_error_not_an_install(tmp_path):
    base = tmp_path / "venv"
    base.mkdir()
    out = _localcloud(
        ["start", "--no-compute"],
        NETSEC_CLOUD_BASE_VENV=str(base),
        NETSEC_CLOUD_DIR=str(tmp_path / "c"),
        NETSEC_KEYSTONE_PORT="5999",
        NETSEC_NEUTRON_PORT="9999",
    )
    assert out.returncode == 1 and "NETSEC_CLOUD_BASE_VENV" in out.stderr, out.stdout + out.stderr
    assert os.listdir(str(base)) == []
