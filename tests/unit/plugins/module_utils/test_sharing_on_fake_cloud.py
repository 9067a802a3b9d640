"""Sharing (issue 17) on the in-memory Neutron: the rbac_policy quota, faults on share/unshare, the refusals that
keep other projects' access, rules made in the group's project, and the readable diff of shared_with."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from fake_cloud import FakeCloud  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _diff_view as diff_view  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402

OPTIONS = {"state": "present", "purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "ignore"}
ALPHA, BETA, GAMMA, DELTA = "a" * 32, "b" * 32, "c" * 32, "d" * 32
PROJECTS = {"alpha": ALPHA, "beta": BETA, "gamma": GAMMA, "delta": DELTA, ALPHA: ALPHA, BETA: BETA, GAMMA: GAMMA, DELTA: DELTA}
SSH = {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}


@pytest.fixture
def cloud(monkeypatch):
    fake = FakeCloud()
    fake.projects = dict(PROJECTS)
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    return fake


def run(declaration, check_mode=False, **options):
    return reconciler.reconcile(declaration, dict(OPTIONS, **options), {}, check_mode)


def bastion(shared_with, rules=(SSH,)):
    return {"groups": [{"name": "bastion", "rules": list(rules), "shared_with": list(shared_with)}]}


def targets(cloud, object_id=None):
    return sorted(p["target_project_id"] for p in cloud.rbac.values() if object_id is None or p["object_id"] == object_id)


def writes(cloud):
    return [entry for entry in cloud.log if not entry[0].startswith("read_")]


def group_id(cloud, name="bastion"):
    return [g["id"] for g in cloud.groups.values() if g["name"] == name][0]


def share_existing(cloud, *projects):
    gid = cloud.add_group(
        "bastion", rules=[dict(direction="ingress", ethertype="IPv4", protocol="tcp", port_range_min=22, port_range_max=22, remote_ip_prefix="10.0.0.0/8")]
    )
    for project in projects:
        cloud.create_rbac_policy("security_group", gid, project, "bastion", cloud.project_id)
    cloud.log[:] = []
    return gid


# --- 1. the rbac_policy quota -------------------------------------------------------------------


def test_shares_beyond_the_rbac_policy_quota_are_refused_before_any_write(cloud):
    gid = share_existing(cloud, ALPHA)
    cloud.set_quota("rbac_policy", 2)  # one used, one free; the plan needs two
    for check_mode in (True, False):
        with pytest.raises(errors.PlanError) as refused:
            run(bastion(["alpha", "beta", "gamma"]), check_mode=check_mode)
        assert "quota rbac_policy: the plan needs 2 more at its peak but only 1 are free (limit 2, used 1" in str(refused.value)
    assert writes(cloud) == [] and targets(cloud, gid) == [ALPHA]
    # at the limit exactly: fits, and the result shows the peak
    result = run(bastion(["alpha", "beta"]))
    assert targets(cloud, gid) == [ALPHA, BETA] and result["quota"]["rbac_policy"]["peak"] == 2
    assert run(bastion(["alpha", "beta"]))["changed"] is False


def test_a_new_group_shared_with_more_projects_than_the_quota_allows_is_not_created(cloud):
    cloud.set_quota("rbac_policy", 1)
    with pytest.raises(errors.PlanError) as refused:
        run({"groups": [{"name": "new", "rules": [], "shared_with": ["alpha", "beta"]}]})
    assert "quota rbac_policy" in str(refused.value)
    assert cloud.groups == {} and writes(cloud) == []


# --- 5. rules belong to the group's project ------------------------------------------------------


def test_rules_an_admin_makes_in_another_project_belong_to_that_project(cloud):
    cloud.caller_project = "admin-project"  # the credentials' project differs from the scope (project: p1)
    gid = cloud.add_group("web", rules=[])
    run({"groups": [{"name": "web", "rules": [SSH, {"protocol": "tcp", "port": 443}]}, {"name": "new", "rules": [SSH]}]})
    rules = [r for g in cloud.groups.values() for r in g["rules"]]
    assert len(rules) >= 3 and set(r["project_id"] for r in rules) == {"p1"}, [(r["security_group_id"] == gid, r["project_id"]) for r in rules]
    # a replacement (description change) makes its new rule in the group's project too
    run({"groups": [{"name": "web", "rules": [dict(SSH, description="changed"), {"protocol": "tcp", "port": 443}]}, {"name": "new", "rules": [SSH]}]})
    assert set(r["project_id"] for g in cloud.groups.values() for r in g["rules"]) == {"p1"}


# --- 3. faults on share / unshare ---------------------------------------------------------------


def test_a_share_whose_answer_was_lost_is_adopted_not_made_twice(cloud):
    gid = share_existing(cloud)
    cloud.fail("create_rbac_policy", 500, after=True)
    result = run(bastion(["alpha"]))
    assert targets(cloud, gid) == [ALPHA]
    share = [op for op in result["plan"] if op["action"] == "share"]
    assert len(share) == 1 and [w for w in writes(cloud) if w[0] == "create_rbac_policy"] == [("create_rbac_policy", (gid, ALPHA))]
    assert run(bastion(["alpha"]))["changed"] is False


def test_a_share_that_failed_before_the_cloud_made_it_is_made_once(cloud):
    gid = share_existing(cloud)
    cloud.fail("create_rbac_policy", 503)
    run(bastion(["alpha"]))
    assert targets(cloud, gid) == [ALPHA]
    assert len([w for w in writes(cloud) if w[0] == "create_rbac_policy"]) == 1


def test_a_spurious_409_on_a_share_is_a_failure_not_an_adoption(cloud):
    gid = share_existing(cloud)
    cloud.fail("create_rbac_policy", 409, message="conflict from a proxy")
    with pytest.raises(errors.CloudError) as failed:
        run(bastion(["alpha", "beta"]))
    assert [op["target_project"] for op in failed.value.pending if op["action"] == "share"] == [ALPHA, BETA]
    assert failed.value.done == [] and targets(cloud, gid) == []
    run(bastion(["alpha", "beta"]))
    assert targets(cloud, gid) == [ALPHA, BETA]


def test_a_409_for_a_policy_made_meanwhile_keeps_it(cloud):
    gid = share_existing(cloud)
    original = cloud.create_rbac_policy

    def concurrent(object_type, object_id, target, name, project_id=None):  # another run made it just before
        cloud.create_rbac_policy = original
        original(object_type, object_id, target, name, project_id)
        return original(object_type, object_id, target, name, project_id)

    cloud.create_rbac_policy = concurrent
    result = run(bastion(["alpha"]))
    assert targets(cloud, gid) == [ALPHA] and any("already shared" in w for w in result["warnings"])


def test_a_failed_share_leaves_every_project_that_keeps_access_with_it(cloud):
    """[alpha, beta] -> [alpha, gamma]: the share runs before the unshare; when the share fails, beta keeps access."""
    gid = share_existing(cloud, ALPHA, BETA)
    cloud.fail("create_rbac_policy", 500, times=10)
    with pytest.raises(errors.CloudError) as failed:
        run(bastion(["alpha", "gamma"]))
    assert targets(cloud, gid) == [ALPHA, BETA]
    assert [(op["action"], op["target_project"]) for op in failed.value.pending] == [("share", GAMMA), ("unshare", BETA)]
    cloud.faults[:] = []
    run(bastion(["alpha", "gamma"]))
    assert targets(cloud, gid) == [ALPHA, GAMMA]


def test_an_unshare_failing_halfway_through_a_multi_project_change(cloud):
    """[alpha, beta, gamma] -> [delta]: share delta, then unshare alpha, beta, gamma one at a time; the second
    unshare fails: alpha lost access (declared), beta and gamma keep it, and completed / not_completed say so."""
    gid = share_existing(cloud, ALPHA, BETA, GAMMA)
    beta_policy = [p["id"] for p in cloud.rbac.values() if p["target_project_id"] == BETA][0]
    cloud.fail("delete_rbac_policy", 409, when=lambda policy_id: policy_id == beta_policy, message="in use", neutron_type="RbacPolicyInUse")
    with pytest.raises(errors.CloudError) as failed:
        run(bastion(["delta"]), force_unshare=True)
    assert targets(cloud, gid) == [BETA, GAMMA, DELTA]
    assert [(op["action"], op["target_project"]) for op in failed.value.done] == [("share", DELTA), ("unshare", ALPHA)]
    assert [(op["action"], op["target_project"]) for op in failed.value.pending] == [("unshare", BETA), ("unshare", GAMMA)]
    run(bastion(["delta"]), force_unshare=True)
    assert targets(cloud, gid) == [DELTA]


def test_an_unshare_whose_answer_was_lost_is_done(cloud):
    gid = share_existing(cloud, ALPHA)
    cloud.fail("delete_rbac_policy", 500, after=True)
    result = run(bastion([]))
    assert targets(cloud, gid) == [] and [op["action"] for op in result["plan"]] == ["unshare"]


# --- refusals that keep other projects' access -----------------------------------------------------


def test_deleting_a_shared_group_is_refused_unless_forced(cloud):
    gid = share_existing(cloud, ALPHA)
    for check_mode in (True, False):
        with pytest.raises(errors.PlanError) as refused:
            run({"groups": []}, check_mode=check_mode, purge_groups=True)
        assert "group bastion (%s): refused" % gid in str(refused.value) and ALPHA in str(refused.value) and "force_unshare" in str(refused.value)
    assert writes(cloud) == [] and gid in cloud.groups
    run({"groups": []}, purge_groups=True, force_unshare=True)
    assert gid not in cloud.groups and cloud.rbac == {}


def test_a_group_that_is_no_longer_shared_is_deleted_without_force(cloud):
    gid = share_existing(cloud, ALPHA)
    run(bastion([]))
    run({"groups": []}, purge_groups=True)
    assert gid not in cloud.groups


def test_unsharing_a_group_that_ports_of_the_project_wear_is_refused_even_when_forced(cloud):
    gid = share_existing(cloud, ALPHA, BETA)
    cloud.add_port([gid], project_id=ALPHA)
    cloud.add_port([gid], project_id="p1")  # the owner's own port does not count
    for force in (False, True):
        with pytest.raises(errors.PlanError) as refused:
            run(bastion(["beta"]), force_unshare=force)
        assert "port(s) of project(s) %s wear it" % ALPHA in str(refused.value)
    assert writes(cloud) == [] and targets(cloud, gid) == [ALPHA, BETA]
    run(bastion(["alpha"]), force_unshare=True)  # beta's ports do not wear it
    assert targets(cloud, gid) == [ALPHA]


# --- 2. the readable diff ----------------------------------------------------------------------------


def test_the_readable_diff_shows_shared_with_before_and_after(cloud):
    share_existing(cloud, ALPHA, "*")
    result = diff_view.readable(run(bastion(["beta", GAMMA]), check_mode=True))
    [item] = result["diff"]
    before = item["before"].split("rules:")[0]
    after = item["after"].split("rules:")[0]
    assert before.endswith("shared_with:\n  *\n  alpha (%s)\n" % ALPHA), before  # sorted; alpha (no longer declared) looked up
    assert ("read_project", ALPHA) in cloud.log
    assert after.endswith("shared_with:\n  beta (%s)\n  %s\n" % (BETA, GAMMA)), after  # a name where the declaration used one
    # a group whose sharing is not declared has no shared_with line; shared with nobody says so
    assert "shared_with" not in diff_view.group_text({"name": "x", "rules": []})
    assert "shared_with: (nobody)\n" in diff_view.group_text({"name": "x", "rules": [], "shared_with": []})


def test_the_diff_of_a_new_shared_address_group(cloud):
    result = diff_view.readable(run({"address_groups": [{"name": "mon", "addresses": ["192.0.2.10"], "shared_with": ["alpha"]}]}, check_mode=True))
    [item] = result["diff"]
    assert item["before"] == "" and item["after"].endswith("shared_with:\n  alpha (%s)\n" % ALPHA), item["after"]


def test_planned_foreign_groups_plan_in_check_mode_and_are_ignored_by_a_real_run(cloud):
    """playbooks/drift.yml with a directory: a rule naming a group that another file of the run creates and shares."""
    declaration = {"groups": [{"name": "app", "rules": [{"protocol": "tcp", "port": 22, "remote_group": {"name": "bastion", "project": "alpha"}}]}]}
    planned = [{"name": "bastion", "project": "alpha"}]
    with pytest.raises(errors.PlanError, match="no security group 'bastion' in project alpha"):
        run(declaration, check_mode=True)
    result = run(declaration, check_mode=True, planned_foreign_groups=planned)
    assert writes(cloud) == [] and result["changed"] is True
    creates = [op for op in result["plan"] if op["action"] == "create_rule"]
    assert [op["rule"] for op in creates] == [
        {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port": 22, "remote_group": "bastion (project alpha)"}
    ]
    assert result["diff"]["after"]["security_groups"][0]["rules"][0]["remote_group"] == "bastion (project alpha)"
    with pytest.raises(errors.PlanError, match="no security group 'bastion' in project alpha"):
        run(declaration, planned_foreign_groups=planned)  # a real run: the group must exist by then
    assert writes(cloud) == []
