"""One run of a directory converges across projects (issue 17): a file whose group other files' rules reference
(``remote_group: {name, project}``, shared with ``shared_with``) is applied first, whatever the files' names.

Three scratch projects; the referencing files sort BEFORE the providing one, and project_concurrency=2 makes the old
order (files in name order, two at a time) run both referencing files before the group exists. End states are read
with openstacksdk; writes counted by the proxy in front of Neutron.
"""

import json

import pytest
import yaml

from test_gitops import run_playbook, sharing_projects

SSH = {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}


@pytest.fixture
def projects(admin):
    with sharing_projects(admin, 3) as made:
        yield made


def write(directory, name, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(yaml.safe_dump(data))


def only_group(admin, project, name):
    found = [g for g in admin.network.security_groups(project_id=project.id) if g.name == name]
    assert len(found) == 1, found
    return found[0]


def remote_groups(admin, group):
    return sorted(r.remote_group_id for r in admin.network.security_group_rules(security_group_id=group.id) if r.remote_group_id)


def user_file(project, owner, name):
    rule = {"protocol": "tcp", "port": 22, "remote_group": {"name": "bastion", "project": owner}}
    return {"project": project.name, "groups": [{"name": name, "rules": [rule]}]}


def test_one_run_converges_when_a_file_references_a_group_that_a_later_file_creates_and_shares(admin, clouds_file, proxy, tmp_path, projects):
    owner, app, ops = projects
    tree = tmp_path / "tree"
    # the owner's file shares by name and by id; the references name the project as the owner's file does (by name)
    write(tree, "a-app.yml", user_file(app, owner.name, "app"))
    write(tree, "b-ops.yml", user_file(ops, owner.name, "ops"))
    write(tree, "z-base.yml", {"project": owner.name, "groups": [{"name": "bastion", "rules": [SSH], "shared_with": [app.name, ops.id]}]})
    args = ("-e", "cloud=netsec-admin-counted", "-e", "declarations=tree", "-e", "project_concurrency=2")

    # drift before anything exists: the referencing files plan against the group z-base.yml would create and share
    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, *args)
    assert status != 0 and counts["writes"] == 0, output
    report = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
    assert report["status"] == "drift" and report["summary"]["error"] == 0, report
    by_file = dict((item["source"], item) for item in report["projects"])
    assert by_file["a-app.yml"]["depends_on"] == ["z-base.yml"]
    assert "bastion (project %s)" % owner.name in json.dumps(by_file["a-app.yml"]["objects"])
    markdown = (tmp_path / "drift-report" / "drift.md").read_text()
    assert "`a-app.yml` is applied after `z-base.yml`" in markdown and "part of that file's pending changes" in markdown

    # apply.yml --check plans the same way, and writes nothing
    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args, "--check")
    assert status == 0 and counts["writes"] == 0, output

    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args)
    assert status == 0, output
    assert "wave 1 of 2: z-base.yml" in output and "wave 2 of 2: a-app.yml, b-ops.yml" in output, output
    bastion = only_group(admin, owner, "bastion")
    policies = admin.network.rbac_policies(object_id=bastion.id, object_type="security_group", action="access_as_shared")
    assert sorted(p.target_project_id for p in policies) == sorted([app.id, ops.id])
    assert remote_groups(admin, only_group(admin, app, "app")) == [bastion.id]
    assert remote_groups(admin, only_group(admin, ops, "ops")) == [bastion.id]

    # converged: a second run writes nothing (the references resolve to the group now, as they do for drift.yml)
    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args)
    assert status == 0 and counts["writes"] == 0, (counts, output)


def test_a_cycle_is_named_and_a_file_whose_provider_failed_says_so(admin, clouds_file, proxy, tmp_path, projects):
    owner, app, ops = projects
    tree = tmp_path / "tree"
    # a-app.yml and b-ops.yml reference each other's new groups: a cycle, neither group exists, both are refused
    write(
        tree,
        "a-app.yml",
        {"project": app.name, "groups": [{"name": "app", "rules": [{"protocol": "tcp", "port": 22, "remote_group": {"name": "ops", "project": ops.name}}]}]},
    )
    write(
        tree,
        "b-ops.yml",
        {"project": ops.name, "groups": [{"name": "ops", "rules": [{"protocol": "tcp", "port": 22, "remote_group": {"name": "app", "project": app.name}}]}]},
    )
    # c-user.yml references a group of a-app.yml, which fails
    rule = {"protocol": "tcp", "port": 22, "remote_group": {"name": "app", "project": app.name}}
    write(tree, "c-user.yml", {"project": owner.name, "groups": [{"name": "user", "rules": [rule]}]})
    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=tree")
    assert status != 0
    assert "WARNING: the cross-project references of a-app.yml, b-ops.yml form a cycle" in output, output
    assert "wave 1 of 2: a-app.yml, b-ops.yml" in output and "wave 2 of 2: c-user.yml" in output, output
    assert "3 of 3 declarations file(s) failed" in output, output
    assert "(this file references groups of a-app.yml, which failed in this run: fix it first)" in output, output
    assert counts["writes"] == 0
    for project in projects:
        assert [g.name for g in admin.network.security_groups(project_id=project.id) if g.name != "default"] == []
