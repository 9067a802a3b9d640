"""The lockout guard: which plans take away the last rule admitting a guarded tcp port."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _lockout as lockout
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration

SSH = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}
WEB = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 443, "port_range_max": 443}
EGRESS = {"direction": "egress", "ethertype": "IPv4"}


def key(**fields):
    return model.key_from_neutron(dict({"direction": "ingress", "ethertype": "IPv4"}, **fields))


@pytest.mark.parametrize(
    "fields,port,admits",
    [
        (dict(protocol="tcp", port_range_min=22, port_range_max=22), 22, True),
        (dict(protocol="tcp", port_range_min=20, port_range_max=30), 22, True),
        (dict(protocol="tcp", port_range_min=23, port_range_max=30), 22, False),
        (dict(protocol="tcp"), 22, True),  # every port
        (dict(protocol="tcp", port_range_min=1, port_range_max=65535), 22, True),
        (dict(), 22, True),  # any protocol
        (dict(protocol="6", port_range_min=22, port_range_max=22), 22, True),  # 6 is tcp
        (dict(protocol="udp", port_range_min=22, port_range_max=22), 22, False),
        (dict(protocol="sctp"), 22, False),
        (dict(protocol="icmp"), 22, False),
        (dict(direction="egress", protocol="tcp"), 22, False),
        (dict(protocol="tcp", port_range_min=22, port_range_max=22, remote_ip_prefix="10.0.0.0/8"), 22, True),  # any source
        (dict(protocol="tcp", port_range_min=22, port_range_max=22, remote_group_id="g2"), 22, True),
        (dict(ethertype="IPv6", protocol="tcp", port_range_min=22, port_range_max=22), 22, True),
        (dict(protocol="tcp", port_range_min=3389, port_range_max=3389), 3389, True),
    ],
)
def test_admits_tcp_port(fields, port, admits):
    assert lockout.admits_tcp_port(key(**fields), port) is admits


def group(gid, name, *rules):
    """Rule ids are stable across before/after: derived from the rule's fields."""
    return {"id": gid, "name": name, "rules": [dict(r, id="%s-%s" % (gid, "/".join(str(r[k]) for k in sorted(r)))) for r in rules]}


def test_losing_the_only_ssh_rule_is_a_lockout():
    before = [group("g1", "web", SSH, WEB, EGRESS)]
    after = [group("g1", "web", WEB, EGRESS)]
    found = lockout.find_lockouts(before, after)
    assert found == [{"group": "web", "group_id": "g1", "ports": [22], "rules_removed": ["g1-ingress/IPv4/22/22/tcp"]}]


def test_narrowing_or_replacing_the_rule_is_not_a_lockout():
    before = [group("g1", "web", SSH)]
    narrower = dict(SSH, remote_ip_prefix="10.0.0.0/8")
    assert lockout.find_lockouts(before, [group("g1", "web", narrower)]) == []
    any_protocol = dict(SSH, protocol=None, port_range_min=None, port_range_max=None)
    assert lockout.find_lockouts(before, [group("g1", "web", any_protocol)]) == []
    assert lockout.find_lockouts(before, [group("g1", "web", dict(SSH, port_range_min=1, port_range_max=1024))]) == []
    # Another ethertype still admits tcp/22: not every rule is lost.
    assert lockout.find_lockouts([group("g1", "web", SSH, dict(SSH, ethertype="IPv6"))], [group("g1", "web", dict(SSH, ethertype="IPv6"))]) == []


def test_losing_one_of_two_ssh_rules_is_not_a_lockout():
    before = [group("g1", "web", SSH, dict(SSH, remote_ip_prefix="10.0.0.0/8"))]
    after = [group("g1", "web", dict(SSH, remote_ip_prefix="10.0.0.0/8"))]
    assert lockout.find_lockouts(before, after) == []


def test_any_protocol_and_wide_ranges_count_as_access():
    before = [group("g1", "all", {"direction": "ingress", "ethertype": "IPv4"})]
    assert lockout.find_lockouts(before, [group("g1", "all")])[0]["ports"] == [22]
    before = [group("g1", "range", dict(SSH, port_range_min=1, port_range_max=1024))]
    assert lockout.find_lockouts(before, [group("g1", "range")])[0]["ports"] == [22]


def test_configured_ports_and_empty_list_disables():
    before = [group("g1", "win", dict(SSH, port_range_min=3389, port_range_max=3389), SSH)]
    after = [group("g1", "win")]
    assert lockout.find_lockouts(before, after, [3389])[0]["ports"] == [3389]
    assert lockout.find_lockouts(before, after, [3389, 22])[0]["ports"] == [22, 3389]
    assert lockout.find_lockouts(before, after, []) == []
    assert lockout.find_lockouts(before, after, [8080]) == []


def test_groups_that_had_no_access_created_or_deleted_are_not_reported():
    before = [group("g1", "db", WEB), group("g2", "gone", SSH)]
    after = [group("g1", "db"), group("new:fresh", "fresh")]
    assert lockout.find_lockouts(before, after) == []


