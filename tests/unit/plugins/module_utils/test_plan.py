"""The planner: pure, ordered, safe; applying a plan and planning again yields nothing."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError

PROJECT = "p1"
TEMPLATES = [
    {"direction": "egress", "ethertype": "IPv4", "used_in_default_sg": True, "used_in_non_default_sg": True},
    {"direction": "egress", "ethertype": "IPv6", "used_in_default_sg": True, "used_in_non_default_sg": True},
    {"direction": "ingress", "ethertype": "IPv4", "remote_group_id": "PARENT", "used_in_default_sg": True, "used_in_non_default_sg": False},
]


def observed(groups=(), address_groups=(), **extra):
    state = {
        "project_id": PROJECT,
        "groups": list(groups),
        "address_groups": list(address_groups),
        "known_groups": {},
        "known_address_groups": {},
        "templates": TEMPLATES,
        "usage": {},
        "address_group_usage": {},
    }
    state.update(extra)
    return state


def group(gid, name, rules=(), tags=(model.OWNER_TAG,), description="", stateful=True, project=PROJECT):
    return {
        "id": gid,
        "name": name,
        "description": description,
        "stateful": stateful,
        "tags": list(tags),
        "project_id": project,
        "rules": [dict(r, id=r.get("id", "%s-r%d" % (gid, i)), security_group_id=gid) for i, r in enumerate(rules)],
    }


def egress():
    return [{"direction": "egress", "ethertype": "IPv4"}, {"direction": "egress", "ethertype": "IPv6"}]


def plan_for(declaration, current, **options):
    options.setdefault("state", "present")
    desired = parse_declaration(declaration)
    return planner.make_plan(desired, current, options)


def actions(plan):
    return [op["action"] for op in plan]


def test_create_from_empty_orders_groups_before_rules_and_removes_undeclared_template_rules():
    declaration = {
        "groups": [
            {"name": "web", "rules": [{"protocol": "tcp", "port": 22, "remote_group": "bastion"}, {"direction": "egress", "ethertype": "IPv4"}]},
            {"name": "bastion", "rules": [{"protocol": "tcp", "port": 22, "remote_group": "web"}]},
        ]
    }
    plan, warnings = plan_for(declaration, observed())
    # Template rules of the new groups go before the creates: the quota peak stays lower (issue 13).
    assert actions(plan) == ["create_group", "create_group", "delete_rule", "delete_rule", "delete_rule", "create_rule", "create_rule"]
    web_rule = plan[5]
    assert web_rule["group"] == "web" and web_rule["body"]["remote_group_id"] == "new:bastion"
    assert plan[6]["body"]["remote_group_id"] == "new:web"
    deleted = [(op["group"], op["rule"]["ethertype"]) for op in plan if op["action"] == "delete_rule"]
    # web keeps the template's egress IPv4 (declared), loses IPv6; bastion loses both.
    assert sorted(deleted) == [("bastion", "IPv4"), ("bastion", "IPv6"), ("web", "IPv6")]
    assert all(op["id"] is None for op in plan if op["action"] == "delete_rule")
    assert warnings == []


def test_identical_state_plans_nothing_whatever_the_spelling():
    existing = group(
        "g1",
        "web",
        rules=[
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "6", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"},
            {"direction": "ingress", "ethertype": "IPv6", "protocol": "ipv6-icmp"},
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "udp", "remote_ip_prefix": "192.0.2.7/32"},
        ]
        + egress(),
    )
    declaration = {
        "groups": [
            {
                "name": "web",
                "rules": [
                    {"protocol": "tcp", "port": 22},
                    {"protocol": "icmp", "ethertype": "IPv6"},
                    {"protocol": "udp", "port": "1-65535", "remote_ip_prefix": "192.0.2.7"},
                    {"direction": "egress"},
                    {"direction": "egress", "ethertype": "IPv6"},
                ],
            }
        ]
    }
    plan, _warnings = plan_for(declaration, observed([existing]))
    assert plan == []


def test_purge_rules_off_keeps_undeclared_rules():
    existing = group("g1", "web", rules=egress())
    plan, _warnings = plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 80}]}]}, observed([existing]), purge_rules=False)
    assert actions(plan) == ["create_rule"]
    plan, _warnings = plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 80}]}]}, observed([existing]))
    # The egress rules overlap no create: deleted first (lower quota peak, no declared access lost).
    assert actions(plan) == ["delete_rule", "delete_rule", "create_rule"]


def test_a_delete_that_a_create_overlaps_runs_after_the_creates():
    existing = group(
        "g1",
        "web",
        rules=[
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"},
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "udp", "port_range_min": 53, "port_range_max": 53},
        ],
    )
    plan, _warnings = plan_for(
        {"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.1.0.0/16"}]}]}, observed([existing])
    )
    # udp/53 goes first; tcp/22 from 10/8 is what the new tcp/22 replaces: create before delete.
    assert [(op["action"], op["rule"].get("protocol")) for op in plan] == [("delete_rule", "udp"), ("create_rule", "tcp"), ("delete_rule", "tcp")]


def test_description_change_replaces_the_rule_delete_first():
    existing = group(
        "g1", "web", rules=[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "description": "old"}]
    )
    plan, _warnings = plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22, "description": "new"}]}]}, observed([existing]))
    assert actions(plan) == ["replace_rule"]
    assert plan[0]["id"] == "g1-r0" and "description changes" in plan[0]["reason"]
    assert plan[0]["body"]["description"] == "new" and plan[0]["old_body"]["description"] == "old"
    assert plan[0]["rule"]["description"] == "new" and plan[0]["old_rule"]["description"] == "old"


def test_group_attributes_and_adoption():
    existing = group("g1", "web", rules=[], tags=["team=a"], description="old", stateful=True)
    declared = {"name": "web", "description": "new", "stateful": False, "tags": ["team=b"], "adopt": True}
    plan, _warnings = plan_for({"groups": [declared]}, observed([existing]))
    assert actions(plan) == ["update_group"]
    changes = plan[0]["changes"]
    assert changes["description"] == {"before": "old", "after": "new"}
    assert changes["stateful"] == {"before": True, "after": False}
    assert changes["tags"] == {"before": ["team=a"], "after": [model.OWNER_TAG, "team=b"]}
    assert "adopted" in plan[0]["reason"]
    # Without adopt: the same group is managed (its attributes made exact) but not tagged as ours.
    plan, _warnings = plan_for({"groups": [dict(declared, adopt=False)]}, observed([existing]))
    assert plan[0]["changes"]["tags"] == {"before": ["team=a"], "after": ["team=b"]} and "adopted" not in plan[0]["reason"]


def test_a_group_we_did_not_create_is_not_adopted_unless_asked():
    existing = group("g1", "web", tags=["team=a"], description="kept")
    plan, _warnings = plan_for({"groups": [{"name": "web"}]}, observed([existing]))
    assert plan == []
    plan, _warnings = plan_for({"groups": [{"name": "web", "adopt": True}]}, observed([existing]))
    assert actions(plan) == ["update_group"]
    assert plan[0]["changes"] == {"tags": {"before": ["team=a"], "after": [model.OWNER_TAG, "team=a"]}}
    # Ours already: the tag stays whatever adopt and tags say; default is never adopted (refused before any call).
    ours = group("g1", "web", tags=[model.OWNER_TAG])
    for declared in ({"name": "web", "tags": []}, {"name": "web", "adopt": False}):
        plan, _warnings = plan_for({"groups": [declared]}, observed([ours]))
        assert plan == [], declared
    with pytest.raises(DeclarationError, match=r"groups\[0\]\.adopt: the project's default group is Neutron's"):
        plan_for({"groups": [{"name": "default", "adopt": True}]}, observed([group("g2", "default")]))


def test_purge_groups_deletes_only_our_tagged_groups_of_the_scope():
    ours = group("g1", "old", tags=[model.OWNER_TAG])
    untagged = group("g2", "handmade", tags=[])
    foreign = group("g3", "other-project", tags=[model.OWNER_TAG], project="p2")
    default = group("g4", "default", tags=[model.OWNER_TAG])
    state = observed([ours, untagged, foreign, default], usage={"g1": {"ports": [], "rules": []}})
    plan, _warnings = plan_for({"groups": []}, state, purge_groups=True)
    assert [(op["action"], op["id"]) for op in plan] == [("delete_group", "g1")]


def test_delete_refused_when_ports_use_the_group():
    state = observed([group("g1", "web")], usage={"g1": {"ports": [{"id": "port-1", "device_id": "vm-1"}], "rules": []}})
    with pytest.raises(planner.PlanError) as info:
        plan_for({"groups": [{"name": "web"}]}, state, state="absent")
    assert "in use by 1 port(s): port port-1 of server vm-1" in str(info.value)


def test_delete_refused_when_other_groups_reference_it_unless_the_plan_removes_them():
    referencing = {
        "id": "r9",
        "security_group_id": "g2",
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "port_range_min": 22,
        "port_range_max": 22,
        "remote_group_id": "g1",
    }
    state = observed(
        [group("g1", "bastion"), group("g2", "web", rules=[referencing])],
        usage={"g1": {"ports": [], "rules": [dict(referencing)]}, "g2": {"ports": [], "rules": []}},
    )
    with pytest.raises(planner.PlanError) as info:
        plan_for({"groups": [{"name": "bastion"}]}, state, state="absent")
    assert "silently delete" in str(info.value) and "r9" in str(info.value)
    # Both deleted together: fine.
    plan, _warnings = plan_for({"groups": [{"name": "bastion"}, {"name": "web"}]}, state, state="absent")
    assert actions(plan) == ["delete_group", "delete_group"]


def test_purge_refused_when_a_declared_rule_references_the_purged_group():
    state = observed([group("g1", "old"), group("g2", "web")], usage={"g1": {"ports": [], "rules": []}})
    with pytest.raises(planner.PlanError) as info:
        plan_for({"groups": [{"name": "web", "rules": [{"remote_group": "old"}]}]}, state, purge_groups=True)
    assert "groups[0].rules[0]: references old, which this plan deletes" in str(info.value)


def test_default_group_is_never_deleted():
    state = observed([group("g1", "default")])
    plan, warnings = plan_for({"groups": [{"name": "default"}]}, state, state="absent")
    assert plan == [] and "never deleted" in warnings[0]


def test_ambiguous_and_unknown_names_fail_before_any_change():
    # Untagged: of tagged copies of a declared name the oldest is kept (test_owned_duplicates.py).
    state = observed([group("g1", "dup", tags=()), group("g2", "dup", tags=())])
    with pytest.raises(planner.PlanError) as info:
        plan_for({"groups": [{"name": "web", "rules": [{"remote_group": "dup"}, {"remote_group": "nope"}]}]}, state)
    message = str(info.value)
    assert "groups[0].rules[0].remote_group: security group name 'dup' is ambiguous" in message and "g1 (project p1)" in message
    assert "groups[0].rules[1].remote_group: unknown security group 'nope'" in message
    with pytest.raises(planner.PlanError) as info:
        plan_for({"groups": [{"name": "dup"}]}, state)
    assert "groups[0].name: security group name 'dup' is ambiguous" in str(info.value)


def test_remote_group_by_id_outside_the_scope():
    state = observed([], known_groups={"ext-1": {"id": "ext-1", "name": "shared", "project_id": "p9"}})
    plan, _warnings = plan_for({"groups": [{"name": "web", "rules": [{"remote_group": "ext-1"}]}]}, state)
    create = [op for op in plan if op["action"] == "create_rule"][0]
    assert create["body"]["remote_group_id"] == "ext-1" and create["rule"]["remote_group"] == "shared"


def test_address_groups_create_update_and_reference():
    existing = {"id": "a1", "name": "clients", "description": "", "addresses": ["10.0.0.1/32", "10.0.0.2/32"], "tags": [model.OWNER_TAG], "project_id": PROJECT}
    declaration = {
        "address_groups": [{"name": "clients", "addresses": ["10.0.0.2", "10.0.0.3"]}, {"name": "new", "addresses": ["2001:db8::/64"]}],
        "groups": [{"name": "db", "rules": [{"protocol": "tcp", "port": 5432, "remote_address_group": "new"}]}],
    }
    plan, _warnings = plan_for(declaration, observed([], [existing]))
    assert actions(plan)[:3] == ["create_address_group", "update_address_group", "create_group"]
    update = plan[1]
    assert update["add_addresses"] == ["10.0.0.3/32"] and update["remove_addresses"] == ["10.0.0.1/32"]
    create_rule = [op for op in plan if op["action"] == "create_rule"][0]
    assert create_rule["body"]["remote_address_group_id"] == "new:new"


def test_unknown_templates_are_assumed_and_said():
    state = observed(templates=None)
    plan, _warnings = plan_for({"groups": [{"name": "web", "rules": []}]}, state)
    assert plan[0]["initial_rules_assumed"] is True
    assert actions(plan) == ["create_group", "delete_rule", "delete_rule"]


def test_diff_before_and_after():
    existing = group("g1", "web", rules=egress())
    declaration = {"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22}]}]}
    state = observed([existing])
    desired = parse_declaration(declaration)
    plan, _warnings = planner.make_plan(desired, state, {"state": "present"})
    result = planner.diff(desired, state, plan)
    assert [r["protocol"] for r in result["before"]["security_groups"][0]["rules"]] == ["any", "any"]
    assert result["after"]["security_groups"][0]["rules"] == [{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port": 22}]


def test_plan_is_json_serialisable_and_inputs_are_not_mutated():
    import json

    state = observed([group("g1", "web", rules=egress())])
    before = copy.deepcopy(state)
    plan, _warnings = plan_for(
        {"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22}]}, {"name": "new", "rules": [{"remote_group": "web"}]}]}, state
    )
    json.dumps(plan)
    assert state == before


# --- property: apply the plan, plan again, nothing left --------------------

NAMES = ["a", "b", "c", "default"]
PREFIXES = [None, "0.0.0.0/0", "10.0.0.0/8", "10.1.2.3/8", "192.0.2.7/32", "::/0", "fd00::/8", "2001:db8::1/128"]
PROTOCOLS = [None, "tcp", "6", "udp", "17", "icmp", "1", "ipv6-icmp", "58", "gre", "0"]


@st.composite
def stored_rules(draw, group_ids):
    prefix = draw(st.sampled_from(PREFIXES))
    ethertype = "IPv6" if prefix and ":" in prefix else draw(st.sampled_from(["IPv4", "IPv6"]))
    if prefix and (":" in prefix) != (ethertype == "IPv6"):
        prefix = None
    protocol = draw(st.sampled_from(PROTOCOLS))
    if ethertype == "IPv4" and protocol in ("ipv6-icmp", "58"):
        protocol = "icmp"
    if ethertype == "IPv6" and protocol in ("icmp", "1"):
        protocol = "ipv6-icmp"
    rule = {
        "direction": draw(st.sampled_from(["ingress", "egress"])),
        "ethertype": ethertype,
        "protocol": protocol,
        "description": draw(st.sampled_from(["", "", "x"])),
    }
    if protocol in ("tcp", "6", "udp", "17"):
        low = draw(st.sampled_from([None, 1, 22, 80]))
        if low is not None:
            rule["port_range_min"] = low
            rule["port_range_max"] = draw(st.sampled_from([low, 65535]))
    remote = draw(st.sampled_from(["prefix", "prefix", "group"]))
    if remote == "group" and group_ids:
        rule["remote_group_id"] = draw(st.sampled_from(group_ids))
    elif prefix:
        rule["remote_ip_prefix"] = prefix
    return rule


@st.composite
def declared_rules(draw, names):
    prefix = draw(st.sampled_from([p for p in PREFIXES if p != "10.1.2.3/8"]))
    protocol = draw(st.sampled_from([None, "tcp", 6, "udp", "icmp", "any", "gre"]))
    rule = {"direction": draw(st.sampled_from(["ingress", "egress"]))}
    if protocol is not None:
        rule["protocol"] = protocol
    if protocol in ("tcp", 6, "udp"):
        rule["port"] = draw(st.sampled_from([22, "80-90", "1-65535"]))
    if draw(st.booleans()) and names:
        rule["remote_group"] = draw(st.sampled_from(names))
    elif prefix:
        rule["remote_ip_prefix"] = prefix
    elif draw(st.booleans()):
        rule["ethertype"] = "IPv6"
    if draw(st.booleans()):
        rule["description"] = draw(st.sampled_from(["x", "y"]))
    return rule


@st.composite
def scenarios(draw):
    existing_names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    ids = ["id-%s" % name for name in existing_names]
    groups = []
    for name, gid in zip(existing_names, ids):
        rules = draw(st.lists(stored_rules(ids), max_size=5))
        tags = draw(st.sampled_from([[], [model.OWNER_TAG], ["x"]]))
        groups.append(group(gid, name, rules=rules, tags=tags))
    declared_names = draw(st.lists(st.sampled_from(NAMES + ["n1", "n2"]), unique=True, max_size=4))
    declaration = {"groups": []}
    for name in declared_names:
        entry = {"name": name}
        if draw(st.booleans()):
            entry["description"] = draw(st.sampled_from(["", "d"]))
        if draw(st.booleans()):
            entry["stateful"] = draw(st.booleans())
        if draw(st.booleans()):
            entry["tags"] = draw(st.lists(st.sampled_from(["t1", "t2"]), unique=True))
        entry["rules"] = draw(st.lists(declared_rules(declared_names), max_size=5))
        declaration["groups"].append(entry)
    options = {"state": "present", "purge_rules": draw(st.booleans()), "purge_groups": draw(st.booleans())}
    templates = draw(st.sampled_from([TEMPLATES, None, []]))
    return groups, declaration, options, templates


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_applying_a_plan_then_planning_again_yields_nothing(scenario):
    groups, declaration, options, templates = scenario
    state = observed(groups, templates=templates)
    # No ports anywhere; references are resolved by the plan.
    desired = parse_declaration(declaration) if _parses(declaration) else None
    if desired is None:
        return
    candidates, _address_groups = planner.deletion_candidates(desired, state, options)
    for gid in candidates:
        referencing = [r for g in groups for r in g["rules"] if r.get("remote_group_id") == gid]
        state["usage"][gid] = {"ports": [], "rules": referencing}
    try:
        plan, _warnings = planner.make_plan(desired, state, options)
    except planner.PlanError:
        return  # refused (e.g. a cascade); nothing to apply
    after = planner.simulate(state, plan)
    after["templates"] = templates
    after["usage"] = dict((g["id"], {"ports": [], "rules": []}) for g in after["groups"])
    again, _warnings = planner.make_plan(desired, after, options)
    assert again == [], again


def _parses(declaration):
    try:
        parse_declaration(declaration)
        return True
    except Exception:
        return False
