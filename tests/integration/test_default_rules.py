"""default_security_group_rules against the local cloud (issue 17).

The templates are cloud-wide and shared by everybody's tests: every test
here snapshots them first and puts them back (same content; deleted ones are
recreated) in a ``finally``, checked with openstacksdk. Outcomes are read
with openstacksdk; write counts come from the counting proxy.
"""

import os
import uuid

import pytest
import yaml

from conftest import ROOT

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

MODULE = "netsec.openstack.default_security_group_rules"
FIELDS = (
    "direction",
    "ether_type",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "remote_address_group_id",
    "description",
    "used_in_default_sg",
    "used_in_non_default_sg",
)
EGRESS_ONLY_IPV4 = [{"direction": "egress", "used_in_default_sg": False}]


def content(item):
    return tuple((field, getattr(item, field)) for field in FIELDS)


def snapshot(admin):
    return dict((t.id, content(t)) for t in admin.network.default_security_group_rules())


def restore(admin, saved):
    """Delete templates the test added, recreate those it removed; return the content now held."""
    current = dict((t.id, t) for t in admin.network.default_security_group_rules())
    for template_id in current:
        if template_id not in saved:
            admin.network.delete_default_security_group_rule(template_id, ignore_missing=True)
    held = [content(t) for t in current.values() if t.id in saved]
    for template_id, fields in saved.items():
        if template_id not in current:
            attrs = dict((k, v) for k, v in fields if v is not None)
            admin.network.create_default_security_group_rule(**attrs)
    return sorted(held)


def identities(admin):
    """The templates as (canonical rule key, flags), read with openstacksdk."""
    result = []
    for t in admin.network.default_security_group_rules():
        key = model.key_from_neutron(
            {
                "direction": t.direction,
                "ethertype": t.ether_type,
                "protocol": t.protocol,
                "port_range_min": t.port_range_min,
                "port_range_max": t.port_range_max,
                "remote_ip_prefix": t.remote_ip_prefix,
                "remote_group_id": t.remote_group_id,
                "remote_address_group_id": t.remote_address_group_id,
            }
        )
        result.append((tuple(str(v) for v in key), bool(t.used_in_default_sg), bool(t.used_in_non_default_sg)))
    return sorted(result)


@pytest.fixture
def templates_restored(admin):
    """Snapshot the cloud's templates; put them back exactly (by content) after the test, whatever happened."""
    saved = snapshot(admin)
    try:
        yield saved
    finally:
        restore(admin, saved)
        assert sorted(snapshot(admin).values()) == sorted(saved.values()), "templates not restored"


def rules_of_new_group(admin, project):
    name = "tmpl-%s" % uuid.uuid4().hex[:6]
    group = admin.network.create_security_group(name=name, project_id=project.id)
    try:
        return sorted(
            (r.direction, r.ether_type, r.protocol, r.port_range_min, r.remote_ip_prefix)
            for r in admin.network.security_group_rules(security_group_id=group.id)
        )
    finally:
        admin.network.delete_security_group(group.id)


