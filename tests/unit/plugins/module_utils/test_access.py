"""Effective access: merging and coalescing, questions, before/after changes (pure code)."""

import ipaddress
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from access_seed import INVENTORY, SEED  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _access as access  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError  # noqa: E402


def model_of(*rules, **extra):
    groups = [{"name": "g", "rules": list(rules)}] + list(extra.pop("groups", []))
    declarations = dict(extra, groups=groups)
    return access.model_from_declarations(declarations)


def rules_of(*rules, **extra):
    return access.rules_of(model_of(*rules, **extra).groups)


def policy(*rules, **extra):
    return [
        (e["ethertype"], e["protocol"], e["ports"], [s["source"] for s in e["sources"]]) for e in access.effective_policy(rules_of(*rules, **extra), "ingress")
    ]


# --- merging and coalescing ------------------------------------------------------


def test_adjacent_ranges_of_one_source_coalesce():
    assert policy({"protocol": "tcp", "port": 80}, {"protocol": "tcp", "port": 81}, {"protocol": "tcp", "port": "82-90"}) == [
        ("IPv4", "tcp", "80-90", ["0.0.0.0/0"])
    ]


def test_overlapping_ranges_of_one_source_merge():
    assert policy(
        {"protocol": "tcp", "port": "20-25", "remote_ip_prefix": "10.0.0.0/8"}, {"protocol": "tcp", "port": "22-30", "remote_ip_prefix": "10.0.0.0/8"}
    ) == [("IPv4", "tcp", "20-30", ["10.0.0.0/8"])]


def test_ranges_split_where_the_sources_differ():
    assert policy(
        {"protocol": "tcp", "port": "20-25", "remote_ip_prefix": "10.0.0.0/8"},
        {"protocol": "tcp", "port": "22-30", "remote_ip_prefix": "192.0.2.0/24"},
        {"protocol": "tcp", "port": 40, "remote_ip_prefix": "10.0.0.0/8"},
    ) == [
        ("IPv4", "tcp", "20-21", ["10.0.0.0/8"]),
        ("IPv4", "tcp", "22-25", ["10.0.0.0/8", "192.0.2.0/24"]),
        ("IPv4", "tcp", "26-30", ["192.0.2.0/24"]),
        ("IPv4", "tcp", "40", ["10.0.0.0/8"]),
    ]


def test_families_protocols_and_any_protocol_are_separate_entries():
    assert policy(
        {"protocol": "tcp", "port": 22, "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]},
        {"protocol": "any", "remote_ip_prefix": "192.0.2.0/24"},
        {"protocol": "udp"},
        {"protocol": "icmp", "icmp_type": 8},
        {"protocol": "icmp", "ethertype": "IPv6"},
    ) == [
        ("IPv4", "any", "all", ["192.0.2.0/24"]),
        ("IPv4", "icmp", "type 8", ["0.0.0.0/0"]),
        ("IPv4", "tcp", "22", ["10.0.0.0/8"]),
        ("IPv4", "udp", "all", ["0.0.0.0/0"]),
        ("IPv6", "ipv6-icmp", "all", ["::/0"]),
        ("IPv6", "tcp", "22", ["fd00::/8"]),
    ]


def test_icmp_types_and_codes_coalesce():
    assert policy({"protocol": "icmp", "icmp_type": 8}, {"protocol": "icmp", "icmp_type": 9}, {"protocol": "icmp", "icmp_type": 3, "icmp_code": 4}) == [
        ("IPv4", "icmp", "type 3 code 4", ["0.0.0.0/0"]),
        ("IPv4", "icmp", "types 8-9", ["0.0.0.0/0"]),
    ]


def test_policy_entry_lists_every_rule_and_the_collapsed_addresses():
    entries = access.effective_policy(
        rules_of(
            {"protocol": "tcp", "port": 22, "remote_ip_prefix": ["10.0.0.0/25", "10.0.0.128/25"]},
            {"protocol": "tcp", "port": "1-100", "remote_ip_prefix": "10.0.0.0/25"},
        ),
        "ingress",
    )
    port22 = [e for e in entries if e["ports"] == "22"][0]
    assert port22["addresses"] == ["10.0.0.0/24"]
    first = [s for s in port22["sources"] if s["source"] == "10.0.0.0/25"][0]
    assert [r["path"] for r in first["rules"]] == ["groups[0].rules[0]", "groups[0].rules[1]"]
    assert first["rules"][0]["rule"] == "ingress/IPv4/tcp/22/10.0.0.0/25"


def test_remote_groups_stay_symbolic_offline_and_address_groups_expand():
    entries = access.effective_policy(
        rules_of(
            {"protocol": "udp", "remote_group": "B"},
            {"protocol": "tcp", "port": 22, "remote_address_group": "office"},
            groups=[{"name": "B"}],
            address_groups=[{"name": "office", "addresses": ["203.0.113.0/24", "2001:db8::/32"]}],
        ),
        "ingress",
    )
    tcp, udp = entries
    assert tcp["sources"][0]["addresses"] == ["203.0.113.0/24"] and tcp["unresolved"] == []
    assert udp["sources"][0]["addresses"] is None and udp["unresolved"] == ["B"]
    assert access.policy_text(tcp) == "ingress IPv4 tcp/22 from address group office (203.0.113.0/24)"
    assert access.policy_text(udp) == "ingress IPv4 udp from group B"


PORT_RULES = st.lists(
    st.tuples(st.integers(1, 60), st.integers(0, 8), st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "0.0.0.0/0"])), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(PORT_RULES)
