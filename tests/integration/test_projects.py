"""Many projects, one pipeline (issue 17) and check mode across playbooks (issue 14 point 1).

apply.yml / drift.yml with ``-e declarations=DIR`` against two scratch projects; the outcome is
read with openstacksdk, writes counted by the proxy in front of Neutron.
"""

import json
import uuid

import pytest
import yaml

from test_gitops import boot_server, drop_project, groups_of, make_project, run_playbook


@pytest.fixture
def two_projects(admin):
    projects = [make_project(admin), make_project(admin)]
    yield projects
    for project in projects:
        drop_project(admin, project)


def write(directory, name, data):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def tcp_ports(conn, group_id):
    return sorted(r.port_range_min for r in conn.network.security_group_rules(security_group_id=group_id) if r.direction == "ingress")


def test_directory_apply_check_then_apply_then_drift(admin, clouds_file, proxy, tmp_path, two_projects):
    first, second = two_projects
    tree = tmp_path / "tree"
    write(tree, "a.yml", {"project": first.name, "groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 443}]}]})
    # A per-file cloud, and a file in a subdirectory.
    write(
        tree,
        "team-b/b.yml",
        {"project": second.name, "cloud": "netsec-admin-counted", "groups": [{"name": "db", "rules": [{"protocol": "tcp", "port": 5432}]}]},
    )
    args = ("-e", "cloud=netsec-admin-counted", "-e", "declarations=tree", "-e", "project_concurrency=2")

    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args, "--check")
    assert status == 0, output
    assert counts["writes"] == 0
    assert "web" not in groups_of(admin, first.id) and "db" not in groups_of(admin, second.id)

    status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args)
    assert status == 0, output
    assert tcp_ports(admin, groups_of(admin, first.id)["web"].id) == [443]
    assert tcp_ports(admin, groups_of(admin, second.id)["db"].id) == [5432]

    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, *args)
    assert status == 0, output
    assert counts["writes"] == 0
    report = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
    assert report["status"] == "clean" and report["summary"]["files"] == 2 and report["summary"]["clean"] == 2

    # Drift in one project only: the exit status says so, the report names it.
    db = groups_of(admin, second.id)["db"]
    admin.network.create_security_group_rule(
        security_group_id=db.id, direction="ingress", ethertype="IPv4", protocol="tcp", port_range_min=3389, port_range_max=3389
    )
    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, *args, "-e", "report_dir=drifted")
    assert status != 0 and "in 1 of 2 file(s) (team-b/b.yml)" in output, output
    assert counts["writes"] == 0
    report = json.loads((tmp_path / "drifted" / "drift.json").read_text())
    statuses = dict((item["source"], item["status"]) for item in report["projects"])
    assert statuses == {"a.yml": "clean", "team-b/b.yml": "drift"}
    text = (tmp_path / "drifted" / "drift.md").read_text()
    assert "| `team-b/b.yml` | %s | drift | 0 | 1 | 0 | 0 | 1 |" % second.name in text
    assert "## team-b/b.yml" in text and "tcp/3389" in text