def test_check_mode_then_apply_then_no_writes_and_new_groups_follow(runner, admin, scratch_project, templates_restored):
    before = identities(admin)
    rules = [
        {"remote_group": "PARENT", "used_in_non_default_sg": False},
        {"remote_group": "PARENT", "ethertype": "IPv6", "used_in_non_default_sg": False},
        {"direction": "egress"},
        {"protocol": "tcp", "port": 22, "remote_ip_prefix": "203.0.113.0/24", "used_in_default_sg": False, "description": "netsec test: office SSH"},
    ]
    args = {"cloud": "netsec-admin-counted", "rules": rules}

    planned = runner.run_task(MODULE, args, check=True, diff=True)
    assert runner.last_requests["writes"] == 0 and identities(admin) == before
    assert planned["changed"] and planned["summary"] == {"create": 1, "replace": 0, "delete": 1}
    assert "ingress IPv4 tcp/22 from 203.0.113.0/24 [other] 'netsec test: office SSH'" in planned["diff"]["after"]
    assert "egress IPv6" in planned["diff"]["before"] and "egress IPv6" not in planned["diff"]["after"]

    applied = runner.run_task(MODULE, args)
    assert [op["action"] for op in applied["plan"]] == [op["action"] for op in planned["plan"]]
    assert all(t.get("id") for t in applied["templates"]) and all(op["id"] for op in applied["plan"])
    assert sorted(t["direction"] + t["ethertype"] for t in applied["templates"]) == sorted(t["direction"] + t["ethertype"] for t in planned["templates"])
    # Independently: the cloud holds exactly the declaration.
    held = identities(admin)
    assert (("ingress", "IPv4", "tcp", "22", "22", "cidr", "203.0.113.0/24"), False, True) in held
    assert not [h for h in held if h[0][:2] == ("egress", "IPv6")] and len(held) == 4

    again = runner.run_task(MODULE, args)
    assert not again["changed"] and again["plan"] == []
    assert runner.last_requests["writes"] == 0

    # A new group of another project gets exactly the templates meant for non-default groups.
    assert rules_of_new_group(admin, scratch_project) == [("egress", "IPv4", None, None, None), ("ingress", "IPv4", "tcp", 22, "203.0.113.0/24")]


def test_guard_warns_in_check_mode_and_fail_refuses_before_any_write(runner, admin, templates_restored):
    before = identities(admin)
    planned = runner.run_task(MODULE, {"cloud": "netsec-admin-counted", "rules": []}, check=True)
    assert runner.last_requests["writes"] == 0
    lost = sorted((f["scope"], f["lost"]) for f in planned["lockouts"])
    assert lost == [("used_in_default_sg", "egress"), ("used_in_default_sg", "ingress"), ("used_in_non_default_sg", "egress")]
    assert "LOCKOUT: after this change" in runner.last_output

    refused = runner.run_task(MODULE, {"cloud": "netsec-admin-counted", "rules": [], "lockout_guard": "fail"}, expect_failure=True)
    assert "lockout_guard=fail" in refused["msg"] and "nothing was changed" in refused["msg"]
    assert runner.last_requests["writes"] == 0 and identities(admin) == before


def test_replacing_flags_and_description_keeps_one_template_per_rule(runner, admin, templates_restored):
    rules = [
        {"direction": "egress", "description": "netsec test: all out"},
        {"direction": "egress", "ethertype": "IPv6", "used_in_default_sg": False},
        {"remote_group": "PARENT", "used_in_non_default_sg": False},
        {"remote_group": "PARENT", "ethertype": "IPv6", "used_in_non_default_sg": False},
    ]
    result = runner.run_task(MODULE, {"cloud": "netsec-admin", "rules": rules})
    assert result["summary"] == {"create": 0, "replace": 2, "delete": 0}
    egress = dict((t.ether_type, t) for t in admin.network.default_security_group_rules() if t.direction == "egress")
    assert egress["IPv4"].description == "netsec test: all out" and egress["IPv4"].used_in_default_sg
    assert not egress["IPv6"].used_in_default_sg and egress["IPv6"].used_in_non_default_sg
    assert len(list(admin.network.default_security_group_rules())) == 4
    assert not runner.run_task(MODULE, {"cloud": "netsec-admin", "rules": rules})["changed"]


def test_non_admin_gets_a_clear_refusal_and_nothing_changes(runner, admin, templates_restored):
    before = identities(admin)
    planned = runner.run_task(MODULE, {"cloud": "netsec-demo-counted", "rules": EGRESS_ONLY_IPV4}, check=True)
    assert planned["changed"] and runner.last_requests["writes"] == 0
    assert "a real run would be refused" in runner.last_output
    refused = runner.run_task(MODULE, {"cloud": "netsec-demo-counted", "rules": EGRESS_ONLY_IPV4}, expect_failure=True)
    assert "needs the admin role" in refused["msg"] and "nothing was changed" in refused["msg"]
    assert runner.last_requests["writes"] == 0 and identities(admin) == before


