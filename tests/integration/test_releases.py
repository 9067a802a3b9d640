"""The engine on the Neutron release the local cloud runs (issue 15; `make releases` runs it on each).

What differs by release is decided from the discovered extensions, never from a version: these
tests read which release runs (`localcloud status`), check that discovery finds what that release
has, and that the engine reads the default-rule templates exactly where they exist, one extension
list per run at most, and nothing extra on a no-op.
"""

import subprocess
import sys

import pytest

from conftest import LOCALCLOUD

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as adapter
from ansible_collections.netsec.openstack.plugins.module_utils import _features as features

MODULE = "netsec.openstack.security_groups"
OWNER = "managed-by=netsec.openstack"
# Features each release lacks, compared with the newest (docs/neutron-releases.md).
LACKS = {
    "2023.1": {"default_rules", "belongs_to_default_sg", "tag_creation", "default_statefulness"},
    "2024.1": {"tag_creation", "default_statefulness"},
    "2025.1": {"default_statefulness"},
    "2025.2": {"default_statefulness"},
    "2026.1": {"default_statefulness"},
}


@pytest.fixture(scope="module")
def release():
    status = subprocess.run([sys.executable, LOCALCLOUD, "status"], capture_output=True, text=True, check=False)
    for line in status.stdout.splitlines():
        if line.startswith("localcloud: neutron: up (release "):
            return line.split("(release ", 1)[1].split(")", 1)[0]
    pytest.fail("localcloud status names no running Neutron release:\n%s" % status.stdout)


@pytest.fixture(scope="module")
def cloud_features(admin):
    return adapter.Adapter(admin).features()


def test_status_names_the_release_that_was_asked_for(release):
    import os

    wanted = os.environ.get("NETSEC_NEUTRON_RELEASE")
    if wanted and wanted not in ("newest", "default", "latest"):
        assert release == wanted


def test_discovery_finds_what_the_release_has(release, cloud_features):
    everything = set(f.name for f in features.FEATURES)
    assert everything - set(cloud_features) == LACKS.get(release, set()), release


def test_templates_are_read_only_where_the_release_has_them(runner, admin, names, release, cloud_features):
    declaration = {"groups": [{"name": names("web"), "rules": [{"protocol": "tcp", "port": 443}]}]}
    result = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    assert result["changed"] is True
    paths = [path for method, path in runner.last_requests["requests"] if method == "GET"]
    assert paths.count("/v2.0/extensions") == 1, paths
    templates = [p for p in paths if "default-security-group-rules" in p]
    assert len(templates) == (1 if "default_rules" in cloud_features else 0), (release, paths)
    assert not [w for w in result.get("warnings") or [] if "still differed" in w], result["warnings"]
    group = list(admin.network.security_groups(name=names("web")))[0]
    assert OWNER in group.tags
    assert [(r.direction, r.protocol, r.port_range_min) for r in admin.network.security_group_rules(security_group_id=group.id)] == [("ingress", "tcp", 443)]


def test_a_plain_no_op_costs_two_requests_and_no_discovery(runner, names, scratch_project):
    # a project of its own: other tests' groups (with rules from address groups) would cost reads here
    declaration = {"groups": [{"name": names("plain"), "rules": [{"protocol": "tcp", "port": 22}]}]}
    runner.run_task(MODULE, dict(cloud="netsec-admin-counted", project=scratch_project.id, **declaration))
    again = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", project=scratch_project.id, **declaration))
    assert again["changed"] is False
    paths = [path for _method, path in runner.last_requests["requests"]]
    assert runner.last_requests["total"] == 2 and "/v2.0/extensions" not in paths, runner.last_requests


def test_a_no_op_that_uses_optional_features_reads_the_list_once(runner, names, scratch_project):
    declaration = {
        "project": scratch_project.id,
        "address_groups": [{"name": names("clients"), "addresses": ["10.0.1.0/24"]}],
        "groups": [
            {
                "name": names("db"),
                "stateful": False,
                "tags": ["tier=db"],
                "rules": [{"protocol": "tcp", "port": 5432, "remote_address_group": names("clients")}],
            }
        ],
    }
    runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    again = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    assert again["changed"] is False
    paths = [path for _method, path in runner.last_requests["requests"]]
    assert paths.count("/v2.0/extensions") == 1, paths