def test_policy_admits_exactly_what_some_rule_admits(specs):
    """Property: for every port, the entry holding it lists exactly the sources of the rules covering it."""
    rules = [{"protocol": "tcp", "port": "%d-%d" % (low, low + width), "remote_ip_prefix": prefix} for low, width, prefix in specs]
    entries = access.effective_policy(rules_of(*rules), "ingress")
    previous = None
    for entry in entries:
        assert entry["port_min"] <= entry["port_max"]
        if previous is not None:
            assert previous["port_max"] < entry["port_min"]
            if previous["port_max"] + 1 == entry["port_min"]:
                assert set(s["source"] for s in previous["sources"]) != set(s["source"] for s in entry["sources"])
        previous = entry
    for port in range(1, 70):
        expected = set(prefix for low, width, prefix in specs if low <= port <= low + width)
        holding = [e for e in entries if e["port_min"] <= port <= e["port_max"]]
        assert len(holding) <= 1
        assert set(s["source"] for e in holding for s in e["sources"]) == expected


# --- questions ----------------------------------------------------------------------


def ask(rules, source=None, protocol=None, port=None, direction="ingress", model_=None):
    principal = access.principal_from_source(source, model_)
    return access.ask(rules, direction, principal, protocol, port, "web-1")


def test_the_seed_offline():
    seed = access.model_from_declarations(SEED)
    rules = access.rules_of(access.declared_groups(seed, access.server_groups_offline(seed, "web-1")))
    arbitrary = ask(rules, "203.0.113.7", "tcp", 21, model_=seed)
    assert arbitrary["allowed"] and [m["path"] for m in arbitrary["matching_rules"]] == ["groups[0].rules[1]"]
    assert arbitrary["answer"] == "yes: 203.0.113.7 can reach tcp/21 on web-1 (group A: ingress/IPv4/tcp/21/any)"
    blocked = ask(rules, "203.0.113.7", "tcp", 4443, model_=seed)
    assert not blocked["allowed"] and blocked["matching_rules"] == []
    assert [m["path"] for m in blocked["undetermined_rules"]] == ["groups[0].rules[2]"]
    in_b = ask(rules, "B", "udp", 53, model_=seed)
    assert in_b["allowed"] and in_b["answer"].startswith("yes: a server in group B can reach udp/53 on web-1")
    what = ask(rules, None, "udp", model_=seed)
    assert what["sources"] == ["group B"] and what["answer"] == ("udp on web-1 is reachable from group B (group A: ingress/IPv4/udp/all/group=B)")


