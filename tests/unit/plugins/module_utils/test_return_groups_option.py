"""security_groups' return_groups option: the same run either way, a result of ids and names without rules."""

import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from module_stand_in import DECLARATION, WITH_ADDRESS_GROUPS, Module, fake_cloud, writes  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402
from ansible_collections.netsec.openstack.plugins.modules import security_groups  # noqa: E402

SAME_EITHER_WAY = ("changed", "plan", "summary", "diff", "diff_data", "quota", "lockouts", "project_id", "api_requests", "retries", "warnings")
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "return_groups_default_result.json")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def run_sequence(monkeypatch, **params):
    """Check mode, apply, no-op on a fresh fake cloud: the three results."""
    cloud = fake_cloud(monkeypatch)
    results = [security_groups.run(Module(check_mode=check, **dict(DECLARATION, **params))) for check in (True, False, False)]
    return results, writes(cloud)


def canonical(results):
    """The results as JSON with the fake cloud's ids (which vary with the process's hash seed) numbered in order."""
    text = json.dumps(results, sort_keys=True, indent=1)
    numbers = {}
    return UUID.sub(lambda match: "id-%d" % numbers.setdefault(match.group(0), len(numbers) + 1), text)


def test_the_run_is_the_same_with_and_without_return_groups(monkeypatch):
    full, full_writes = run_sequence(monkeypatch)
    small, small_writes = run_sequence(monkeypatch, return_groups=False)
    assert canonical(small_writes) == canonical(full_writes)
    assert [r["changed"] for r in small] == [True, True, False]
    assert small[0]["plan"] and small[2]["plan"] == []
    for big, little in zip(full, small):
        assert set(big) == set(little)
        assert canonical([little[key] for key in SAME_EITHER_WAY if key in big]) == canonical([big[key] for key in SAME_EITHER_WAY if key in big])


def test_without_return_groups_the_result_is_ids_and_names(monkeypatch):
    (checked, applied, again), unused_writes = run_sequence(monkeypatch, return_groups=False)
    assert checked["security_groups"] == [{"id": None, "name": "web"}, {"id": None, "name": "bastion"}]
    assert checked["address_groups"] == []
    for result in (applied, again):
        assert [sorted(g) for g in result["security_groups"]] == [["id", "name"]] * 2
        assert [g["name"] for g in result["security_groups"]] == ["web", "bastion"]
        assert all(UUID.match(g["id"]) for g in result["security_groups"])
    assert applied["security_groups"] == again["security_groups"]


def test_address_groups_in_check_mode_are_ids_and_names_and_plan_the_same(monkeypatch):
    fake_cloud(monkeypatch)
    full = security_groups.run(Module(check_mode=True, **WITH_ADDRESS_GROUPS))
    small = security_groups.run(Module(check_mode=True, return_groups=False, **WITH_ADDRESS_GROUPS))
    assert small["plan"] == full["plan"] and small["plan"][0]["action"] == "create_address_group"
    assert small["diff"] == full["diff"] and small["summary"] == full["summary"]
    assert small["address_groups"] == [{"id": None, "name": "clients"}]
    assert small["security_groups"] == [{"id": None, "name": "db"}]
    assert full["address_groups"][0]["addresses"]


def test_the_ids_are_those_the_full_result_lists(monkeypatch):
    cloud = fake_cloud(monkeypatch)
    security_groups.run(Module(**DECLARATION))
    full = security_groups.run(Module(**DECLARATION))
    small = security_groups.run(Module(return_groups=False, **DECLARATION))
    assert small["security_groups"] == [{"id": g["id"], "name": g["name"]} for g in full["security_groups"]]
    assert writes(cloud)


def test_without_return_groups_nothing_renders_or_simulates_rules(monkeypatch):
    fake_cloud(monkeypatch)

    def refuse(*args, **kwargs):
        raise AssertionError("rendered or simulated for a result nobody returns")

    monkeypatch.setattr(reconciler, "render_result_groups", refuse)
    monkeypatch.setattr(reconciler, "render_result_address_groups", refuse)
    monkeypatch.setattr(planner, "simulate", refuse)
    checked = security_groups.run(Module(check_mode=True, diff=False, return_groups=False, **DECLARATION))  # the diff simulates
    assert checked["changed"] and checked["security_groups"][0] == {"id": None, "name": "web"}
    with pytest.raises(AssertionError):
        security_groups.run(Module(check_mode=True, diff=False, **DECLARATION))


def test_absent_returns_empty_lists_either_way(monkeypatch):
    fake_cloud(monkeypatch)
    security_groups.run(Module(**DECLARATION))
    gone = security_groups.run(Module(state="absent", return_groups=False, **DECLARATION))
    assert gone["changed"] and gone["security_groups"] == [] and gone["address_groups"] == []


def test_the_default_result_is_byte_identical_to_before_the_option(monkeypatch):
    """The golden file was written by the code before return_groups existed (same sequence, same fake cloud)."""
    results, unused_writes = run_sequence(monkeypatch)
    with open(GOLDEN) as handle:
        assert canonical(results) == handle.read()
