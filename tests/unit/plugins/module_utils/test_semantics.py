"""Issue 13 on the pure code: what is not declared is left alone; peer spellings; ICMP types per family."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _icmp as icmp
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._declarations_file import compact_rule
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError

PROJECT = "p1"
SSH = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}
TEMPLATES = [{"direction": "egress", "ethertype": "IPv4"}, {"direction": "egress", "ethertype": "IPv6"}]


def observed(*groups):
    return {
        "project_id": PROJECT,
        "groups": list(groups),
        "address_groups": [],
        "known_groups": {},
        "known_address_groups": {},
        "templates": TEMPLATES,
        "usage": {},
        "address_group_usage": {},
    }


def group(gid, name, *rules):
    return {
        "id": gid,
        "name": name,
        "description": "",
        "stateful": True,
        "tags": [model.OWNER_TAG],
        "project_id": PROJECT,
        "rules": [dict(r, id="%s-r%d" % (gid, i), security_group_id=gid) for i, r in enumerate(rules)],
    }


def plan_for(declaration, current, **options):
    options.setdefault("state", "present")
    return planner.make_plan(parse_declaration(declaration), current, options)[0]


def errors_of(declaration):
    with pytest.raises(DeclarationError) as info:
        parse_declaration(declaration)
    return info.value.errors


def one_rule(**fields):
    return {"groups": [{"name": "g", "rules": [fields]}]}


def keys_of(**fields):
    return [r.key for r in parse_declaration(one_rule(**fields)).groups[0].rules]


# --- rules and descriptions that are not declared ----------------------------------


def test_rules_key_omitted_is_none_and_empty_list_is_empty():
    desired = parse_declaration({"groups": [{"name": "a"}, {"name": "b", "rules": []}]})
    assert desired.groups[0].rules is None
    assert desired.groups[1].rules == []


@pytest.mark.parametrize("purge_rules", [True, False])
def test_group_without_rules_keeps_its_rules(purge_rules):
    current = observed(group("g1", "web", SSH, {"direction": "egress", "ethertype": "IPv4"}))
    assert plan_for({"groups": [{"name": "web"}]}, current, purge_rules=purge_rules) == []
    # ... while an empty list still means no rules.
    assert [op["action"] for op in plan_for({"groups": [{"name": "web", "rules": []}]}, current)] == ["delete_rule", "delete_rule"]


def test_group_without_rules_still_gets_its_attributes_managed():
    current = observed(group("g1", "web", SSH))
    plan = plan_for({"groups": [{"name": "web", "description": "new"}]}, current)
    assert [op["action"] for op in plan] == ["update_group"]


def test_new_group_without_rules_keeps_what_the_template_gives():
    plan = plan_for({"groups": [{"name": "web"}]}, observed())
    assert [op["action"] for op in plan] == ["create_group"]
    state = planner.simulate(observed(), plan)
    assert sorted(r["ethertype"] for r in state["groups"][0]["rules"]) == ["IPv4", "IPv6"]


def test_state_absent_and_purge_groups_ignore_the_missing_rules_key():
    current = observed(group("g1", "web", SSH), group("g2", "old"))
    current["usage"] = {"g1": {"ports": [], "rules": []}, "g2": {"ports": [], "rules": []}}
    assert [op["action"] for op in plan_for({"groups": [{"name": "web"}]}, current, state="absent")] == ["delete_group"]
    plan = plan_for({"groups": [{"name": "web"}]}, current, purge_groups=True)
    assert [(op["action"], op["group"]) for op in plan] == [("delete_group", "old")]


def test_description_omitted_matches_any_description():
    current = observed(group("g1", "web", dict(SSH, description="someone's note")))
    assert plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22}]}]}, current) == []


def test_description_empty_string_must_be_empty():
    current = observed(group("g1", "web", dict(SSH, description="someone's note")))
    plan = plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22, "description": ""}]}]}, current)
    (replaced,) = plan  # one replace_rule operation (issue 13): delete + create back to back
    assert replaced["action"] == "replace_rule" and replaced["body"].get("description", "") == ""
    assert replaced["id"] == "g1-r0" and replaced["reason"].startswith("description changes from \"someone's note\" to ''")


def test_description_omitted_on_a_rule_present_twice_keeps_one_and_deletes_the_duplicate():
    # Two rules with one canonical identity (an older Neutron kept both spellings): one is kept, whatever
    # the descriptions, the other is a duplicate.
    twin = dict(SSH, port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0", description="b")
    current = observed(group("g1", "web", dict(SSH, description="a"), twin))
    plan = plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22}]}]}, current)
    assert [(op["action"], op["id"]) for op in plan] == [("delete_rule", "g1-r1")]
    assert plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22}]}]}, current, purge_rules=True)[0]["reason"].startswith(
        "duplicate of a declared rule"
    )


def test_created_rule_without_description_has_none():
    plan = plan_for({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22}]}]}, observed(group("g1", "web")))
    assert plan[0]["action"] == "create_rule" and "description" not in plan[0]["body"]


def test_same_rule_twice_omitted_description_yields_to_the_given_one():
    desired = parse_declaration(
        {
            "groups": [
                {
                    "name": "g",
                    "rules": [{"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port": 22, "description": "ssh"}, {"protocol": "tcp", "port": 22}],
                }
            ]
        }
    )
    assert [r.description for r in desired.groups[0].rules] == ["ssh"]
    errors = errors_of(
        {
            "groups": [
                {
                    "name": "g",
                    "rules": [
                        {"protocol": "tcp", "port": 22},
                        {"protocol": "tcp", "port": 22, "description": "a"},
                        {"protocol": "tcp", "port": 22, "description": "b"},
                    ],
                }
            ]
        }
    )
    assert errors[0].startswith("groups[0].rules[2]: the same rule as groups[0].rules[1]")


# --- peer spellings -------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["tcp", "udp", "sctp", "dccp", "udplite", "6"])
def test_minus_one_on_both_ends_is_all_ports_as_neutron_stores_it(protocol):
    assert keys_of(protocol=protocol, port_range_min=-1, port_range_max=-1) == keys_of(protocol=protocol)
    assert keys_of(protocol=protocol)[0].port_min is None


@pytest.mark.parametrize("spelling,expected", [("22:22", (22, 22)), ("8000:8100", (8000, 8100)), (" 1 : 65535 ", (None, None)), ("22-22", (22, 22))])
def test_colon_ranges_mean_what_dash_ranges_mean(spelling, expected):
    (key,) = keys_of(protocol="tcp", port=spelling)
    assert (key.port_min, key.port_max) == expected


@pytest.mark.parametrize(
    "rule,path,words",
    [
        (dict(protocol="tcp", port_range_min=-1), "port_range_min", ["both -1"]),
        (dict(protocol="tcp", port_range_min=-1, port_range_max=22), "port_range_min", ["both -1"]),
        (dict(protocol="udp", port_range_min=22, port_range_max=-1), "port_range_max", ["both -1"]),
        (dict(protocol="gre", port_range_min=-1, port_range_max=-1), "port_range_min", ["need a port protocol", "gre"]),
        (dict(port_range_min=-1, port_range_max=-1), "port_range_min", ["protocol is any", "-1 means all ports only"]),
        (dict(protocol="tcp", port="0:0"), "port", ["within 1-65535"]),
        (dict(protocol="tcp", port="65535:1"), "port", ["reversed", "write 1:65535"]),
        (dict(protocol="tcp", port="22:"), "port", ["not a port", "min:max"]),
        (dict(protocol="tcp", port="22::23"), "port", ["not a port"]),
        (dict(protocol="tcp", port="22-:23"), "port", ["not a port"]),
    ],
)
def test_odd_port_spellings_are_refused_with_the_field(rule, path, words):
    errors = errors_of(one_rule(**rule))
    assert len(errors) == 1 and errors[0].startswith("groups[0].rules[0].%s:" % path), errors
    for word in words:
        assert word in errors[0], errors


# --- ICMP types per family ------------------------------------------------------------


@pytest.mark.parametrize(
    "rule,path,words",
    [
        (dict(protocol="icmp", ethertype="IPv6", icmp_type=8), "icmp_type", ["type 8 is ICMP (IPv4) echo-request", "type 128"]),
        (dict(protocol="ICMP", ethertype="IPv6", icmp_type=8), "icmp_type", ["type 128"]),
        (dict(protocol="ipv6-icmp", icmp_type=0), "icmp_type", ["echo-reply", "type 129"]),
        (dict(protocol="icmp", remote_ip_prefix="2001:db8::/32", port_range_min=8, port_range_max=0), "port_range_min", ["type 128"]),
        (dict(protocol="icmp", icmp_type=128), "icmp_type", ["ICMPv6 echo-request", "on IPv4, echo-request is type 8"]),
        (dict(protocol="icmp", icmp_type=135), "icmp_type", ["neighbor-solicitation", "for IPv6 only"]),
        (
            dict(protocol="icmp", icmp_type=3, remote_ip_prefix=["10.0.0.0/8", "fd00::/8"]),
            "icmp_type",
            ["destination-unreachable on IPv4 but time-exceeded on IPv6", "one rule per family", "type 1"],
        ),
        (dict(protocol="icmp", icmp_type=8, remote_ip_prefix=["10.0.0.0/8", "fd00::/8"]), "icmp_type", ["type 128"]),
        (dict(protocol="icmp", icmp_type=8, icmp_code=3), "icmp_code", ["echo-request) has codes 0-0, not 3"]),
        (dict(protocol="1", ethertype="IPv6", icmp_type=3, icmp_code=5), "icmp_code", ["ICMPv6 type 3", "codes 0-1"]),
    ],
)
def test_icmp_types_are_checked_per_family(rule, path, words):
    errors = errors_of(one_rule(**rule))
    assert errors and all(e.startswith("groups[0].rules[0].%s:" % path) for e in errors), errors
    for word in words:
        assert word in " ".join(errors), errors


@pytest.mark.parametrize(
    "rule",
    [
        dict(protocol="icmp", icmp_type=8, icmp_code=0),
        dict(protocol="icmp", ethertype="IPv6", icmp_type=128),
        dict(protocol="icmpv6", icmp_type=135),
        dict(protocol="icmp", port_range_min=-1, port_range_max=-1, remote_ip_prefix=["10.0.0.0/8", "fd00::/8"]),
        dict(protocol="icmp", icmp_type=99),  # unassigned in both families: Neutron's business
        dict(protocol="icmp", ethertype="IPv6", icmp_type=8, audit_waive=[icmp.WAIVER]),
    ],
)
def test_icmp_rules_that_fit_their_family_pass(rule):
    parse_declaration(one_rule(**rule))


def test_icmp_tables_pair_by_name():
    for family, _other in (("IPv4", "IPv6"), ("IPv6", "IPv4")):
        for number, (_name, _code) in icmp.TYPES[family].items():
            assert icmp.type_error(number, family) is None
    assert icmp.type_error(8, "IPv6").endswith("on IPv6, echo-request is type 128")
    assert icmp.type_error(128, "IPv4").endswith("on IPv4, echo-request is type 8")


def test_export_of_a_cloud_rule_with_the_other_familys_type_waives_it_and_plans_nothing():
    rule = {"direction": "ingress", "ethertype": "IPv6", "protocol": "ipv6-icmp", "port_range_min": 8, "port_range_max": 0}
    key = model.key_from_neutron(rule)
    exported = compact_rule(key, "", None)
    assert exported["audit_waive"] == [icmp.WAIVER]
    current = observed(group("g1", "web", rule))
    assert plan_for({"groups": [{"name": "web", "rules": [exported]}]}, current) == []
    assert "audit_waive" not in compact_rule(model.key_from_neutron(dict(rule, port_range_min=128)), "", None)