def test_states_are_accepted_as_well_as_lists():
    before = {"groups": [group("g1", "web", SSH)]}
    assert lockout.find_lockouts(before, {"groups": [group("g1", "web")]})[0]["group"] == "web"


def observed_web(*rules):
    """What the cloud layer reads of project p1: one owned group "web" (g1) holding ``rules``."""
    group = {
        "id": "g1",
        "name": "web",
        "description": "",
        "stateful": True,
        "tags": [model.OWNER_TAG],
        "project_id": "p1",
        "rules": [dict(rule, security_group_id="g1") for rule in rules],
    }
    empty = {"address_groups": [], "known_groups": {}, "known_address_groups": {}, "templates": [], "usage": {}, "address_group_usage": {}}
    return dict(empty, project_id="p1", groups=[group])


def test_on_a_real_plan_purging_the_ssh_rule():
    observed = observed_web(dict(SSH, id="r1"), dict(WEB, id="r2"))
    desired = parse_declaration({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 443}]}]})
    plan, _warnings = planner.make_plan(desired, observed, {"purge_rules": True})
    found = lockout.find_lockouts(observed, planner.simulate(observed, plan))
    assert [(f["group"], f["ports"], f["rules_removed"]) for f in found] == [("web", [22], ["r1"])]
    # Keeping the rule (in another spelling) is no lockout.
    desired = parse_declaration({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 443}, {"protocol": "6", "port": "22-22"}]}]})
    plan, _warnings = planner.make_plan(desired, observed, {"purge_rules": True})
    assert lockout.find_lockouts(observed, planner.simulate(observed, plan)) == []


def test_messages_name_group_port_and_wearers_and_skip_groups_on_no_port():
    found = [
        {"group": "web", "group_id": "g1", "ports": [22], "rules_removed": ["r1"]},
        {"group": "idle", "group_id": "g2", "ports": [22], "rules_removed": ["r2"]},
    ]
    ports = {"g1": [{"id": "p1", "name": "eth0", "device_id": "srv-1", "fixed_ips": ["10.0.0.5"]}], "g2": []}
    messages = lockout.lockout_messages(found, ports)
    assert len(messages) == 1
    text = messages[0][1]
    for word in ("LOCKOUT", "web", "g1", "tcp/22", "p1", "srv-1", "10.0.0.5", "lockout_guard"):
        assert word in text, (word, text)


@pytest.mark.parametrize(
    "ports,mode,expected",
    [
        ([22], "warn", []),
        ([], "ignore", []),
        ([0], "warn", ["lockout_ports[0]: expected a tcp port 1-65535, got 0"]),
        ([22, 70000], "fail", ["lockout_ports[1]: expected a tcp port 1-65535, got 70000"]),
        ([22], "loud", ["lockout_guard: expected one of warn, fail, ignore, got 'loud'"]),
    ],
)
def test_validate_options(ports, mode, expected):
    assert lockout.validate_options(ports, mode) == expected


class StubAdapter(object):
    """Stands in for _adapter.Adapter: records the one read the guard may make."""

    def __init__(self, wearing):
        self.wearing = wearing
        self.calls = []

    def ports_wearing(self, group_ids):
        self.calls.append(sorted(group_ids))
        return dict((gid, list(self.wearing.get(gid, []))) for gid in group_ids)


def guarded_plan(declared_rules):
    observed = observed_web(dict(SSH, id="r1"), dict(WEB, id="r2"))
    desired = parse_declaration({"groups": [{"name": "web", "rules": declared_rules}]})
    plan, _warnings = planner.make_plan(desired, observed, {"purge_rules": True})
    return observed, plan


WEARER = {"id": "port-1", "name": "", "device_id": "srv-1", "fixed_ips": ["10.0.0.5"]}


@pytest.mark.parametrize(
    "declared",
    [
        [{"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port": 443}],  # no change
        [{"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port": 443}, {"protocol": "udp", "port": 53}],  # adds only
        [{"protocol": "tcp", "port": 22}],  # removes 443 only
    ],
)
def test_guard_reads_nothing_when_no_access_is_lost(declared):
    observed, plan = guarded_plan(declared)
    adapter = StubAdapter({"g1": [WEARER]})
    assert reconciler.check_lockout(adapter, observed, plan, {}) == []
    assert adapter.calls == []


def test_guard_warns_with_wearers_after_one_read():
    observed, plan = guarded_plan([{"protocol": "tcp", "port": 443}])
    adapter = StubAdapter({"g1": [WEARER]})
    found = reconciler.check_lockout(adapter, observed, plan, {"lockout_guard": "warn"})
    assert adapter.calls == [["g1"]]
    assert [(f["group"], f["ports"], f["wearers"]) for f in found] == [("web", [22], [WEARER])]
    assert "srv-1" in found[0]["message"] and "tcp/22" in found[0]["message"]


