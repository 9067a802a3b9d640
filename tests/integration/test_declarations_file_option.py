"""security_groups' declarations_file option against the local cloud (end states read with openstacksdk).

The module reads the file itself: the same plan as the content given inline, a second run sends no write,
errors name the file and the field path before any write, the file's project is used unless the task's
differs (then: an error naming both).
"""

import json

import yaml

MODULE = "netsec.openstack.security_groups"
CLOUD = "netsec-admin-counted"


def declaration():
    return {
        "address_groups": [{"name": "clients", "addresses": ["10.0.1.0/24", "10.0.2.7"]}],
        "groups": [
            {
                "name": "web",
                "description": "web tier",
                "rules": [
                    {"protocol": "tcp", "port": 443, "remote_ip_prefix": "0.0.0.0/0", "description": "https"},
                    {"protocol": "tcp", "port": 22, "remote_group": "bastion"},
                    {"protocol": "tcp", "port": 5432, "remote_address_group": "clients"},
                    {"direction": "egress"},
                ],
            },
            {"name": "bastion", "rules": [{"protocol": "tcp", "port": "22", "remote_ip_prefix": ["203.0.113.0/24", "2001:db8::/32"]}]},
        ],
    }


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data))
    return str(path)


def rules_of(admin, project):
    """{group name: set of (direction, ethertype, protocol, min, max, prefix, remote group name, address group id)}."""
    groups = dict((g.id, g.name) for g in admin.network.security_groups(project_id=project.id))
    found = {}
    for rule in admin.network.security_group_rules(project_id=project.id):
        if groups.get(rule.security_group_id) == "default":
            continue
        found.setdefault(groups[rule.security_group_id], set()).add(
            (
                rule.direction,
                rule.ether_type,
                rule.protocol,
                rule.port_range_min,
                rule.port_range_max,
                None if rule.remote_ip_prefix in ("0.0.0.0/0", "::/0") else rule.remote_ip_prefix,
                groups.get(rule.remote_group_id),
                rule.remote_address_group_id,
            )
        )
    return found


def strip(plan):
    """A plan without the ids of what it creates (each run's own)."""
    return [dict((k, v) for k, v in op.items() if k != "id") for op in plan]


def test_a_file_applies_as_inline_and_a_second_run_writes_nothing(runner, admin, scratch_project, tmp_path):
    path = write(tmp_path, "decl.yml", dict(declaration(), project=scratch_project.name))
    inline = runner.run_task(MODULE, dict(cloud=CLOUD, project=scratch_project.id, **declaration()), check=True, diff=True)
    planned = runner.run_task(MODULE, dict(cloud=CLOUD, declarations_file=path), check=True, diff=True)
    assert runner.last_requests["writes"] == 0
    assert planned["plan"] and strip(planned["plan"]) == strip(inline["plan"])
    assert planned["diff"] == inline["diff"] and planned["project_id"] == scratch_project.id
    applied = runner.run_task(MODULE, dict(cloud=CLOUD, declarations_file=path))
    assert applied["changed"] and strip(applied["plan"]) == strip(inline["plan"])
    (clients,) = [a for a in admin.network.address_groups(project_id=scratch_project.id) if a.name == "clients"]
    assert sorted(clients.addresses) == ["10.0.1.0/24", "10.0.2.7/32"]
    found = rules_of(admin, scratch_project)
    assert found == {
        "web": {
            ("ingress", "IPv4", "tcp", 443, 443, None, None, None),
            ("ingress", "IPv4", "tcp", 22, 22, None, "bastion", None),
            ("ingress", "IPv4", "tcp", 5432, 5432, None, None, clients.id),
            ("egress", "IPv4", None, None, None, None, None, None),
        },
        "bastion": {
            ("ingress", "IPv4", "tcp", 22, 22, "203.0.113.0/24", None, None),
            ("ingress", "IPv6", "tcp", 22, 22, "2001:db8::/32", None, None),
        },
    }, found
    again = runner.run_task(MODULE, dict(cloud=CLOUD, declarations_file=path))
    assert again["changed"] is False and again["plan"] == []
    assert runner.last_requests["writes"] == 0, runner.last_requests
    as_json = runner.run_task(MODULE, dict(cloud=CLOUD, project=scratch_project.name, declarations_file=write(tmp_path, "decl.json", declaration())))
    assert as_json["plan"] == [] and runner.last_requests["writes"] == 0


def test_a_bad_or_missing_file_fails_naming_it_and_writes_nothing(runner, admin, scratch_project, tmp_path):
    bad = declaration()
    bad["groups"][1]["rules"][0]["port"] = "22-x"
    path = write(tmp_path, "bad.yml", dict(bad, project=scratch_project.id))
    failed = runner.run_task(MODULE, dict(cloud=CLOUD, declarations_file=path), expect_failure=True)
    assert failed["changed"] is False and runner.last_requests["writes"] == 0
    assert any(e.startswith("%s: groups[1].rules[0].port" % path) for e in failed["errors"]), failed["errors"]
    missing = str(tmp_path / "nowhere.yml")
    failed = runner.run_task(MODULE, dict(cloud=CLOUD, project=scratch_project.id, declarations_file=missing), expect_failure=True)
    assert failed["errors"] == ["%s: can not read the declarations file: No such file or directory" % missing]
    assert runner.last_requests["total"] == 0
    both = runner.run_task(MODULE, dict(cloud=CLOUD, declarations_file=path, groups=[{"name": "x"}]), expect_failure=True)
    assert "mutually exclusive" in both["msg"] and "declarations_file" in both["msg"]
    assert [g.name for g in admin.network.security_groups(project_id=scratch_project.id)] in ([], ["default"])


def test_the_files_project_against_the_tasks(runner, admin, scratch_project, tmp_path):
    path = write(tmp_path, "decl.yml", dict(declaration(), project=scratch_project.name))
    refused = runner.run_task(MODULE, dict(cloud=CLOUD, project="admin", declarations_file=path), expect_failure=True)
    (message,) = refused["errors"]
    assert message.startswith("%s: project: " % path) and repr(scratch_project.name) in message and "'admin'" in message
    assert runner.last_requests["total"] == 0
    same = runner.run_task(MODULE, dict(cloud=CLOUD, project=scratch_project.name, declarations_file=path), check=True)
    assert same["project_id"] == scratch_project.id and same["changed"] and runner.last_requests["writes"] == 0
    assert [g.name for g in admin.network.security_groups(project_id=scratch_project.id)] in ([], ["default"])
