"""Sharing groups with other projects (issue 17): ``shared_with`` reconciled exactly through Neutron RBAC policies.

Three scratch projects on the local cloud; the admin works in each with ``project:``. End states are read with
openstacksdk (rbac_policies), writes counted by the proxy in front of Neutron.
"""

import json
import uuid

import openstack
import pytest
import yaml

from test_gitops import run_playbook, sharing_projects

MODULE = "netsec.openstack.security_groups"
SSH = {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}


@pytest.fixture
def projects(admin):
    with sharing_projects(admin, 3) as made:
        yield made


def shared_targets(admin, object_id, object_type="security_group"):
    return sorted(p.target_project_id for p in admin.network.rbac_policies(object_id=object_id, object_type=object_type, action="access_as_shared"))


def group_named(admin, project, name):
    found = [g for g in admin.network.security_groups(project_id=project.id) if g.name == name]
    assert len(found) == 1, found
    return found[0]


def declare(project, groups=(), address_groups=(), **options):
    args = dict(cloud="netsec-admin-counted", project=project.id, groups=list(groups), address_groups=list(address_groups))
    args.update(options)
    return args


def bastion(shared_with=None):
    group = {"name": "bastion", "rules": [SSH]}
    if shared_with is not None:
        group["shared_with"] = shared_with
    return group


def test_share_reference_refuse_force_everyone(admin, runner, projects):
    owner, user, other = projects
    # check mode: the plan shares, nothing is written
    result = runner.run_task(MODULE, declare(owner, [bastion([user.name])]), check=True, diff=True)
    assert runner.last_requests["writes"] == 0
    assert [op["action"] for op in result["plan"] if op["action"] == "share"] == ["share"]
    assert not [g for g in admin.network.security_groups(project_id=owner.id) if g.name == "bastion"]

    result = runner.run_task(MODULE, declare(owner, [bastion([user.name])]))
    group = group_named(admin, owner, "bastion")
    assert shared_targets(admin, group.id) == [user.id]
    runner.run_task(MODULE, declare(owner, [bastion([user.name])]))
    assert runner.last_requests["writes"] == 0
    # a project id spells the same project: still nothing to do
    result = runner.run_task(MODULE, declare(owner, [bastion([user.id])]))
    assert runner.last_requests["writes"] == 0 and not result["changed"]
    # without shared_with the policies are not managed
    result = runner.run_task(MODULE, declare(owner, [bastion()]))
    assert not result["changed"] and shared_targets(admin, group.id) == [user.id]

    # the other project's rule references the shared group (the user project sees it)
    app = {"name": "app", "rules": [{"protocol": "tcp", "port": 8080, "remote_group": {"name": "bastion", "project": owner.name}}]}
    result = runner.run_task(MODULE, declare(user, [app]), check=True)
    assert runner.last_requests["writes"] == 0 and result["changed"]
    runner.run_task(MODULE, declare(user, [app]))
    app_group = group_named(admin, user, "app")
    assert [r.remote_group_id for r in admin.network.security_group_rules(security_group_id=app_group.id) if r.direction == "ingress"] == [group.id]
    runner.run_task(MODULE, declare(user, [app]))
    assert runner.last_requests["writes"] == 0
    # a name the other project does not have is an error naming the field path
    missing = {"name": "app", "rules": [{"protocol": "tcp", "port": 8080, "remote_group": {"name": "nope", "project": owner.name}}]}
    result = runner.run_task(MODULE, declare(user, [missing]), expect_failure=True)
    assert "groups[0].rules[0].remote_group" in result["msg"] and "'nope'" in result["msg"], result["msg"]

    # unsharing while the user project's rule references it: refused before any write
    result = runner.run_task(MODULE, declare(owner, [bastion([])]), expect_failure=True)
    assert runner.last_requests["writes"] == 0
    assert "refused" in result["msg"] and user.id in result["msg"] and "force_unshare" in result["msg"], result["msg"]
    assert shared_targets(admin, group.id) == [user.id]
    # check mode refuses the same way
    result = runner.run_task(MODULE, declare(owner, [bastion([other.name])]), check=True, expect_failure=True)
    assert "refused" in result["msg"] and runner.last_requests["writes"] == 0

    # replacing the project by "*" keeps the user's access: allowed
    result = runner.run_task(MODULE, declare(owner, [bastion(["*"])]))
    assert shared_targets(admin, group.id) == ["*"]
    assert sorted(op["action"] for op in result["plan"]) == ["share", "unshare"]
    runner.run_task(MODULE, declare(owner, [bastion(["*"])]))
    assert runner.last_requests["writes"] == 0

    # forced: the user project loses access, its rule stays
    runner.run_task(MODULE, declare(owner, [bastion([other.name])], force_unshare=True))
    assert shared_targets(admin, group.id) == [other.id]
    runner.run_task(MODULE, declare(owner, [bastion([])], force_unshare=True))
    assert shared_targets(admin, group.id) == []
    runner.run_task(MODULE, declare(owner, [bastion([])]))
    assert runner.last_requests["writes"] == 0


