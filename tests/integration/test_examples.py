"""The EXAMPLES of the modules run as written, against the local cloud.

They name ``cloud: netsec-admin``; here that cloud is scoped to a scratch
project, so the examples (purge_groups included) act on nothing else.
"""

import ast
import os

import pytest
import yaml

from conftest import ROOT, PlaybookRunner

MODULES = os.path.join(ROOT, "plugins", "modules")


def examples_of(module):
    with open(os.path.join(MODULES, module + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "EXAMPLES":
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no EXAMPLES" % module)


@pytest.fixture
def scratch_cloud_runner(clouds_file, scratch_project, tmp_path, proxy):
    with open(clouds_file) as handle:
        config = yaml.safe_load(handle)
    scoped = dict(config["clouds"]["netsec-admin"])
    scoped["auth"] = dict(scoped["auth"])
    scoped["auth"].pop("project_name", None)
    scoped["auth"].pop("project_domain_name", None)
    scoped["auth"]["project_id"] = scratch_project.id
    config["clouds"] = {"netsec-admin": scoped}
    path = tmp_path / "clouds-scratch.yaml"
    path.write_text(yaml.safe_dump(config))
    return PlaybookRunner(str(path), str(tmp_path), proxy)


def run_examples(module, runner):
    """Run every example task of ``module``; their registered results by task name."""
    results = {}
    for task in examples_of(module):
        name = task.pop("name")
        modules = [k for k in task if k.startswith("netsec.openstack.")]
        if not modules:
            continue  # e.g. ansible.builtin.debug of a registered result
        args = task.pop(modules[0])
        task.pop("register", None)
        check = bool(task.pop("check_mode", False))
        diff = bool(task.pop("diff", False))
        assert not task, "%s: unexpected task keys %s" % (name, task)
        result = runner.run_task(modules[0], args, check=check, diff=diff)
        assert "plan" in result, name
        results[name] = result
    return results


BIG_PROJECT = {
    "groups": [
        {"name": "web", "rules": [{"protocol": "tcp", "port": 443}]},
        {"name": "bastion", "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "198.51.100.0/24"}]},
    ]
}


def test_security_groups_examples_run(scratch_cloud_runner, admin, scratch_project, tmp_path):
    # the declarations_file example reads {{ playbook_dir }}/declarations/big-project.yml
    (tmp_path / "declarations").mkdir()
    (tmp_path / "declarations" / "big-project.yml").write_text(yaml.safe_dump(BIG_PROJECT))
    results = run_examples("security_groups", scratch_cloud_runner)
    assert len(results) == 10
    from_file = results["A large declaration kept in a file, read by the module itself (no Ansible templating of thousands of rules)"]
    # web is already as declared (the purge example left it so); the file adds bastion
    assert from_file["changed"] is True
    # (plus deleting the egress rules Neutron's template gave the new group)
    creates = [(op["action"], op["group"]) for op in from_file["plan"] if op["action"].startswith("create_")]
    assert creates == [("create_group", "bastion"), ("create_rule", "bastion")], from_file["plan"]
    assert {op["group"] for op in from_file["plan"]} == {"bastion"}, from_file["plan"]
    # the drift check over the same file (check mode, return_groups: false): nothing to do, ids and names only
    drift = results["The same in a scheduled drift check - the plan and summary only, without listing every rule back"]
    assert drift["changed"] is False and drift["plan"] == []
    ids = dict((g["name"], g["id"]) for g in from_file["security_groups"])  # (the last example deletes both)
    assert drift["security_groups"] == [{"id": ids["web"], "name": "web"}, {"id": ids["bastion"], "name": "bastion"}]
    groups = sorted(g.name for g in admin.network.security_groups(project_id=scratch_project.id) if g.name != "default")
    # purge_groups removed legacy, quarantine and bastion; the last example deleted web.
    assert groups == []
    (clients,) = list(admin.network.address_groups(project_id=scratch_project.id))
    assert clients.name == "db-clients" and sorted(clients.addresses) == ["10.0.1.0/24", "10.0.2.7/32"]


def test_security_group_examples_run(scratch_cloud_runner, admin, scratch_project):
    assert len(run_examples("security_group", scratch_cloud_runner)) == 5
    groups = dict((g.name, g) for g in admin.network.security_groups(project_id=scratch_project.id) if g.name != "default")
    # legacy was created, its description changed, then removed; quarantine stays with no rules.
    assert sorted(groups) == ["quarantine", "ssh"]
    assert list(admin.network.security_group_rules(security_group_id=groups["quarantine"].id)) == []
    rules = sorted((r.ether_type, r.port_range_min, r.remote_ip_prefix) for r in admin.network.security_group_rules(security_group_id=groups["ssh"].id))
    assert rules == [("IPv4", 22, "203.0.113.0/24"), ("IPv6", 22, "2001:db8::/48")]
