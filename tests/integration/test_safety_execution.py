"""Issue 13, execution side, against the real local cloud: quota pre-check, replacements that never lose
a rule, truthful results, throttling, stateful in use, option minimums, connection errors.

End states are checked with openstacksdk (the ``admin`` fixture), never with the module's result alone.
Quota cases run in a scratch project with Neutron's default quotas (10 groups, 100 rules).
"""

import pytest
import yaml

import fault_campaign
from fault_campaign import run_inprocess

MODULE = "netsec.openstack.security_groups"
RULES = "/v2.0/security-group-rules"
SSH = {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8", "description": "ssh"}

fault_proxy = fault_campaign.fault_proxy
nova_fault_proxy = fault_campaign.nova_fault_proxy
faulty_clouds_file = fault_campaign.faulty_clouds_file


@pytest.fixture
def default_quota_project(admin, scratch_project):
    admin.network.update_quota(scratch_project.id, security_groups=10, security_group_rules=100)
    return scratch_project


@pytest.fixture
def faults(fault_proxy, faulty_clouds_file):
    fault_proxy.reset()
    yield fault_proxy
    fault_proxy.reset()


def quota_details(admin, project_id):
    return admin.network.get("/quotas/%s/details" % project_id).json()["quota"]


def fill_rules_to(admin, project_id, free):
    """Adds rules in a filler group until only ``free`` rules of the quota are left."""
    filler = admin.network.create_security_group(name="filler", project_id=project_id)  # gets template rules
    details = quota_details(admin, project_id)["security_group_rule"]
    missing = details["limit"] - details["used"] - details["reserved"] - free
    bodies = [
        {
            "security_group_id": filler.id,
            "direction": "ingress",
            "ethertype": "IPv4",
            "protocol": "udp",
            "port_range_min": 10000 + n,
            "port_range_max": 10000 + n,
            "project_id": project_id,
        }
        for n in range(missing)
    ]
    if bodies:
        answer = admin.network.post("/security-group-rules", json={"security_group_rules": bodies})
        assert answer.status_code == 201, answer.text
    after = quota_details(admin, project_id)["security_group_rule"]
    assert after["limit"] - after["used"] - after["reserved"] == free


def group_rules(admin, project_id, name):
    (group,) = [g for g in admin.network.security_groups(project_id=project_id) if g.name == name]
    return group, sorted(admin.network.security_group_rules(security_group_id=group.id), key=lambda r: r.id)


def ssh_rules(admin, project_id, name):
    return [r for r in group_rules(admin, project_id, name)[1] if r.port_range_min == 22]


def test_headline_quota_room_for_3_description_change_and_6_adds_is_refused_before_any_write(runner, admin, default_quota_project, names):
    project = default_quota_project.id
    name = names("web")
    args = dict(cloud="netsec-admin-counted", project=project, groups=[{"name": name, "rules": [SSH]}])
    runner.run_task(MODULE, args)
    fill_rules_to(admin, project, free=3)
    (before,) = ssh_rules(admin, project, name)
    added = [{"protocol": "tcp", "port": p} for p in (80, 443, 8080, 8443, 9000, 9090)]
    changed = [dict(SSH, description="ssh from the office")] + added
    args["groups"][0]["rules"] = changed
    for check in (True, False):
        result = runner.run_task(MODULE, args, check=check, expect_failure=True)
        assert "quota security_group_rule: the plan needs 6 more at its peak but only 3 are free" in result["msg"]
        assert "(limit 100," in result["msg"] and "nothing was changed" in result["msg"]
        assert runner.last_requests["writes"] == 0 and runner.last_requests["total"] > 0
    (after,) = ssh_rules(admin, project, name)
    assert (after.id, after.description) == (before.id, "ssh")


def test_a_plan_that_fits_only_with_deletes_first_is_applied(runner, admin, default_quota_project, names):
    project = default_quota_project.id
    name = names("web")
    args = dict(
        cloud="netsec-admin", project=project, groups=[{"name": name, "rules": [SSH, {"protocol": "udp", "port": 53}, {"protocol": "udp", "port": 123}]}]
    )
    runner.run_task(MODULE, args)
    fill_rules_to(admin, project, free=0)
    args["groups"][0]["rules"] = [SSH, {"protocol": "tcp", "port": 443}, {"protocol": "tcp", "port": 80}]
    result = runner.run_task(MODULE, args)
    assert [op["action"] for op in result["plan"]] == ["delete_rule", "delete_rule", "create_rule", "create_rule"]
    assert result["quota"]["security_group_rule"]["peak"] == 100
    ports = sorted(r.port_range_min for r in group_rules(admin, project, name)[1])
    assert ports == [22, 80, 443]


def test_a_noop_reads_no_quota(runner, admin, names):
    args = dict(cloud="netsec-admin-counted", groups=[{"name": names("noop"), "rules": [SSH]}])
    runner.run_task(MODULE, args)
    result = runner.run_task(MODULE, args)
    assert result["changed"] is False and result["quota"] is None
    assert not [path for _method, path in runner.last_requests["requests"] if "/quotas" in path]
    created = runner.run_task(MODULE, dict(args, groups=args["groups"] + [{"name": names("noop2"), "rules": []}]))
    assert created["quota"]["security_group"]["peak"] >= 1
    assert [path for _method, path in runner.last_requests["requests"] if "/quotas" in path]


def test_a_fault_on_the_create_of_a_replacement_restores_the_old_rule(faults, admin, names):
    name = names("restore")
    declaration = {"groups": [{"name": name, "rules": [SSH]}]}
    options = {"lock": False}
    assert run_inprocess(declaration, options).ok
    project = admin.current_project_id
    (old,) = ssh_rules(admin, project, name)
    declaration["groups"][0]["rules"][0] = dict(SSH, description="new")
    faults.arm("409", match=lambda method, path: method == "POST" and path.split("?")[0] == RULES)
    outcome = run_inprocess(declaration, options)
    assert not outcome.ok and not outcome.crashed
    (now,) = ssh_rules(admin, project, name)
    assert now.description == "ssh" and now.id != old.id
    assert "the old rule was restored as it was (now %s)" % now.id in outcome.msg
    assert outcome.result["completed"] == []
    (pending,) = outcome.result["not_completed"]
    assert pending["action"] == "replace_rule" and pending["restored_id"] == now.id
    assert outcome.msg.count("Injected conflict") == 1
    # A clean re-run converges: one replacement.
    again = run_inprocess(declaration, options)
    assert again.ok and [op["action"] for op in again.result["plan"]] == ["replace_rule"]
    assert [r.description for r in ssh_rules(admin, project, name)] == ["new"]


@pytest.mark.parametrize("kind", ["429", "429_retry_after", "503"])
def test_throttling_is_retried_and_the_retries_are_in_the_result(faults, admin, names, kind):
    name = names("throttle")
    declaration = {"groups": [{"name": name, "rules": [SSH]}]}
    assert run_inprocess(declaration, {"lock": False}).ok
    declaration["groups"][0]["rules"].append({"protocol": "tcp", "port": 443})
    faults.arm(kind, match=lambda method, path: method == "POST" and path.split("?")[0] == RULES, times=2, delay=1.0)
    outcome = run_inprocess(declaration, {"lock": False})
    assert outcome.ok, outcome.msg
    assert outcome.result["retries"] == 2 and outcome.result["api_requests"]["retried"] == 2
    assert sorted(r.port_range_min for r in group_rules(admin, admin.current_project_id, name)[1] if r.direction == "ingress") == [22, 443]


def test_over_quota_answer_is_reported_once_and_truthfully(faults, admin, names):
    name = names("overquota")
    declaration = {"groups": [{"name": name, "rules": [SSH]}]}
    assert run_inprocess(declaration, {"lock": False}).ok
    declaration["groups"][0]["rules"] += [{"protocol": "tcp", "port": 80}, {"protocol": "tcp", "port": 443}]
    faults.arm("409_overquota", match=lambda method, path: method == "POST" and path.split("?")[0] == RULES)
    outcome = run_inprocess(declaration, {"lock": False})
    assert not outcome.ok and outcome.msg.count("Quota exceeded") == 1, outcome.msg
    assert [op["rule"]["port"] for op in outcome.result["not_completed"]] == [80, 443]
    assert outcome.result["completed"] == []
    assert [r.port_range_min for r in group_rules(admin, admin.current_project_id, name)[1] if r.direction == "ingress"] == [22]


def test_stateful_change_on_a_group_in_use_is_refused_while_planning(runner, admin, names):
    name = names("stateful")
    args = dict(cloud="netsec-admin-counted", groups=[{"name": name, "rules": [SSH]}])
    runner.run_task(MODULE, args)
    group, rules = group_rules(admin, admin.current_project_id, name)
    network = admin.network.create_network(name=names("net"))
    try:
        admin.network.create_port(network_id=network.id, name=names("port"), security_group_ids=[group.id])
        args["groups"][0]["stateful"] = False
        for check in (True, False):
            result = runner.run_task(MODULE, args, check=check, expect_failure=True)
            assert "refused: group %s is in use by 1 port(s)" % name in result["msg"]
            assert runner.last_requests["writes"] == 0
        assert admin.network.get_security_group(group.id).stateful is True
    finally:
        for port in admin.network.ports(network_id=network.id):
            admin.network.delete_port(port)
        admin.network.delete_network(network)


@pytest.mark.parametrize("option,value", [("concurrency", 0), ("concurrency", -3), ("lock_timeout", 0), ("api_timeout", 0)])
def test_numeric_options_below_their_minimum_are_refused_naming_them(runner, names, option, value):
    args = dict(cloud="netsec-admin-counted", groups=[{"name": names("opt"), "rules": [SSH]}])
    args[option] = value
    result = runner.run_task(MODULE, args, expect_failure=True)
    assert result["msg"].startswith("%s: %s is below its minimum" % (option, value))
    assert runner.last_requests["total"] == 0


def test_an_unreachable_auth_url_is_named_but_no_secret(runner, clouds_file, names):
    with open(clouds_file) as handle:
        auth = dict(yaml.safe_load(handle)["clouds"]["netsec-admin"]["auth"])
    auth["auth_url"] = "http://127.0.0.1:5999/v3"
    args = dict(auth=auth, auth_type="password", groups=[{"name": names("unreachable")}])
    result = runner.run_task(MODULE, args, expect_failure=True)
    assert "identity endpoint 127.0.0.1:5999" in result["msg"], result["msg"]
    assert auth["password"] not in runner.last_output
