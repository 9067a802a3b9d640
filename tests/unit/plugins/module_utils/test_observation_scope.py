"""A run that only deletes declared groups (state=absent) observes only those names; the plan is the same."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from fake_cloud import FakeCloud  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _declaration as declaration  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402

OPTIONS = {"purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "warn"}


def desired_of(groups):
    return declaration.parse_declaration({"groups": groups, "address_groups": []})


@pytest.mark.parametrize(
    "groups, state, purge, scope",
    [
        ([{"name": "web"}, {"name": "db"}], "absent", False, ["db", "web"]),
        ([{"name": "web"}], "present", False, None),
        ([{"name": "web"}], "present", True, None),
        ([], "absent", False, None),  # nothing declared: no name filter (which would list every group anyway)
    ],
)
def test_the_scope_is_the_declared_names_only_when_the_run_only_deletes(groups, state, purge, scope):
    assert planner.observation_scope(desired_of(groups), dict(OPTIONS, state=state, purge_groups=purge)) == scope


@pytest.fixture
def cloud(monkeypatch):
    fake = FakeCloud()
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    web = fake.add_group("web", rules=[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 443, "port_range_max": 443}])
    rule = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 8080, "port_range_max": 8080, "remote_group_id": web}
    fake.add_group("app", rules=[rule])
    fake.add_group("old", rules=[dict(rule, port_range_min=22, port_range_max=22)])
    return fake


def writes(cloud):
    return [entry for entry in cloud.log if not entry[0].startswith("read_")]


def absent(names, check_mode):
    return reconciler.reconcile({"groups": [{"name": name} for name in names]}, dict(OPTIONS, state="absent"), {}, check_mode)


def test_check_mode_plans_the_same_delete_from_the_scoped_observation(cloud, monkeypatch):
    scoped = absent(["old"], check_mode=True)
    assert cloud.observed_scopes == [["old"]]
    monkeypatch.setattr(planner, "observation_scope", lambda desired, options: None)
    whole = absent(["old"], check_mode=True)
    assert cloud.observed_scopes[-1] is None
    assert scoped["plan"] == whole["plan"] and scoped["diff"] == whole["diff"]
    assert [op["action"] for op in scoped["plan"]] == ["delete_group"]
    # the deleted group's rule names the group it references (web), which the scoped read did not list
    assert scoped["diff"] == whole["diff"] and "web" in str(scoped["diff"])
    assert writes(cloud) == []


def test_a_delete_that_neutron_would_cascade_is_refused_naming_the_using_group(cloud):
    with pytest.raises(Exception) as raised:
        absent(["web"], check_mode=False)
    assert "is referenced by rules of other groups" in str(raised.value)
    assert "of group app" in str(raised.value), str(raised.value)
    assert cloud.observed_scopes == [["web"]] and writes(cloud) == []


def test_the_verifying_read_after_the_delete_is_scoped_too(cloud):
    result = absent(["old"], check_mode=False)
    assert result["changed"] is True and [op["action"] for op in result["plan"]] == ["delete_group"]
    assert cloud.observed_scopes == [["old"], ["old"]]
    assert sorted(g["name"] for g in cloud.groups.values()) == ["app", "web"]