def test_unknown_project_is_refused_before_any_write(admin, runner, projects):
    owner = projects[0]
    result = runner.run_task(MODULE, declare(owner, [bastion(["no-such-project-xyz"])]), expect_failure=True)
    assert "groups[0].shared_with" in result["msg"] and "no-such-project-xyz" in result["msg"], result["msg"]
    assert runner.last_requests["writes"] == 0
    assert not [g for g in admin.network.security_groups(project_id=owner.id) if g.name == "bastion"]


def test_address_group_sharing(admin, runner, projects):
    owner, user, _other = projects
    address_group = {"name": "monitoring", "addresses": ["192.0.2.10"], "shared_with": [user.name]}
    runner.run_task(MODULE, declare(owner, address_groups=[address_group]))
    found = [a for a in admin.network.address_groups(project_id=owner.id) if a.name == "monitoring"]
    assert len(found) == 1
    assert shared_targets(admin, found[0].id, "address_group") == [user.id]
    runner.run_task(MODULE, declare(owner, address_groups=[address_group]))
    assert runner.last_requests["writes"] == 0
    runner.run_task(MODULE, declare(owner, address_groups=[dict(address_group, shared_with=[])]))
    assert shared_targets(admin, found[0].id, "address_group") == []


def test_export_writes_shared_with_back_and_round_trips(admin, runner, projects):
    owner, user, _other = projects
    address_group = {"name": "monitoring", "addresses": ["192.0.2.10/32"], "shared_with": ["*"]}
    runner.run_task(MODULE, declare(owner, [bastion([user.name])], [address_group]))
    exported = runner.run_task("netsec.openstack.security_groups_info", {"cloud": "netsec-admin-counted", "project": owner.id, "include_servers": False})
    declarations = exported["declarations"]
    by_name = dict((g["name"], g) for g in declarations["groups"])
    assert by_name["bastion"]["shared_with"] == [user.id]
    assert [a.get("shared_with") for a in declarations["address_groups"]] == [["*"]]
    result = runner.run_task(MODULE, declare(owner, declarations["groups"], declarations["address_groups"]))
    assert runner.last_requests["writes"] == 0 and not result["changed"], result["plan"]


# --- the rbac_policy quota, at the limit ----------------------------------------------------------


def quota_used(admin, project, resource="rbac_policy"):
    return admin.network.get("/quotas/%s/details" % project.id).json()["quota"][resource]


def test_shares_beyond_the_rbac_policy_quota_are_refused_before_any_write(admin, runner, projects, tmp_path, clouds_file, proxy):
    owner, user, other = projects
    admin.network.update_quota(owner.id, rbac_policy=2)
    runner.run_task(MODULE, declare(owner, [bastion([user.name])]))
    group = group_named(admin, owner, "bastion")
    assert quota_used(admin, owner)["used"] == 1  # the policy counts in the owner's project, also when an admin makes it
    too_many = declare(owner, [bastion([user.name, other.name, admin.current_project_id])])
    for check in (True, False):
        result = runner.run_task(MODULE, too_many, check=check, expect_failure=True)
        assert runner.last_requests["writes"] == 0
        assert "quota rbac_policy: the plan needs 2 more at its peak but only 1 are free (limit 2, used 1" in result["msg"], result["msg"]
    assert shared_targets(admin, group.id) == [user.id]
    # drift.yml says the same (it runs the module in check mode)
    (tmp_path / "owner.yml").write_text(yaml.safe_dump({"project": owner.id, "groups": too_many["groups"]}))
    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=owner.yml")
    assert status != 0 and counts["writes"] == 0
    report = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
    assert report["status"] == "error" and "quota rbac_policy" in json.dumps(report), report
    # at the limit exactly: it fits
    result = runner.run_task(MODULE, declare(owner, [bastion([user.name, other.name])]))
    assert shared_targets(admin, group.id) == sorted([user.id, other.id])
    assert result["quota"]["rbac_policy"]["peak"] == 2 and quota_used(admin, owner)["used"] == 2


# --- rules belong to the group's project ------------------------------------------------------------