def test_guard_is_silent_for_a_group_no_port_wears():
    observed, plan = guarded_plan([{"protocol": "tcp", "port": 443}])
    adapter = StubAdapter({})
    assert reconciler.check_lockout(adapter, observed, plan, {"lockout_guard": "fail"}) == []
    assert adapter.calls == [["g1"]]


def test_guard_fail_raises_and_ignore_or_no_ports_skip():
    observed, plan = guarded_plan([{"protocol": "tcp", "port": 443}])
    with pytest.raises(planner.PlanError) as info:
        reconciler.check_lockout(StubAdapter({"g1": [WEARER]}), observed, plan, {"lockout_guard": "fail"})
    assert "LOCKOUT" in str(info.value) and "lockout_guard=fail" in str(info.value)
    for options in ({"lockout_guard": "ignore"}, {"lockout_ports": []}, {"lockout_ports": [3389]}):
        adapter = StubAdapter({"g1": [WEARER]})
        assert reconciler.check_lockout(adapter, observed, plan, options) == []
        assert adapter.calls == [], options


# --- the end state of ports: find_port_lockouts ---------------------------------


def g(gid, *rules):
    return {"id": gid, "name": gid, "rules": [dict(r, id="%s-r%d" % (gid, i)) for i, r in enumerate(rules)]}


def port(pid, *group_ids, **extra):
    return dict({"id": pid, "device_id": "srv-" + pid, "name": "", "fixed_ips": ["10.0.0.5"], "security_group_ids": list(group_ids)}, **extra)


GROUPS = [g("ssh", SSH), g("web", WEB), g("ssh2", dict(SSH, port_range_min=20, port_range_max=30))]


def test_a_port_left_with_no_group_is_a_lockout_whatever_the_rules():
    found = lockout.find_port_lockouts([port("p1", "web")], GROUPS, [port("p1")])
    assert found == [{"port": "p1", "server": "srv-p1", "ports": [], "no_group": True, "groups_before": ["web"], "groups_after": [], "unknown_groups": []}]
    ((_finding, message),) = lockout.port_lockout_messages(found, [port("p1", "web")])
    assert "wears no security group at all" in message and "srv-p1" in message and "lockout_guard=ignore" in message


def test_a_port_without_groups_before_is_not_a_lockout():
    assert lockout.find_port_lockouts([port("p1")], GROUPS, [port("p1")]) == []


def test_detaching_the_only_group_admitting_ssh_is_a_lockout_unless_another_group_admits_it():
    before = [port("p1", "ssh", "web"), port("p2", "ssh", "ssh2")]
    after = [port("p1", "web"), port("p2", "ssh2")]
    found = lockout.find_port_lockouts(before, GROUPS, after)
    assert [(f["port"], f["ports"], f["no_group"]) for f in found] == [("p1", [22], False)]
    ((_finding, message),) = lockout.port_lockout_messages(found)
    assert "admitted tcp/22 before and no group it wears afterwards (web) does" in message


def test_rule_changes_are_judged_on_the_union_of_groups_a_port_wears():
    # The plan removes SSH from "ssh": p1 also wears ssh2 (20-30), p3 wears only ssh.
    after_groups = [g("ssh", WEB), g("web", WEB), GROUPS[2]]
    found = lockout.find_port_lockouts([port("p1", "ssh", "ssh2"), port("p3", "ssh")], GROUPS, None, after_groups)
    assert [(f["port"], f["ports"]) for f in found] == [("p3", [22])]
    assert lockout.find_port_lockouts([port("p3", "ssh")], GROUPS, None, after_groups, ports=[443]) == []


def test_end_state_with_a_replacement_keeps_access():
    # A description-only replacement: the end state holds the rule again (new id), so nothing is lost.
    observed = observed_web(dict(SSH, id="r1", description="old"))
    desired = parse_declaration({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22, "description": "new"}]}]})
    plan, _warnings = planner.make_plan(desired, observed, {"state": "present"})
    assert [op["action"] for op in plan] == ["replace_rule"]  # one operation: delete + create back to back
    end = planner.simulate(observed, plan)
    assert lockout.find_port_lockouts([port("p1", "g1")], observed, None, end) == []
    assert lockout.find_lockouts(observed, end) == []
    # Half of it (the delete alone: the create failed) is a lockout, on both judges.
    half = planner.simulate(observed, [dict(op, action="delete_rule") for op in plan if op["action"] == "replace_rule"])
    assert lockout.find_port_lockouts([port("p1", "g1")], observed, None, half)[0]["ports"] == [22]
    assert lockout.find_lockouts(observed, half)[0]["ports"] == [22]


def test_groups_whose_rules_are_unknown_admit_nothing_and_are_named():
    found = lockout.find_port_lockouts([port("p1", "ssh")], GROUPS, [port("p1", "new:planned")])
    assert found[0]["ports"] == [22] and found[0]["unknown_groups"] == ["new:planned"]
    ((_finding, message),) = lockout.port_lockout_messages(found)
    assert "rules of new:planned unknown" in message