def test_one_invalid_file_does_not_stop_the_others(admin, clouds_file, proxy, tmp_path, two_projects):
    first, second = two_projects
    tree = tmp_path / "tree"
    write(tree, "a.yml", {"project": first.name, "groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 80}]}]})
    write(tree, "b.yml", {"project": second.name, "groups": [{"name": "bad", "rules": [{"protocol": "icmp", "port": 22}]}]})
    # A file that names a project that does not exist fails on its own too.
    write(tree, "c.yml", {"project": "netsec-no-such-project-%s" % uuid.uuid4().hex[:6], "groups": []})
    status, output, _counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, "-e", "cloud=netsec-admin", "-e", "declarations=tree")
    assert status != 0
    assert "2 of 3 declarations file(s) failed: b.yml, c.yml" in output and "groups[0].rules[0].port" in output, output
    assert "not found" in output
    assert "web" in groups_of(admin, first.id)
    assert sorted(groups_of(admin, second.id)) == ["default"]

    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=tree")
    assert status != 0 and counts["writes"] == 0
    report = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
    assert report["status"] == "error" and report["summary"] == {"files": 3, "clean": 1, "drift": 0, "error": 2, "changes": 0}


def test_an_empty_directory_is_a_clear_error(clouds_file, proxy, tmp_path):
    (tmp_path / "empty").mkdir()
    for playbook in ("apply.yml", "drift.yml"):
        status, output, counts = run_playbook(clouds_file, proxy, playbook, tmp_path, "-e", "cloud=netsec-admin", "-e", "declarations=empty")
        assert status != 0 and "no *.yml file under empty" in output, output
        assert counts["total"] == 0


def test_export_all_projects_writes_a_tree_that_applies_without_writes(admin, clouds_file, proxy, tmp_path, two_projects):
    first, second = two_projects
    for project, name in ((first, "web"), (second, "db")):
        admin.network.create_security_group(name=name, project_id=project.id)
    status, output, counts = run_playbook(
        clouds_file,
        proxy,
        "export.yml",
        tmp_path,
        "-e",
        "cloud=netsec-admin-counted",
        "-e",
        "all_projects=true",
        "-e",
        "declarations=tree",
        "-e",
        "include_servers=false",
    )
    assert status == 0, output
    assert counts["writes"] == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    for project in (first, second):
        # Files are named by project name (issue 14); the content names the project by id.
        exported = yaml.safe_load((tmp_path / "tree" / ("%s.yml" % project.name)).read_text())
        assert exported["project"] == project.id
        assert not (tmp_path / "tree" / ("%s.yml" % project.id)).exists()
        (mine / ("%s.yml" % project.name)).write_text(yaml.safe_dump(exported))
    # Only our two projects are applied back (the tree holds every project of the shared cloud). Their groups were
    # made by hand (untagged): managed, not adopted, so even the first apply writes nothing (issue 14).
    for _attempt in range(2):
        status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=mine")
        assert status == 0, output
        assert counts["writes"] == 0, counts
    for project, name in ((first, "web"), (second, "db")):
        assert "managed-by=netsec.openstack" not in groups_of(admin, project.id)[name].tags
    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=mine")
    assert status == 0 and counts["writes"] == 0, output


def test_check_mode_plans_a_new_group_and_its_attachment(admin, clouds_file, proxy, tmp_path):
    """Issue 14 point 1: apply.yml --check and drift.yml on a file that adds a group and attaches it."""
    project = make_project(admin)
    as_project = admin.connect_as_project({"id": project.id, "name": project.name, "domain_id": "default"})
    server = boot_server(as_project, "newweb-%s" % uuid.uuid4().hex[:6])
    try:
        write(
            tmp_path,
            "new.yml",
            {
                "project": project.name,
                "groups": [{"name": "newweb", "rules": [{"protocol": "tcp", "port": 443}]}],
                "servers": [{"server": server.name, "security_groups": ["default", "newweb"]}],
            },
        )
        args = ("-e", "cloud=netsec-admin-counted", "-e", "declarations=new.yml")
        status, output, counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args, "--check")
        assert status == 0, output
        assert counts["writes"] == 0 and "newweb" not in groups_of(admin, project.id)

        status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, *args)
        assert status != 0 and "drift:" in output, output
        assert counts["writes"] == 0
        report = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
        changes = dict((item["name"], item["changes"]) for item in report["objects"])
        assert any(c["change"] == "create" and c["what"] == "new group" for c in changes["newweb"])
        attach = changes[server.name]
        assert attach and "newweb" in json.dumps(attach)

        status, output, _counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, *args)
        assert status == 0, output
        groups = groups_of(admin, project.id)
        (port,) = list(admin.network.ports(device_id=server.id))
        assert sorted(port.security_group_ids) == sorted([groups["default"].id, groups["newweb"].id])
    finally:
        drop_project(admin, project, [server])


def test_two_files_for_one_project_are_refused_before_any_change(admin, clouds_file, proxy, tmp_path, two_projects):
    first, second = two_projects
    tree = tmp_path / "tree"
    write(tree, "a.yml", {"project": first.name, "groups": [{"name": "one", "rules": []}]})
    write(tree, "b.yml", {"project": first.name, "groups": [{"name": "two", "rules": []}]})
    write(tree, "c.yml", {"project": second.name, "groups": [{"name": "three", "rules": []}]})
    status, output, _counts = run_playbook(clouds_file, proxy, "apply.yml", tmp_path, "-e", "cloud=netsec-admin", "-e", "declarations=tree")
    assert status != 0 and "2 of 3 declarations file(s) failed: a.yml, b.yml" in output, output
    assert "is also declared in b.yml" in output
    assert sorted(groups_of(admin, first.id)) == ["default"]
    assert "three" in groups_of(admin, second.id)