def test_bad_input_fails_before_any_request(runner, templates_restored):
    result = runner.run_task(
        MODULE,
        {"cloud": "netsec-admin-counted", "rules": [{"protocol": "icmp", "port": 22}, {"direction": "egress", "used_in_defualt_sg": False}]},
        expect_failure=True,
    )
    assert runner.last_requests["total"] == 0
    assert any(e.startswith("rules[0].port:") for e in result["errors"])
    assert any(e.startswith("rules[1].used_in_defualt_sg: unknown field") for e in result["errors"])


def test_examples_run_and_leave_neutron_defaults(runner, admin, templates_restored):
    source = open(os.path.join(ROOT, "plugins", "modules", "default_security_group_rules.py")).read()
    examples = yaml.safe_load(source.split('EXAMPLES = r"""', 1)[1].split('"""', 1)[0])
    for task in examples:
        args = task[MODULE]
        result = runner.run_task(MODULE, args, check=bool(task.get("check_mode")), diff=bool(task.get("diff")))
        assert "plan" in result
    # The last example is Neutron's own set.
    assert sorted(identities(admin)) == sorted(
        [
            (("egress", "IPv4", "None", "None", "None", "None", "None"), True, True),
            (("egress", "IPv6", "None", "None", "None", "None", "None"), True, True),
            (("ingress", "IPv4", "None", "None", "None", "group", "PARENT"), True, False),
            (("ingress", "IPv6", "None", "None", "None", "group", "PARENT"), True, False),
        ]
    )


def test_playbook_new_groups_egress_only_without_ipv6(runner, admin, scratch_project, templates_restored, tmp_path):
    import subprocess
    import sys

    from conftest import COLLECTIONS

    command = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        os.path.join(ROOT, "playbooks", "default_rules.yml"),
        "-e",
        "cloud=netsec-admin",
        "-e",
        "ipv6=false",
    ]
    env = dict(runner.env(), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=str(tmp_path), check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert identities(admin) == [
        (("egress", "IPv4", "None", "None", "None", "None", "None"), True, True),
        (("ingress", "IPv4", "None", "None", "None", "group", "PARENT"), True, False),
    ]
    assert rules_of_new_group(admin, scratch_project) == [("egress", "IPv4", None, None, None)]


def test_a_neutron_without_the_api_is_a_clear_error_naming_the_extension(clouds_file, tmp_path, templates_restored):
    """2023.1 imitated: the extension is hidden from /v2.0/extensions and its path answers 404."""
    from conftest import NEUTRON_URL, PlaybookRunner
    from fault_proxy import FaultProxy

    proxy = FaultProxy(NEUTRON_URL).start()
    try:
        proxy.extensions.hide_release("2023.1")
        with open(clouds_file) as handle:
            config = yaml.safe_load(handle)
        config["clouds"]["netsec-admin-old"] = dict(config["clouds"]["netsec-admin"], network_endpoint_override=proxy.url + "/")
        path = tmp_path / "clouds-old.yaml"
        path.write_text(yaml.safe_dump(config))
        runner = PlaybookRunner(str(path), str(tmp_path), _NoCount())
        for check in (True, False):
            result = runner.run_task(MODULE, {"cloud": "netsec-admin-old", "rules": EGRESS_ONLY_IPV4}, check=check, expect_failure=True)
            assert "security-groups-default-rules" in result["msg"] and "2023.2" in result["msg"], result["msg"]
        writes = [entry for entry in proxy.log if entry.get("method") in ("POST", "PUT", "DELETE", "PATCH")]
        assert writes == []
    finally:
        proxy.stop()


class _NoCount(object):
    def reset(self):
        pass

    def counts(self):
        return {}
