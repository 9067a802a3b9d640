"""Planner + executor + reconcile on the in-memory Neutron (tests/unit/fake_cloud.py): the fast tier.

Fault and restore paths included; the real local cloud stays the judge in
tests/integration (test_safety_execution.py covers the same cases there).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from fake_cloud import FakeCloud  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError  # noqa: E402

OPTIONS = {"state": "present", "purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "ignore"}
SSH = {
    "direction": "ingress",
    "ethertype": "IPv4",
    "protocol": "tcp",
    "port_range_min": 22,
    "port_range_max": 22,
    "remote_ip_prefix": "10.0.0.0/8",
    "description": "ssh",
}
LANDED = "0b5a4f5e-7a2e-4d4c-9f8f-2a1b3c4d5e6f"
EGRESS = [{"direction": "egress", "ethertype": "IPv4"}, {"direction": "egress", "ethertype": "IPv6"}]


@pytest.fixture
def cloud(monkeypatch):
    fake = FakeCloud()
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    return fake


def run(declaration, check_mode=False, **options):
    return reconciler.reconcile(declaration, dict(OPTIONS, **options), {}, check_mode)


def web(*rules):
    declared = [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8", "description": "ssh"}]
    declared += [{"direction": "egress"}, {"direction": "egress", "ethertype": "IPv6"}]
    return {"groups": [{"name": "web", "rules": declared + list(rules)}]}


def writes(cloud):
    return [entry for entry in cloud.log if not entry[0].startswith("read_")]


def ssh_rules(cloud, group_id):
    return [r for r in cloud.groups[group_id]["rules"] if r.get("port_range_min") == 22]


def test_converges_and_a_second_run_changes_nothing(cloud):
    result = run(web({"protocol": "tcp", "port": 443}))
    assert result["changed"] and result["summary"] == {"create_group": 1, "create_rule": 2}
    again = run(web({"protocol": "tcp", "port": 443}))
    assert again["changed"] is False and again["plan"] == []
    assert ("read_quota", "p1") not in cloud.log[-3:], "a no-op reads no quota"


def test_headline_quota_refuses_before_any_write_and_keeps_ssh(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    cloud.set_quota("security_group_rule", len(cloud.rules()) + 3)
    ssh_id = ssh_rules(cloud, group_id)[0]["id"]
    changed = dict(web()["groups"][0])
    changed["rules"] = (
        [dict(changed["rules"][0], description="ssh from the office")]
        + changed["rules"][1:]
        + [{"protocol": "tcp", "port": port} for port in (80, 443, 8080, 8443, 9000, 9090)]
    )
    for check_mode in (True, False):
        with pytest.raises(errors.PlanError) as refused:
            run({"groups": [changed]}, check_mode=check_mode)
        assert "quota security_group_rule: the plan needs 6 more at its peak but only 3 are free" in str(refused.value)
    assert writes(cloud) == []
    assert [r["id"] for r in ssh_rules(cloud, group_id)] == [ssh_id]


def test_quota_is_counted_at_the_peak_with_unrelated_deletes_first(cloud):
    group_id = cloud.add_group("web", rules=EGRESS + [dict(SSH, port_range_min=3389, port_range_max=3389, description="")])
    cloud.set_quota("security_group_rule", len(cloud.rules()))  # full
    result = run(web())  # deletes tcp/3389 first, then creates tcp/22: fits
    assert result["quota"]["security_group_rule"]["peak"] == len(cloud.rules())
    assert [op["action"] for op in result["plan"]] == ["delete_rule", "create_rule"]
    assert len(ssh_rules(cloud, group_id)) == 1


def test_unlimited_quota_never_refuses(cloud):
    cloud.add_group("web", rules=EGRESS)
    cloud.set_quota("security_group_rule", -1)
    assert run(web(*[{"protocol": "tcp", "port": p} for p in range(1000, 1050)]))["changed"]


def test_description_change_is_one_replace_operation(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    changed = web()
    changed["groups"][0]["rules"][0]["description"] = "new"
    result = run(changed)
    assert [op["action"] for op in result["plan"]] == ["replace_rule"]
    assert [r["description"] for r in ssh_rules(cloud, group_id)] == ["new"]
    assert [m for m, _d in writes(cloud)] == ["delete_rule", "create_rule"]


@pytest.mark.parametrize("status", [400, 500, 409])
def test_a_failed_create_of_a_replacement_restores_the_old_rule(cloud, status):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    changed = web()
    changed["groups"][0]["rules"][0]["description"] = "new"
    cloud.fail("create_rule", status, times=10, when=lambda body: body.get("description") == "new")
    with pytest.raises(errors.CloudError) as failed:
        run(changed)
    (kept,) = ssh_rules(cloud, group_id)
    assert kept["description"] == "ssh"
    assert "the old rule was restored as it was (now %s)" % kept["id"] in str(failed.value)
    assert failed.value.done == []
    (pending,) = failed.value.pending
    assert pending["action"] == "replace_rule" and pending["restored_id"] == kept["id"]


def test_a_replacement_whose_restore_fails_too_says_the_rule_is_lost(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    changed = web()
    changed["groups"][0]["rules"][0]["description"] = "new"
    cloud.fail("create_rule", 400, times=10)
    with pytest.raises(errors.CloudError) as failed:
        run(changed)
    assert ssh_rules(cloud, group_id) == []
    assert "restoring the old rule" in str(failed.value) and "has lost that rule" in str(failed.value)
    (done,) = failed.value.done
    assert done["action"] == "replace_rule" and "restore failed" in done["outcome"]
    assert failed.value.pending == []


def test_bulk_fallback_reports_exactly_what_was_created_and_each_message_once(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    cloud.fail("create_rules", 409, message="Conflict: something unforeseen")
    cloud.fail("create_rule", 400, message="bad port", when=lambda body: body.get("port_range_min") == 8080)
    with pytest.raises(errors.CloudError) as failed:
        run(web(*[{"protocol": "tcp", "port": p} for p in (80, 443, 8080, 9000)]))
    held = set(r.get("port_range_min") for r in cloud.groups[group_id]["rules"])
    done = set(op["rule"]["port"] for op in failed.value.done)
    pending = set(op["rule"]["port"] for op in failed.value.pending)
    assert done == held & set([80, 443, 8080, 9000]) == set([80, 443])
    assert pending == set([8080, 9000])
    message = str(failed.value)
    assert message.count("bad port") == 1 and message.count("failed") == 1, message


def test_over_quota_on_a_bulk_create_is_not_retried_one_by_one(cloud, monkeypatch):
    cloud.add_group("web", rules=[SSH] + EGRESS)
    cloud.set_quota("security_group_rule", len(cloud.rules()) + 1)
    monkeypatch.setattr(cloud, "quota_details", lambda project_id: None)  # a cloud that does not say
    with pytest.raises(errors.CloudError) as failed:
        run(web({"protocol": "tcp", "port": 80}, {"protocol": "tcp", "port": 443}))
    assert isinstance(failed.value, errors.CloudError) and "Quota exceeded" in str(failed.value)
    assert str(failed.value).count("Quota exceeded") == 1 and len(failed.value.pending) == 2
    assert [m for m, _d in writes(cloud)] == []


@pytest.mark.parametrize("retry_after", [None, 2])
def test_throttling_is_retried_and_counted(cloud, retry_after):
    cloud.add_group("web", rules=[SSH] + EGRESS)
    cloud.fail("create_rules", 429, times=2, retry_after=retry_after)
    result = run(web({"protocol": "tcp", "port": 80}))
    assert result["retries"] == 2 and result["api_requests"]["retried"] == 2
    assert len(cloud.sleeps) == 2
    if retry_after:
        assert all(pause >= retry_after for pause in cloud.sleeps)


def test_throttling_without_end_gives_up_with_a_clear_message(cloud):
    cloud.add_group("web", rules=[SSH] + EGRESS)
    cloud.fail("create_rules", 503, times=100)
    with pytest.raises(errors.CloudError) as failed:
        run(web({"protocol": "tcp", "port": 80}))
    assert "gave up after 4 attempts" in str(failed.value)
    assert failed.value.retries == 3 and failed.value.pending and not failed.value.done


def test_stateful_change_on_a_group_in_use_is_refused_while_planning(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    cloud.add_port([group_id])
    declaration = web()
    declaration["groups"][0]["stateful"] = False
    for check_mode in (True, False):
        with pytest.raises(errors.PlanError) as refused:
            run(declaration, check_mode=check_mode)
        assert "refused: group web is in use by 1 port(s)" in str(refused.value)
    assert writes(cloud) == []


@pytest.mark.parametrize("option,value", [("concurrency", 0), ("concurrency", -3), ("lock_timeout", 0)])
def test_numeric_options_below_their_minimum_are_refused(cloud, option, value):
    with pytest.raises(DeclarationError) as refused:
        run(web(), **{option: value})
    assert option in str(refused.value)
    assert cloud.log == []


def test_template_rules_of_a_new_group_count_against_the_quota(cloud):
    cloud.set_quota("security_group_rule", 1)
    with pytest.raises(errors.PlanError) as refused:
        run({"groups": [{"name": "db", "rules": []}]})
    assert "needs 2 more" in str(refused.value)


def test_lockout_guard_judges_a_plan_of_replacements(cloud, monkeypatch):
    seen = []
    monkeypatch.setattr(reconciler.lockout, "find_lockouts", lambda before, after, ports: seen.append(after) or [])
    cloud.add_group("web", rules=[SSH] + EGRESS)
    changed = web()
    changed["groups"][0]["rules"][0]["description"] = "new"
    run(changed, lockout_guard="warn")
    assert len(seen) == 1


def test_check_mode_writes_nothing_and_shows_the_same_plan(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    changed = web({"protocol": "udp", "port": 53})
    changed["groups"][0]["rules"][0]["description"] = "new"
    planned = run(changed, check_mode=True)
    assert writes(cloud) == []
    applied = run(changed)
    assert planned["plan"] == applied["plan"]
    assert sorted(r["description"] for r in ssh_rules(cloud, group_id)) == ["new"]
    assert model.OWNER_TAG in cloud.groups[group_id]["tags"]


def test_a_failed_delete_of_a_replacement_changes_nothing(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    changed = web()
    changed["groups"][0]["rules"][0]["description"] = "new"
    cloud.fail("delete_rule", 400, message="refused")
    with pytest.raises(errors.CloudError) as failed:
        run(changed)
    (kept,) = ssh_rules(cloud, group_id)
    assert kept["description"] == "ssh" and failed.value.done == []
    (pending,) = failed.value.pending
    assert pending["action"] == "replace_rule" and "restored_id" not in pending
    assert str(failed.value).count("refused") == 1


def test_a_late_landing_create_of_a_replacement_is_kept_not_duplicated(cloud):
    group_id = cloud.add_group("web", rules=[SSH] + EGRESS)
    changed = web()
    changed["groups"][0]["rules"][0]["description"] = "new"
    # The create is carried out but its answer is a 500 (500_after): the repeat meets "rule exists" and adopts it.
    cloud.fail(
        "create_rule",
        500,
        times=1,
        when=lambda body: cloud.groups[group_id]["rules"].append(dict(cloud._check_new_rule(body), id=LANDED, project_id="p1")) is None,
    )
    result = run(changed)
    assert [op["action"] for op in result["plan"]] == ["replace_rule"]
    assert [(r["id"], r["description"]) for r in ssh_rules(cloud, group_id)] == [(LANDED, "new")]
    assert result["retries"] == 1


def test_an_unreadable_quota_is_said_in_a_warning(cloud, monkeypatch):
    cloud.add_group("web", rules=[SSH] + EGRESS)
    monkeypatch.setattr(cloud, "quota_details", lambda project_id: None)
    result = run(web({"protocol": "tcp", "port": 80}))
    assert result["quota"] is None
    assert any("quota details could not be read" in warning for warning in result["warnings"])


def test_a_group_made_but_not_tagged_is_reported_as_made(cloud):
    # Found by the fault campaign (seed 13, iteration 29): the tag PUT after a group POST failed, and the
    # failure said "nothing had been changed" although the group existed.
    cloud.fail("set_group_tags", 409, message="Quota exceeded for resources: ['security_group'].", neutron_type="OverQuota")
    with pytest.raises(errors.CloudError) as failed:
        run({"groups": [{"name": "db", "rules": [{"protocol": "tcp", "port": 5432}]}]})
    (made,) = [g for g in cloud.groups.values() if g["name"] == "db"]
    (done,) = failed.value.done
    assert done["action"] == "create_group" and done["id"] == made["id"] and "created" not in done
    assert [op["action"] for op in failed.value.pending] == ["delete_rule", "delete_rule", "create_rule"]


def test_a_failed_check_after_creating_groups_lists_the_created_groups_as_done(cloud):
    # The campaign's F6: a 409 on the post-create duplicate check used to fail with "nothing had been changed".
    cloud.fail("groups_named", 409, message="the resource is busy")
    with pytest.raises(errors.CloudError) as failed:
        run(web())
    assert [op["action"] for op in failed.value.done] == ["create_group"]
    assert [g["name"] for g in cloud.groups.values()] == ["web"]
    assert "the resource is busy" in str(failed.value)
