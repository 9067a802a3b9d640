"""Integration fixtures: the local cloud, real ansible-playbook runs, independent checks.

Every outcome is verified with openstacksdk (``admin``/``demo`` fixtures),
never with the module's own return value alone; request counts come from a
counting proxy in front of Neutron.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import openstack
import pytest
import yaml

from group_cleanup import delete_groups
from counting_proxy import CountingProxy
from playbook_runs import COLLECTIONS, ROOT, playbook_env, run_module_task

LOCALCLOUD = os.path.join(ROOT, "tests", "cloud", "localcloud")
# tests/cloud/localcloud runs a copy on other ports with NETSEC_KEYSTONE_PORT / NETSEC_NEUTRON_PORT (make releases)
KEYSTONE_PORT = int(os.environ.get("NETSEC_KEYSTONE_PORT") or 5000)
NEUTRON_PORT = int(os.environ.get("NETSEC_NEUTRON_PORT") or 9696)
NEUTRON_URL = "http://127.0.0.1:%d" % NEUTRON_PORT
BOOT_TIMEOUT = 90


def _clouds_file():
    path = os.environ.get("OS_CLIENT_CONFIG_FILE")
    if path and os.path.exists(path):
        return path
    output = subprocess.run([LOCALCLOUD, "env"], check=True, capture_output=True, text=True).stdout
    for word in output.split():
        if word.startswith("OS_CLIENT_CONFIG_FILE="):
            return word.split("=", 1)[1].strip("'\"")
    raise RuntimeError("tests/cloud/localcloud env printed no OS_CLIENT_CONFIG_FILE: %r" % output)


def _ensure_collection_link():
    link = os.path.join(COLLECTIONS, "ansible_collections", "netsec", "openstack")
    if not os.path.islink(link) or os.readlink(link) != ROOT:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(ROOT, link)


_ensure_collection_link()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


@pytest.fixture(scope="session")
def proxy():
    counting = CountingProxy(NEUTRON_URL).start()
    yield counting
    counting.stop()


@pytest.fixture(scope="session")
def clouds_file(tmp_path_factory, proxy):
    """A clouds.yaml with the local clouds, plus ``-counted`` twins whose Neutron goes through the proxy."""
    with open(_clouds_file()) as handle:
        config = yaml.safe_load(handle)
    for name in list(config["clouds"]):
        twin = dict(config["clouds"][name])
        twin["network_endpoint_override"] = proxy.url + "/"
        config["clouds"][name + "-counted"] = twin
    path = tmp_path_factory.mktemp("clouds") / "clouds.yaml"
    path.write_text(yaml.safe_dump(config))
    # openstacksdk in this process (the independent checks) reads the same file.
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(path)
    return str(path)


@pytest.fixture(scope="session")
def admin(clouds_file):
    return openstack.connect(cloud="netsec-admin")


@pytest.fixture(scope="session")
def demo(clouds_file):
    return openstack.connect(cloud="netsec-demo")


@pytest.fixture
def names(request):
    """Unique names for this test's objects; everything named so is deleted afterwards."""
    prefix = "t%s-" % uuid.uuid4().hex[:8]
    yield lambda name: prefix + name
    admin = request.getfixturevalue("admin")
    delete_groups(admin, lambda g: (g.name or "").startswith(prefix))
    for address_group in admin.network.address_groups():
        if (address_group.name or "").startswith(prefix):
            try:
                admin.network.delete_address_group(address_group.id, ignore_missing=True)
            except openstack.exceptions.SDKException:
                pass


def add_rule(conn, group_id, **fields):
    """A rule written by hand with openstacksdk (not by the collection): ingress IPv4 unless ``fields`` say otherwise."""
    return conn.network.create_security_group_rule(security_group_id=group_id, **dict({"direction": "ingress", "ethertype": "IPv4"}, **fields))


# delete_groups lives in group_cleanup.py (bench/ uses it too); test modules import it from here, also by its old name.
_delete_groups = delete_groups


@pytest.fixture
def scratch_project(admin):
    """A fresh project the admin user may work in (for purge tests, which act on a whole project)."""
    name = "netsec-test-%s" % uuid.uuid4().hex[:8]
    project = admin.identity.create_project(name=name, domain_id="default")
    user = admin.identity.find_user("admin", domain_id="default")
    role = admin.identity.find_role("admin")
    admin.identity.assign_project_role_to_user(project, user, role)
    yield project
    delete_groups(admin, lambda g: g.project_id == project.id)
    for address_group in admin.network.address_groups(project_id=project.id):
        admin.network.delete_address_group(address_group.id, ignore_missing=True)
    admin.identity.delete_project(project.id)


class PlaybookRunner(object):
    def __init__(self, clouds_file, workdir, proxy):
        self.clouds_file = clouds_file
        self.workdir = workdir
        self.proxy = proxy
        self.count = 0

    def env(self):
        return playbook_env(self.clouds_file)

    def run_task(self, module, args, check=False, diff=False, expect_failure=False, extra_args=()):
        """Run one module task in a real playbook; return its registered result."""
        self.count += 1
        run, result = run_module_task(
            self.workdir, "task-%d" % self.count, module, args, self.clouds_file, check=check, diff=diff, extra_args=extra_args, proxy=self.proxy
        )
        self.last_output = run.output
        self.last_requests = run.counts
        if result is None:
            raise AssertionError("ansible-playbook failed (%d):\n%s" % (run.status, self.last_output))
        if expect_failure:
            assert result.get("failed"), "expected the task to fail, got %s" % json.dumps(result, indent=1)
        else:
            assert not result.get("failed"), "task failed: %s" % result.get("msg")
        return result


@pytest.fixture
def runner(clouds_file, tmp_path, proxy):
    _ensure_collection_link()
    return PlaybookRunner(clouds_file, str(tmp_path), proxy)


@pytest.fixture(scope="session")
def openstack_cli(clouds_file):
    """Run the openstack CLI (an independent client) against the local cloud."""
    executable = shutil.which("openstack") or os.path.join(os.path.dirname(sys.executable), "openstack")

    def run(*args, cloud="netsec-admin", output=True):
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=clouds_file)
        completed = subprocess.run(
            [executable, "--os-cloud", cloud] + list(args) + (["-f", "json"] if output else []), env=env, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise AssertionError("openstack %s failed: %s" % (" ".join(args), completed.stderr))
        return json.loads(completed.stdout) if completed.stdout.strip() else None

    return run


def require_compute():
    """Skip the calling test when the cloud runs without compute (`localcloud start --no-compute` on other ports)."""
    if os.environ.get("NETSEC_CLOUD_COMPUTE", "1").strip().lower() in ("0", "false", "no", "off"):
        pytest.skip("no compute in this cloud (NETSEC_CLOUD_COMPUTE=0)")


def boot_servers(conn, names, networks=None):
    require_compute()
    image = conn.image.find_image("netsec-tiny")
    flavor = conn.compute.find_flavor("netsec-tiny")
    if networks is None:
        networks = [{"uuid": conn.network.find_network("netsec-net").id}]

    def boot(name):
        server = conn.compute.create_server(name=name, image_id=image.id, flavor_id=flavor.id, networks=networks)
        return conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], interval=0.5, wait=BOOT_TIMEOUT)

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(boot, names))


def delete_servers(conn, servers):
    for server in servers:
        conn.compute.delete_server(server, ignore_missing=True)
    for server in servers:
        conn.compute.wait_for_delete(server, interval=0.5, wait=BOOT_TIMEOUT)