def test_rules_an_admin_declares_in_another_project_belong_to_that_project(admin, runner, projects):
    owner = projects[0]
    existing = admin.network.create_security_group(name="existing", project_id=owner.id)
    admin.network.set_tags(existing, ["managed-by=netsec.openstack"])
    groups = [
        {"name": "existing", "rules": [SSH, {"direction": "egress"}, {"direction": "egress", "ethertype": "IPv6"}]},
        {"name": "new", "rules": [SSH, {"protocol": "tcp", "port": 443, "remote_group": "existing"}]},
    ]
    runner.run_task(MODULE, declare(owner, groups))
    rules = list(admin.network.security_group_rules(project_id=None, security_group_id=existing.id))
    rules += list(admin.network.security_group_rules(security_group_id=group_named(admin, owner, "new").id))
    assert len(rules) == 5 and set(r.project_id for r in rules) == {owner.id}, [(r.security_group_id, r.project_id) for r in rules]
    assert not list(admin.network.security_group_rules(project_id=admin.current_project_id, security_group_id=existing.id))
    # a replaced rule (description change) is made in the group's project too
    groups[0]["rules"][0] = dict(SSH, description="office")
    runner.run_task(MODULE, declare(owner, groups))
    assert set(r.project_id for r in admin.network.security_group_rules(security_group_id=existing.id)) == {owner.id}


# --- the readable diff -------------------------------------------------------------------------------


def test_the_diff_shows_shared_with_before_and_after(admin, runner, projects):
    owner, user, other = projects
    runner.run_task(MODULE, declare(owner, [bastion([user.name])]))
    result = runner.run_task(MODULE, declare(owner, [bastion([other.id, "*"])], force_unshare=True), check=True, diff=True)
    [item] = [i for i in result["diff"] if i["before_header"] == "security group bastion"]
    assert "shared_with:\n  %s (%s)\n" % (user.name, user.id) in item["before"], item["before"]
    assert "shared_with:\n  *\n  %s\n" % other.id in item["after"], item["after"]
    real = runner.run_task(MODULE, declare(owner, [bastion([other.id, "*"])], force_unshare=True), diff=True)
    assert real["diff"] == result["diff"]
    assert shared_targets(admin, group_named(admin, owner, "bastion").id) == sorted(["*", other.id])


# --- force_unshare through the playbooks ------------------------------------------------------------


def test_apply_playbook_passes_force_unshare(admin, runner, projects, tmp_path, clouds_file, proxy):
    owner, user, _other = projects
    runner.run_task(MODULE, declare(owner, [bastion([user.name])]))
    group = group_named(admin, owner, "bastion")
    app = {"name": "app", "rules": [{"protocol": "tcp", "port": 22, "remote_group": {"name": "bastion", "project": owner.name}}]}
    runner.run_task(MODULE, declare(user, [app]))
    unshared = {"project": owner.id, "groups": [bastion([])]}
    (tmp_path / "owner.yml").write_text(yaml.safe_dump(unshared))
    args = ("-e", "cloud=netsec-admin-counted", "-e", "declarations=owner.yml")
    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args)
    assert status != 0 and "force_unshare" in output and counts["writes"] == 0, output
    assert shared_targets(admin, group.id) == [user.id]
    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, *(args + ("-e", "force_unshare=true")))
    assert counts["writes"] == 0 and "no longer shared with" in (tmp_path / "drift-report" / "drift.md").read_text(), output
    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *(args + ("-e", "force_unshare=true")))
    assert status == 0, output
    assert shared_targets(admin, group.id) == []
    # the multi-project path (-e declarations=DIR)
    runner.run_task(MODULE, declare(owner, [bastion([user.name])]))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "owner.yml").write_text(yaml.safe_dump(unshared))
    (tree / "user.yml").write_text(yaml.safe_dump({"project": user.id, "groups": [app]}))
    tree_args = ("-e", "cloud=netsec-admin-counted", "-e", "declarations=tree")
    status, output, _counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *tree_args)
    assert status != 0 and "force_unshare" in output and shared_targets(admin, group.id) == [user.id], output
    status, output, _counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *(tree_args + ("-e", "force_unshare=true")))
    assert status == 0, output
    assert shared_targets(admin, group.id) == []


# --- hostile spellings and combinations ---------------------------------------------------------------


def test_one_project_by_name_and_by_id_is_one_policy_and_star_plus_names_are_kept_exactly(admin, runner, projects):
    owner, user, other = projects
    runner.run_task(MODULE, declare(owner, [bastion([user.name, user.id])]))
    group = group_named(admin, owner, "bastion")
    assert shared_targets(admin, group.id) == [user.id]
    runner.run_task(MODULE, declare(owner, [bastion([user.id, user.name])]))
    assert runner.last_requests["writes"] == 0
    runner.run_task(MODULE, declare(owner, [bastion(["*", user.name, other.name])]))
    assert shared_targets(admin, group.id) == sorted(["*", user.id, other.id])
    runner.run_task(MODULE, declare(owner, [bastion([other.name, "*", user.name])]))
    assert runner.last_requests["writes"] == 0
    # dropping "*" keeps the projects still listed
    runner.run_task(MODULE, declare(owner, [bastion([user.name, other.name])]))
    assert shared_targets(admin, group.id) == sorted([user.id, other.id])