def test_a_cidr_is_allowed_only_when_all_of_it_is_covered():
    rules = rules_of(
        {"protocol": "tcp", "port": 22, "remote_ip_prefix": ["10.0.0.0/25", "10.0.0.128/25"]},
        {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.1.0/24"},
    )
    both = ask(rules, "10.0.0.0/24", "tcp", 22)
    assert both["allowed"] is True and [m["coverage"] for m in both["matching_rules"]] == ["partial", "partial"]
    wider = ask(rules, "10.0.0.0/22", "tcp", 22)
    assert wider["allowed"] is False and len(wider["matching_rules"]) == 3 and wider["answer"].startswith("partly: ")
    assert ask(rules, "10.0.1.7", "tcp", 22)["matching_rules"][0]["coverage"] == "full"
    assert ask(rules, "10.0.2.7", "tcp", 22)["allowed"] is False


def test_ipv6_questions_only_see_ipv6_rules():
    rules = rules_of({"protocol": "tcp", "port": 443, "remote_ip_prefix": ["0.0.0.0/0", "2001:db8::/32"]})
    assert ask(rules, "2001:db8::1", "tcp", 443)["allowed"] is True
    assert ask(rules, "2001:db9::1", "tcp", 443)["allowed"] is False
    assert ask(rules, "2001:db8::/48", "tcp", 443)["allowed"] is True
    assert ask(rules, "2001:DB8::/48", "tcp", 443)["allowed"] is True
    assert ask(rules, "2001:db8:0::0001", "tcp", 443)["answer"].startswith("yes: 2001:db8::1 can reach")
    assert ask(rules, "198.51.100.1", "tcp", 443)["allowed"] is True


def test_any_protocol_icmp_and_egress_questions():
    rules = rules_of(
        {"protocol": "any", "remote_ip_prefix": "192.0.2.0/24"}, {"protocol": "icmp", "icmp_type": 8}, {"direction": "egress", "protocol": "tcp", "port": 443}
    )
    assert ask(rules, "192.0.2.9", "udp", 53)["allowed"] is True
    assert ask(rules, "198.51.100.1", "icmp", 8)["allowed"] is True
    assert ask(rules, "198.51.100.1", "icmp", 0)["allowed"] is False
    assert ask(rules, "198.51.100.1", "tcp", 443)["allowed"] is False
    egress = ask(rules, "198.51.100.1", "tcp", 443, direction="egress")
    assert egress["allowed"] and egress["answer"].startswith("yes: web-1 can send tcp/443 to 198.51.100.1")
    assert ask(rules, None, None, 22)["sources"] == ["192.0.2.0/24"]


def test_bad_questions_fail_clearly():
    seed = access.model_from_declarations(SEED)
    with pytest.raises(access.AccessError, match="host bits"):
        access.principal_from_source("10.0.0.1/8")
    with pytest.raises(access.AccessError, match="neither an IP address"):
        access.principal_from_source("nosuchgroup", seed)
    with pytest.raises(access.AccessError, match="unknown protocol"):
        ask(access.rules_of(seed.groups), "10.0.0.1", "tcpx", 22)
    with pytest.raises(access.AccessError, match="not in the declarations' servers list"):
        access.server_groups_offline(seed, "db-9")
    with pytest.raises(access.AccessError, match="not declared"):
        access.declared_groups(seed, ["A", "default"])
    with pytest.raises(DeclarationError, match="unknown key"):
        access.model_from_declarations({"groups": [], "server": []})


@settings(max_examples=150, deadline=None)
@given(PORT_RULES, st.integers(1, 70), st.sampled_from(["10.2.3.4", "10.1.2.3", "192.0.2.200", "198.51.100.1"]))
def test_answers_agree_with_brute_force(specs, port, address):
    rules = [{"protocol": "tcp", "port": "%d-%d" % (low, low + width), "remote_ip_prefix": prefix} for low, width, prefix in specs]
    result = ask(rules_of(*rules), address, "tcp", port)
    ip = ipaddress.ip_address(address)
    expected = [i for i, (low, width, prefix) in enumerate(specs) if low <= port <= low + width and ip in ipaddress.ip_network(prefix)]
    assert result["allowed"] is bool(expected)
    assert len(result["matching_rules"]) == len(set((specs[i][0], specs[i][1], specs[i][2]) for i in expected))


# --- the live model ---------------------------------------------------------------------


def test_live_remote_groups_expand_to_member_addresses():
    live = access.model_from_inventory(INVENTORY)
    rules = access.rules_of([g for g in live.groups if g.name == "A"])
    udp = [e for e in access.effective_policy(rules, "ingress") if e["protocol"] == "udp"][0]
    assert udp["sources"][0]["source"] == "B" and udp["sources"][0]["addresses"] == ["10.250.0.11/32"]
    table = [
        (source, protocol, port, ask(rules, source, protocol, port, model_=live)["allowed"])
        for source in ("10.250.0.11", "10.250.0.12", "203.0.113.7")
        for protocol, port in (("udp", 53), ("tcp", 4443), ("tcp", 21))
    ]
    assert [allowed for _s, _p, _n, allowed in table] == [True, True, True, False, False, True, False, False, True]
    assert ask(rules, "B", "tcp", 4443, model_=live)["matching_rules"][0]["id"] == "r3"
    foreign = ask(rules, "10.250.0.12", "tcp", 8080, model_=live)
    assert foreign["allowed"] is False and foreign["undetermined_rules"][0]["id"] == "r4"


# --- before / after ----------------------------------------------------------------------


def changes(before_rules, after_rules, **extra):
    before = {"groups": [{"name": "db", "rules": before_rules}], "servers": [{"server": "db-1", "security_groups": ["db"]}]}
    after = {"groups": [{"name": "db", "rules": after_rules}], "servers": [{"server": "db-1", "security_groups": ["db"]}]}
    for key, value in extra.items():
        before[key] = after[key] = value
    return [c["message"] for c in access.declarations_changes(before, after)]


def test_a_change_that_opens_rdp_to_the_world_says_so():
    base = [{"protocol": "tcp", "port": 5432, "remote_ip_prefix": "10.0.0.0/8"}]
    assert changes(base, base + [{"protocol": "tcp", "port": 3389}]) == ["this change opens tcp/3389 on db-1 to 0.0.0.0/0"]
    assert changes(base + [{"protocol": "tcp", "port": 3389}], base) == ["this change closes tcp/3389 on db-1 for 0.0.0.0/0"]
    assert changes(base, base) == []


def test_changes_compare_address_sets_not_spellings():
    world = [{"protocol": "tcp", "port": "1-1000"}]
    assert changes(world, world + [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}]) == []
    narrow = [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/9"}]
    assert changes(narrow, [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}]) == ["this change opens tcp/22 on db-1 to 10.128.0.0/9"]
    assert (
        changes(
            [{"protocol": "any", "remote_ip_prefix": "10.0.0.0/8"}],
            [{"protocol": "any", "remote_ip_prefix": "10.0.0.0/8"}, {"protocol": "udp", "port": 53, "remote_ip_prefix": "10.1.0.0/16"}],
        )
        == []
    )


def test_changes_of_groups_and_address_groups():
    assert changes(
        [{"protocol": "tcp", "port": 22, "remote_group": "bastion"}], [{"protocol": "tcp", "port": "22-23", "remote_group": "bastion"}], address_groups=[]
    ) == ["this change opens tcp/23 on db-1 to group bastion"]
    before = {
        "address_groups": [{"name": "office", "addresses": ["203.0.113.0/24"]}],
        "groups": [{"name": "db", "rules": [{"protocol": "tcp", "port": 22, "remote_address_group": "office"}]}],
    }
    after = {"address_groups": [{"name": "office", "addresses": ["203.0.113.0/24", "198.51.100.0/24"]}], "groups": before["groups"]}
    found = access.declarations_changes(before, after)
    assert [c["message"] for c in found] == ["this change opens tcp/22 on group db to 198.51.100.0/24"]
    assert found[0]["rules"] == [{"group": "db", "rule": "ingress/IPv4/tcp/22/address-group=office", "path": "groups[0].rules[0]"}]
