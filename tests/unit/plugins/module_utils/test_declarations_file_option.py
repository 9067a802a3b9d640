"""security_groups' declarations_file option: the module reads the file; same plan as inline, errors name the file."""

import json
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from module_stand_in import DECLARATION, WITH_ADDRESS_GROUPS, Module, fake_cloud, writes  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _declarations_file_option as option  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError, PlanError  # noqa: E402
from ansible_collections.netsec.openstack.plugins.modules import security_groups  # noqa: E402

BAD_PORT = "groups[1].rules[0].port"


@pytest.fixture
def cloud(monkeypatch):
    return fake_cloud(monkeypatch)


def write_file(tmp_path, data, name="decl.yml", text=None):
    path = tmp_path / name
    if text is None:
        text = json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data)
    path.write_text(text)
    return str(path)


# --- the module on the fake cloud ----------------------------------------------


@pytest.mark.parametrize("name", ["decl.yml", "decl.json"])
def test_a_file_plans_and_diffs_exactly_as_the_same_content_inline(cloud, tmp_path, name):
    path = write_file(tmp_path, DECLARATION, name)
    inline = security_groups.run(Module(check_mode=True, **DECLARATION))
    from_file = security_groups.run(Module(check_mode=True, declarations_file=path))
    assert writes(cloud) == []
    assert inline["plan"] and from_file["plan"] == inline["plan"]
    assert from_file["diff"] == inline["diff"] and from_file["summary"] == inline["summary"]
    assert from_file["security_groups"] == inline["security_groups"]
    applied = security_groups.run(Module(declarations_file=path))
    assert applied["plan"] == inline["plan"] and applied["changed"]
    again = security_groups.run(Module(declarations_file=path))
    count = len(writes(cloud))
    assert again["changed"] is False and again["plan"] == []
    assert security_groups.run(Module(**DECLARATION))["plan"] == [] and len(writes(cloud)) == count


def test_address_groups_in_a_file_plan_as_inline_in_check_mode(cloud, tmp_path):
    path = write_file(tmp_path, WITH_ADDRESS_GROUPS)
    inline = security_groups.run(Module(check_mode=True, **WITH_ADDRESS_GROUPS))
    from_file = security_groups.run(Module(check_mode=True, declarations_file=path))
    assert [op["action"] for op in from_file["plan"]][0] == "create_address_group"
    assert from_file["plan"] == inline["plan"] and from_file["diff"] == inline["diff"]
    assert writes(cloud) == []


def test_an_invalid_file_names_the_file_and_the_field_path_and_writes_nothing(cloud, tmp_path):
    bad = json.loads(json.dumps(DECLARATION))
    bad["groups"][1]["rules"][0]["port"] = "22-x"
    bad["groups"][0]["rules"][1]["remote_ip_prefix"] = "10.0.0.0/8"  # and a remote group: two remotes
    path = write_file(tmp_path, bad)
    with pytest.raises(DeclarationError) as refused:
        security_groups.run(Module(declarations_file=path))
    assert refused.value.errors, refused.value
    assert all(message.startswith(path + ": ") for message in refused.value.errors), refused.value.errors
    assert any(message.startswith("%s: %s" % (path, BAD_PORT)) for message in refused.value.errors), refused.value.errors
    assert any(message.startswith("%s: groups[0].rules[1]" % path) for message in refused.value.errors), refused.value.errors
    assert cloud.seen == [] and writes(cloud) == []


def test_inline_groups_errors_name_no_file(cloud):
    """Without declarations_file the messages start with the field path, as before the option existed."""
    bad = json.loads(json.dumps(DECLARATION))
    bad["groups"][1]["rules"][0]["port"] = "22-x"
    with pytest.raises(DeclarationError) as refused:
        security_groups.run(Module(**bad))
    assert any(message.startswith(BAD_PORT) for message in refused.value.errors), refused.value.errors
    assert not any("declarations_file" in message for message in refused.value.errors), refused.value.errors
    unresolved = {"groups": [{"name": "web", "rules": [{"protocol": "tcp", "remote_group": "nowhere"}]}]}
    with pytest.raises((DeclarationError, PlanError)) as refused:
        security_groups.run(Module(**unresolved))
    assert "declarations_file" not in str(refused.value) and "groups[0].rules[0]" in str(refused.value)
    assert writes(cloud) == []


def test_a_name_that_does_not_resolve_names_the_file(cloud, tmp_path):
    bad = {"groups": [{"name": "web", "rules": [{"protocol": "tcp", "remote_group": "nowhere"}]}]}
    with pytest.raises((DeclarationError, PlanError)) as refused:
        security_groups.run(Module(declarations_file=write_file(tmp_path, bad)))
    assert str(tmp_path) in str(refused.value) and "groups[0].rules[0]" in str(refused.value)
    assert writes(cloud) == []