def test_a_project_id_that_does_not_exist_is_refused_for_an_admin(admin, runner, projects):
    owner = projects[0]
    missing = uuid.uuid4().hex
    result = runner.run_task(MODULE, declare(owner, [bastion([missing])]), expect_failure=True)
    assert "groups[0].shared_with" in result["msg"] and "project %r not found" % missing in result["msg"], result["msg"]
    assert runner.last_requests["writes"] == 0


def test_deleting_a_shared_group_is_refused_while_shared_also_when_the_owner_can_not_see_the_rules(admin, demo, runner, names):
    """demo shares a group with demo2, demo2's rule references it; demo deletes the group (state absent): Neutron would
    silently delete demo2's rule, which demo can not see. Refused unless force_unshare."""
    demo2 = openstack.connect(cloud="netsec-demo2")
    name = names("shared")
    owner_args = dict(cloud="netsec-demo-counted", groups=[{"name": name, "rules": [SSH], "shared_with": [demo2.current_project_id]}])
    runner.run_task(MODULE, owner_args)
    group = [g for g in admin.network.security_groups(project_id=demo.current_project_id) if g.name == name][0]
    app = {"name": names("app"), "rules": [{"protocol": "tcp", "port": 22, "remote_group": {"name": name, "project": demo.current_project_id}}]}
    runner.run_task(MODULE, dict(cloud="netsec-demo2-counted", groups=[app]))
    referencing = [r.id for r in admin.network.security_group_rules(remote_group_id=group.id)]
    assert len(referencing) == 1
    assert not list(demo.network.security_group_rules(remote_group_id=group.id)), "demo sees demo2's rule: the test proves nothing"
    gone = dict(owner_args, state="absent", groups=[{"name": name}])
    for check in (True, False):
        result = runner.run_task(MODULE, gone, check=check, expect_failure=True)
        assert "refused" in result["msg"] and demo2.current_project_id in result["msg"] and "force_unshare" in result["msg"], result["msg"]
        assert runner.last_requests["writes"] == 0
    assert [r.id for r in admin.network.security_group_rules(remote_group_id=group.id)] == referencing
    runner.run_task(MODULE, dict(gone, force_unshare=True))
    assert admin.network.find_security_group(group.id) is None


def test_sharing_with_everyone_as_a_project_member_fails_clearly_and_says_what_was_done(demo, runner, names):
    name = names("everyone")
    result = runner.run_task(MODULE, dict(cloud="netsec-demo-counted", groups=[{"name": name, "rules": [SSH], "shared_with": ["*"]}]), expect_failure=True)
    assert "only an admin share with every project" in result["msg"] and "had completed" in result["msg"], result["msg"]
    made = [g for g in demo.network.security_groups() if g.name == name]
    assert [op["action"] for op in result["not_completed"]] == ["share"]
    assert len(made) == 1 and [op["id"] for op in result["completed"] if op["action"] == "create_group"] == [made[0].id]


def test_unsharing_a_group_the_other_project_s_ports_wear_is_refused_before_any_write(admin, runner, projects):
    """Neutron refuses to delete the policy (409 RbacPolicyInUse) while the project's ports wear the group: the run
    refuses first, in check mode too, also with force_unshare (which can not override Neutron)."""
    owner, user, other = projects
    runner.run_task(MODULE, declare(owner, [bastion([user.name, other.name])]))
    group = group_named(admin, owner, "bastion")
    network = admin.network.find_network("netsec-net")
    port = admin.network.create_port(network_id=network.id, project_id=user.id, security_group_ids=[group.id])
    try:
        for check, force in ((True, False), (False, False), (False, True)):
            result = runner.run_task(MODULE, declare(owner, [bastion([other.name])], force_unshare=force), check=check, expect_failure=True)
            assert "port(s) of project(s) %s wear it (%s)" % (user.id, port.id) in result["msg"], result["msg"]
            assert runner.last_requests["writes"] == 0
        assert shared_targets(admin, group.id) == sorted([user.id, other.id])
        # taking access from the other project, whose ports do not wear it, goes ahead
        runner.run_task(MODULE, declare(owner, [bastion([user.name])]))
        assert shared_targets(admin, group.id) == [user.id]
    finally:
        admin.network.delete_port(port, ignore_missing=True)
