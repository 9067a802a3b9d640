"""Sharing groups with other projects (issue 17): ``shared_with`` reconciled exactly through Neutron RBAC policies.

Three scratch projects on the local cloud; the admin works in each with ``project:``. End states are read with
openstacksdk (rbac_policies), writes counted by the proxy in front of Neutron.
"""

import pytest

from test_gitops import drop_project, make_project

MODULE = "netsec.openstack.security_groups"
SSH = {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}


@pytest.fixture
def projects(admin):
    made = [make_project(admin), make_project(admin), make_project(admin)]
    yield made
    for project in made:
        for policy in admin.network.rbac_policies(project_id=project.id):
            admin.network.delete_rbac_policy(policy, ignore_missing=True)
    for project in reversed(made):
        drop_project(admin, project)
        admin.identity.delete_project(project.id)


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