def test_a_missing_file_fails_before_any_cloud_call(cloud, tmp_path):
    path = str(tmp_path / "absent.yml")
    with pytest.raises(DeclarationError) as refused:
        security_groups.run(Module(declarations_file=path))
    assert refused.value.errors == ["%s: can not read the declarations file: No such file or directory" % path]
    assert cloud.seen == []


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n"])
def test_an_empty_path_or_file_is_an_error_never_an_empty_declaration(cloud, tmp_path, text):
    for path in ("", write_file(tmp_path, None, text=text)):
        with pytest.raises(DeclarationError) as refused:
            security_groups.run(Module(declarations_file=path, purge_groups=True))
        assert refused.value.errors[0].startswith(path + ": " if path else "declarations_file: empty path"), refused.value.errors
    assert cloud.seen == []


def test_the_files_project_and_cloud_are_used_unless_the_task_sets_them(cloud, tmp_path):
    path = write_file(tmp_path, dict(DECLARATION, project="p1", cloud="netsec-demo"))
    security_groups.run(Module(check_mode=True, declarations_file=path))
    security_groups.run(Module(check_mode=True, declarations_file=path, project="p1", cloud="netsec-demo"))
    assert cloud.seen == [("netsec-demo", "p1"), ("netsec-demo", "p1")]


@pytest.mark.parametrize("key, value", [("project", "other"), ("cloud", "netsec-admin")])
def test_a_task_that_contradicts_the_file_is_an_error_naming_both(cloud, tmp_path, key, value):
    path = write_file(tmp_path, dict(DECLARATION, project="p1", cloud="netsec-demo"))
    with pytest.raises(DeclarationError) as refused:
        security_groups.run(Module(declarations_file=path, **{key: value}))
    (message,) = refused.value.errors
    file_value = {"project": "p1", "cloud": "netsec-demo"}[key]
    assert message.startswith("%s: %s: " % (path, key)) and repr(file_value) in message and repr(value) in message
    assert cloud.seen == []


def test_groups_and_the_file_are_mutually_exclusive():
    assert ("declarations_file", "groups") in security_groups.MUTUALLY_EXCLUSIVE
    assert ("declarations_file", "address_groups") in security_groups.MUTUALLY_EXCLUSIVE
    assert security_groups.ARGUMENT_SPEC["declarations_file"] == {"type": "path"}


# --- reading and checking the file (pure) --------------------------------------


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("d.yml", "groups: [\n", "d.yml: not valid YAML: "),
        ("d.json", "{groups: []}", "d.json: not valid JSON: "),
        ("d.yml", "- a list\n", "d.yml: (top level): a declarations file is a mapping with project, address_groups, groups, servers, cloud, got list"),
        ("d.yml", "", "d.yml: (top level): a declarations file is a mapping with project, address_groups, groups, servers, cloud, got nothing"),
        ("d.yml", "grops: []\n", "d.yml: grops: unknown key of a declarations file; expected project"),
        ("d.yml", "project: ''\n", "d.yml: project: expected a non-empty string, got ''"),
        ("d.yml", "cloud: {a: 1}\n", "d.yml: cloud: expected a non-empty string"),
    ],
)
def test_unreadable_content_is_an_error_naming_the_file(name, text, expected):
    with pytest.raises(DeclarationError) as refused:
        option.split_file(option.parse_text(text, name), name)
    assert refused.value.errors[0].startswith(expected), refused.value.errors


def test_a_playbook_file_with_servers_and_empty_lists_is_accepted():
    text = "project: demo\ncloud: c\naddress_groups:\ngroups:\n  - name: web\nservers:\n  - {server: web-1, security_groups: [web]}\n"
    declaration, named = option.split_file(option.parse_text(text, "f.yml"), "f.yml")
    assert declaration == {"groups": [{"name": "web"}], "address_groups": []}
    assert named == {"project": "demo", "cloud": "c"}


def test_the_example_declarations_file_loads(monkeypatch):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    declaration, project, cloud = option.load(os.path.join(root, "playbooks", "declarations", "example.yml"), None, None)
    assert declaration["groups"] and set(declaration) == {"groups", "address_groups"}


def test_plan_errors_without_a_path_are_left_as_they_are():
    with pytest.raises(PlanError) as refused:
        with option.errors_name_file("f.yml"):
            raise PlanError(["quota security_group_rule: no room", "groups[2].rules[0].remote_group: ambiguous"])
    assert refused.value.errors == ["quota security_group_rule: no room", "f.yml: groups[2].rules[0].remote_group: ambiguous"]
