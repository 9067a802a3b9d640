"""Audit checks, shadowing, ids, waivers and the report (pure code)."""

import ipaddress
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from access_seed import INVENTORY, SEED_GROUPS, neutron_rule  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _access as access  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _audit as auditing  # noqa: E402


def findings_of(groups, **extra):
    declarations = dict(extra, groups=groups)
    return auditing.audit(access.model_from_declarations(declarations), extra.pop("admin_ports", None))


def ids(findings, check=None, waived=False):
    return [f["id"] for f in findings if (check is None or f["check"] == check) and f["waived"] is waived]


def one_rule(declared):
    rules = access.rules_of(access.model_from_declarations({"groups": [{"name": "g", "rules": [declared]}]}).groups)
    assert len(rules) == 1
    return rules[0]


# --- shadowing ---------------------------------------------------------------------

SHADOWING = [
    # (wide, narrow, wide covers narrow)
    ({"protocol": "tcp", "port": "20-25"}, {"protocol": "tcp", "port": 22}, True),
    ({"protocol": "tcp", "port": "20-25"}, {"protocol": "tcp", "port": "24-26"}, False),
    ({"protocol": "tcp"}, {"protocol": "tcp", "port": "1-100"}, True),
    ({"protocol": "any"}, {"protocol": "udp", "port": 53}, True),
    ({"protocol": "udp"}, {"protocol": "tcp", "port": 53}, False),
    ({"protocol": "tcp", "remote_ip_prefix": "10.0.0.0/8"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.1.0.0/16"}, True),
    ({"protocol": "tcp", "remote_ip_prefix": "10.1.0.0/16"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}, False),
    ({"protocol": "tcp", "remote_ip_prefix": "10.0.0.0/9"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.128.0.0/9"}, False),
    ({"protocol": "tcp"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}, True),
    ({"protocol": "tcp"}, {"protocol": "tcp", "port": 22, "remote_group": "web"}, True),
    ({"protocol": "tcp", "remote_ip_prefix": "10.0.0.0/8"}, {"protocol": "tcp", "port": 22, "remote_group": "web"}, False),
    ({"protocol": "tcp", "remote_group": "web"}, {"protocol": "tcp", "port": 22, "remote_group": "web"}, True),
    ({"protocol": "tcp", "remote_group": "web"}, {"protocol": "tcp", "port": 22, "remote_group": "app"}, False),
    ({"protocol": "tcp", "remote_group": "web"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}, False),
    ({"protocol": "tcp", "remote_address_group": "office"}, {"protocol": "tcp", "port": 22, "remote_address_group": "office"}, True),
    ({"protocol": "tcp", "ethertype": "IPv6"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "2001:db8::/32"}, True),
    ({"protocol": "tcp", "remote_ip_prefix": "2001:db8::/32"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "2001:db8:1::/48"}, True),
    ({"protocol": "tcp"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "2001:db8::/32"}, False),  # other family
    ({"protocol": "icmp"}, {"protocol": "icmp", "icmp_type": 8}, True),
    ({"protocol": "icmp", "icmp_type": 8}, {"protocol": "icmp", "icmp_type": 8, "icmp_code": 0}, True),
    ({"protocol": "icmp", "icmp_type": 8, "icmp_code": 0}, {"protocol": "icmp", "icmp_type": 8}, False),
    ({"protocol": "icmp", "icmp_type": 8}, {"protocol": "icmp", "icmp_type": 0}, False),
    ({"direction": "egress"}, {"protocol": "tcp", "port": 22}, False),  # other direction
]


@pytest.mark.parametrize("wide,narrow,expected", SHADOWING)
def test_covers(wide, narrow, expected):
    assert auditing.covers(one_rule(wide), one_rule(narrow)) is expected


def test_shadowed_rules_are_found_in_the_same_group_only():
    found = findings_of(
        [
            {
                "name": "g",
                "rules": [
                    {"protocol": "tcp", "port": "20-25", "remote_ip_prefix": "10.0.0.0/8"},
                    {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.1.0.0/16"},
                ],
            },
            {"name": "h", "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.1.0.0/16"}]},
        ]
    )
    shadowed = [f for f in found if f["check"] == "shadowed-rule"]
    assert [f["id"] for f in shadowed] == ["shadowed-rule:g:ingress/IPv4/tcp/22/10.1.0.0/16"]
    assert shadowed[0]["path"] == "groups[0].rules[1]" and "groups[0].rules[0]" in shadowed[0]["message"]


def test_a_rule_covered_only_by_several_rules_together_is_not_shadowed():
    found = findings_of(
        [
            {
                "name": "g",
                "rules": [
                    {"protocol": "tcp", "port": 22, "remote_ip_prefix": ["10.0.0.0/25", "10.0.0.128/25"]},
                    {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/24"},
                ],
            }
        ]
    )
    assert ids(found, "shadowed-rule") == ["shadowed-rule:g:ingress/IPv4/tcp/22/10.0.0.0/25", "shadowed-rule:g:ingress/IPv4/tcp/22/10.0.0.128/25"]


SAMPLE_RULES = st.fixed_dictionaries(
    {
        "protocol": st.sampled_from(["tcp", "udp", "any"]),
        "low": st.integers(1, 30),
        "width": st.integers(0, 10),
        "prefix": st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.0.2.0/24"]),
    }
)


def _declared(spec):
    declared = {"protocol": spec["protocol"], "remote_ip_prefix": spec["prefix"]}
    if spec["protocol"] != "any":
        declared["port"] = "%d-%d" % (spec["low"], spec["low"] + spec["width"])
    return declared


def _admits(spec, protocol, port, address):
    if spec["protocol"] != "any" and (spec["protocol"] != protocol or not spec["low"] <= port <= spec["low"] + spec["width"]):
        return False
    return ipaddress.ip_address(address) in ipaddress.ip_network(spec["prefix"])


@settings(max_examples=200, deadline=None)
@given(SAMPLE_RULES, SAMPLE_RULES)
def test_covers_is_sound_and_complete_on_samples(wide, narrow):
    """covers(Y, X) exactly when every sampled packet X admits, Y admits too (CIDR sources)."""
    if _declared(wide) == _declared(narrow):
        return
    packets = [
        (protocol, port, address)
        for protocol in ("tcp", "udp")
        for port in range(1, 42)
        for address in ("10.1.2.3", "10.1.9.9", "10.9.9.9", "192.0.2.1", "198.51.100.1")
    ]
    admitted = [p for p in packets if _admits(narrow, *p)]
    expected = all(_admits(wide, *p) for p in admitted)
    if not admitted:
        return
    covered = auditing.covers(one_rule(_declared(wide)), one_rule(_declared(narrow)))
    if covered:
        assert expected
    # Sampled addresses represent every prefix of the table, so the converse holds too.
    elif narrow["prefix"] != "0.0.0.0/0" or wide["prefix"] == "0.0.0.0/0":
        assert not expected


# --- the world checks --------------------------------------------------------------------


def test_world_admin_ports_default_and_override():
    groups = [
        {
            "name": "g",
            "rules": [
                {"protocol": "tcp", "port": "20-25"},
                {"protocol": "tcp", "port": 443},
                {"protocol": "tcp", "port": 3389, "ethertype": "IPv6"},
                {"protocol": "tcp", "port": 5432, "remote_ip_prefix": "10.0.0.0/8"},
                {"protocol": "udp", "port": 11211},
            ],
        }
    ]
    found = findings_of(groups)
    assert ids(found, "world-admin-port") == [
        "world-admin-port:g:ingress/IPv4/tcp/20-25/any",
        "world-admin-port:g:ingress/IPv4/udp/11211/any",
        "world-admin-port:g:ingress/IPv6/tcp/3389/any",
    ]
    first = [f for f in found if f["id"].endswith("tcp/20-25/any")][0]
    assert first["severity"] == "high" and "22 (SSH), 23 (Telnet)" in first["message"] and first["rule"]["port"] == "20-25"
    overridden = auditing.audit(access.model_from_declarations({"groups": groups}), [443, "8000-8100"])
    assert ids(overridden, "world-admin-port") == ["world-admin-port:g:ingress/IPv4/tcp/443/any"]
    with pytest.raises(auditing.AuditError, match=r"admin_ports\[0\]"):
        auditing.parse_admin_ports(["ssh"])


def test_world_any_protocol_and_address_groups_spanning_the_world():
    found = findings_of(
        [{"name": "g", "rules": [{"protocol": "any", "ethertype": "IPv6"}, {"protocol": "tcp", "port": 22, "remote_address_group": "all"}]}],
        address_groups=[{"name": "all", "addresses": ["0.0.0.0/1", "128.0.0.0/1"]}],
    )
    assert ids(found, "world-any-protocol") == ["world-any-protocol:g:ingress/IPv6/any/all/any"]
    assert ids(found, "world-admin-port") == ["world-admin-port:g:ingress/IPv4/tcp/22/address-group=all"]


# --- asymmetric families --------------------------------------------------------------------


def test_world_rules_on_one_family_only_are_flagged():
    found = findings_of(
        [
            {
                "name": "g",
                "rules": [
                    {"protocol": "tcp", "port": 443},
                    {"protocol": "tcp", "port": 443, "ethertype": "IPv6"},
                    {"protocol": "tcp", "port": 80},
                    {"protocol": "tcp", "port": 8080, "remote_ip_prefix": "10.0.0.0/8"},
                ],
            }
        ]
    )
    assert ids(found, "asymmetric-family") == ["asymmetric-family:g:ingress/IPv4/tcp/80/any"]


def test_symmetric_tag_checks_every_rule():
    found = findings_of(
        [
            {
                "name": "g",
                "tags": ["audit:symmetric"],
                "rules": [
                    {"protocol": "tcp", "port": 22, "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]},
                    {"protocol": "tcp", "port": 5432, "remote_group": "g"},
                    {"protocol": "icmp", "icmp_type": 8},
                    {"protocol": "icmp", "ethertype": "IPv6", "icmp_type": 128},
                    {"protocol": "udp", "port": 53, "remote_ip_prefix": "10.0.0.0/8"},
                ],
            }
        ]
    )
    assert ids(found, "asymmetric-family") == ["asymmetric-family:g:ingress/IPv4/tcp/5432/group=g", "asymmetric-family:g:ingress/IPv4/udp/53/10.0.0.0/8"]


# --- usage, foreign groups, stateless -------------------------------------------------------


def test_unused_groups_need_a_servers_list():
    groups = [{"name": "web"}, {"name": "db"}, {"name": "default"}]
    assert ids(findings_of(groups), "unused-group") == []
    assert ids(findings_of(groups, servers=[]), "unused-group") == []
    found = findings_of(groups, servers=[{"server": "web-1", "security_groups": ["web"]}])
    assert ids(found, "unused-group") == ["unused-group:db"]


def test_foreign_remote_groups():
    offline = findings_of(
        [
            {
                "name": "g",
                "rules": [
                    {"protocol": "tcp", "port": 22, "remote_group": "0f6b1a3c-7c0e-4d0f-9a6d-3e0b5f1c2d4e"},
                    {"protocol": "tcp", "port": 23, "remote_group": "g"},
                ],
            }
        ]
    )
    foreign = [f for f in offline if f["check"] == "foreign-remote-group"]
    assert [f["severity"] for f in foreign] == ["low"] and "by id" in foreign[0]["message"]
    live = auditing.audit(access.model_from_inventory(INVENTORY))
    assert ids(live, "foreign-remote-group") == ["foreign-remote-group:A:ingress/IPv4/tcp/8080/group=foreign-id"]
    assert [f for f in live if f["check"] == "foreign-remote-group"][0]["severity"] == "medium"


def test_stateless_groups_need_reply_rules():
    base = [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}, {"protocol": "icmp", "icmp_type": 8}]
    found = findings_of([{"name": "s", "stateful": False, "rules": base}])
    assert ids(found, "stateless-no-reply") == ["stateless-no-reply:s:ingress/IPv4/icmp/type8/any", "stateless-no-reply:s:ingress/IPv4/tcp/22/10.0.0.0/8"]
    hint = [f for f in found if "tcp/22" in f["id"]][0]["hint"]
    assert "direction: egress" in hint and "port: 32768-65535" in hint and "remote_ip_prefix: 10.0.0.0/8" in hint
    replies = base + [
        {"direction": "egress", "protocol": "tcp", "port": "1024-65535", "remote_ip_prefix": "10.0.0.0/8"},
        {"direction": "egress", "protocol": "icmp", "icmp_type": 0},
    ]
    assert ids(findings_of([{"name": "s", "stateful": False, "rules": replies}]), "stateless-no-reply") == []
    # Reply rules in another stateless group worn by the same server count.
    split = findings_of(
        [{"name": "s", "stateful": False, "rules": base}, {"name": "out", "stateful": False, "rules": [{"direction": "egress"}]}],
        servers=[{"server": "x", "security_groups": ["s", "out"]}],
    )
    assert ids(split, "stateless-no-reply") == []
    assert ids(findings_of([{"name": "s", "rules": base}]), "stateless-no-reply") == []


def test_stateless_egress_for_any_protocol_needs_tcp_and_udp_replies_never_any():
    found = findings_of([{"name": "s", "stateful": False, "rules": [{"direction": "egress"}]}])
    (finding,) = [f for f in found if f["check"] == "stateless-no-reply"]
    assert finding["id"] == "stateless-no-reply:s:egress/IPv4/any/all/any"
    assert finding["hint"] == (
        "add {direction: ingress, ethertype: IPv4, protocol: tcp, port: 32768-65535} and "
        "{direction: ingress, ethertype: IPv4, protocol: udp, port: 32768-65535} (replies go to the "
        "clients' ephemeral ports), or make the group stateful"
    )
    fixed = [{"direction": "egress"}, {"protocol": "tcp", "port": "32768-65535"}, {"protocol": "udp", "port": "32768-65535"}]
    assert ids(findings_of([{"name": "s", "stateful": False, "rules": fixed}]), "stateless-no-reply") == []


# --- ids and waivers ------------------------------------------------------------------------


def test_ids_are_the_same_live_and_offline():
    declared = access.model_from_declarations({"groups": SEED_GROUPS})
    live_rules = dict((r.ref["id"], r) for r in access.model_from_inventory(INVENTORY).groups[0].rules)
    declared_rules = declared.groups[0].rules
    for live_id, offline in zip(("r1", "r2", "r3"), declared_rules):
        assert auditing.finding_id("x", "A", live_rules[live_id]) == auditing.finding_id("x", "A", offline)
    assert auditing.finding_id("world-admin-port", "A", declared_rules[1]) == "world-admin-port:A:ingress/IPv4/tcp/21/any"


def test_waivers_by_id_by_check_and_by_group_tag():
    model_ = access.model_from_declarations(
        {
            "groups": [
                {
                    "name": "bastion",
                    "rules": [
                        {"protocol": "tcp", "port": 22, "audit_waive": ["world-admin-port:bastion:ingress/IPv4/tcp/22/any"]},
                        {"protocol": "tcp", "port": 3389, "audit_waive": ["world-admin-port", "nonsense"]},
                    ],
                },
                {"name": "v4only", "tags": ["audit-waive:asymmetric-family"], "rules": [{"protocol": "tcp", "port": 443}]},
            ]
        }
    )
    found = auditing.audit(model_)
    waived = dict((f["id"], f["waiver"]) for f in found if f["waived"])
    assert waived == {
        "world-admin-port:bastion:ingress/IPv4/tcp/22/any": {
            "by": "world-admin-port:bastion:ingress/IPv4/tcp/22/any",
            "where": "groups[0].rules[0] audit_waive",
        },
        "world-admin-port:bastion:ingress/IPv4/tcp/3389/any": {"by": "world-admin-port", "where": "groups[0].rules[1] audit_waive"},
        "asymmetric-family:v4only:ingress/IPv4/tcp/443/any": {"by": "asymmetric-family", "where": "group v4only tag audit-waive:<id or check>"},
    }
    summary = auditing.summarize(found)
    assert summary["high"] == 0 and summary["waived"] == 3 and summary["low"] == 2  # bastion's two asymmetric rules
    assert auditing.blocking(found, "high") == [] and len(auditing.blocking(found, "low")) == 2
    assert auditing.blocking(found, "none") == []
    warnings = auditing.unknown_waivers(found, model_)
    assert len(warnings) == 1 and "'nonsense'" in warnings[0] and "groups[0].rules[1]" in warnings[0]


def test_findings_are_sorted_and_complete():
    found = findings_of([{"name": "g", "rules": [{"protocol": "any"}, {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}]}])
    assert [f["severity"] for f in found] == sorted((f["severity"] for f in found), key=lambda s: -auditing.SEVERITY_RANK[s])
    for finding in found:
        assert set(finding) >= {"id", "severity", "group", "rule", "message", "hint", "waived", "waiver", "check", "path"}
        assert finding["id"].startswith(finding["check"] + ":g")


def test_markdown_report():
    model_ = access.model_from_declarations(
        {
            "groups": [
                {
                    "name": "g",
                    "rules": [{"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port": 3306, "audit_waive": ["world-admin-port"], "description": "a | b"}],
                }
            ]
        }
    )
    found = auditing.audit(model_)
    result = {
        "mode": "declarations",
        "project_id": None,
        "findings": found,
        "summary": auditing.summarize(found),
        "gate": {"fail_on": "high", "blocking": 1, "passed": False},
    }
    text = auditing.markdown(result)
    assert text.startswith("# Security group audit\n\nAudited: declarations.\n\n**Gate FAILED** (fail_on: high, 1 blocking finding).")
    assert "| HIGH | g | `ingress/IPv4/tcp/22/any` (groups[0].rules[0]) |" in text
    assert "## Waived" in text and "`world-admin-port` in groups[0].rules[1] audit_waive" in text
    assert auditing.markdown([]).count("No open findings") == 1


def test_live_inventory_audit_uses_ports_for_usage():
    inventory = dict(
        INVENTORY,
        groups=INVENTORY["groups"]
        + [{"id": "gc", "name": "C", "project_id": "p1", "stateful": True, "tags": [], "rules": [neutron_rule("r9", protocol="tcp")]}],
    )
    found = auditing.audit(access.model_from_inventory(inventory))
    assert ids(found, "unused-group") == ["unused-group:C"]
    shadow = [f for f in found if f["check"] == "shadowed-rule"]
    assert shadow == []
    world = [f for f in found if f["check"] == "world-admin-port"]
    assert [f["rule"]["id"] for f in world] == ["r9"] and world[0]["group_id"] == "gc"


# --- hints the user can follow -----------------------------------------------------


def test_icmp_hints_name_the_other_familys_protocol_and_type():
    found = findings_of([{"name": "g", "rules": [{"protocol": "ipv6-icmp", "ethertype": "IPv6", "icmp_type": 128}]}])
    (finding,) = [f for f in found if f["check"] == "asymmetric-family"]
    assert finding["hint"].startswith("add {direction: ingress, ethertype: IPv4, protocol: icmp, icmp_type: 8, remote_ip_prefix: 0.0.0.0/0}")
    assert "ipv6-icmp" not in finding["hint"].split(", or waive")[0]
    found = findings_of([{"name": "g", "rules": [{"protocol": "icmp", "icmp_type": 3}]}])
    (finding,) = [f for f in found if f["check"] == "asymmetric-family"]
    assert "protocol: ipv6-icmp, icmp_type: 1," in finding["hint"]
    # Neighbour discovery has no IPv4 counterpart: nothing to ask for.
    found = findings_of([{"name": "g", "rules": [{"protocol": "ipv6-icmp", "ethertype": "IPv6", "icmp_type": 135}]}])
    assert [f for f in found if f["check"] == "asymmetric-family"] == []


def test_every_hint_is_a_declaration_or_a_named_waiver():
    found = findings_of(
        [
            {
                "name": "g",
                "stateful": False,
                "rules": [
                    {"protocol": "tcp", "port": 22},
                    {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"},
                    {"protocol": "ipv6-icmp", "ethertype": "IPv6", "icmp_type": 128},
                    {"protocol": 0, "remote_group": "x"},
                ],
            },
            {"name": "x", "rules": [{"protocol": "udp", "port": 53, "ethertype": "IPv6", "remote_ip_prefix": "::/0"}]},
        ],
        servers=[{"server": "a", "security_groups": ["g"]}],
    )
    assert set(f["check"] for f in found) >= set(["world-admin-port", "asymmetric-family", "shadowed-rule", "stateless-no-reply", "unused-group"])
    for finding in found:
        hint = finding["hint"]
        proposed = hint.split(", or waive")[0]
        assert "ipv6-icmp" not in proposed or "ethertype: IPv6" in proposed, hint
        if "waive" in hint:
            assert finding["id"] in hint or finding["check"] in hint, hint
    (admin,) = [f for f in found if f["check"] == "world-admin-port"]
    assert "audit_waive: [world-admin-port] on groups[0].rules[0]" in admin["hint"]
    assert "tag audit-waive:%s on group g" % admin["id"] in admin["hint"]


def test_an_address_group_rule_names_the_addresses_of_the_other_family_it_leaves_out():
    office = {"name": "office", "addresses": ["203.0.113.0/24", "2001:db8::/48", "2001:db8:1::/48"]}
    found = findings_of([{"name": "g", "rules": [{"protocol": "tcp", "port": 443, "remote_address_group": "office"}]}], address_groups=[office])
    (finding,) = [f for f in found if f["check"] == "address-group-family"]
    assert finding["severity"] == "medium"
    assert "its IPv6 addresses 2001:db8::/47 are not admitted" in finding["message"]
    assert finding["hint"].startswith("add {direction: ingress, ethertype: IPv6, protocol: tcp, port: 443, remote_address_group: office}")
    # With the IPv6 rule, or an address group of one family, nothing to report.
    both = findings_of(
        [
            {
                "name": "g",
                "rules": [
                    {"protocol": "tcp", "port": 443, "remote_address_group": "office"},
                    {"protocol": "tcp", "port": 443, "remote_address_group": "office", "ethertype": "IPv6"},
                ],
            }
        ],
        address_groups=[office],
    )
    assert [f for f in both if f["check"] == "address-group-family"] == []
    only_v4 = findings_of(
        [{"name": "g", "rules": [{"protocol": "tcp", "port": 443, "remote_address_group": "office"}]}],
        address_groups=[dict(office, addresses=["203.0.113.0/24"])],
    )
    assert [f for f in only_v4 if f["check"] == "address-group-family"] == []


def test_an_address_group_rule_live():
    inventory = {
        "project_id": "p1",
        "groups": [
            {
                "id": "g1",
                "name": "g",
                "project_id": "p1",
                "stateful": True,
                "tags": [],
                "rules": [neutron_rule("r1", protocol="tcp", port_range_min=22, port_range_max=22, remote_address_group_id="ag1")],
            }
        ],
        "address_groups": [{"id": "ag1", "name": "office", "project_id": "p1", "addresses": ["10.0.0.0/8", "fd00::/8"]}],
        "ports": [],
        "servers": [],
    }
    found = auditing.audit(access.model_from_inventory(inventory))
    (finding,) = [f for f in found if f["check"] == "address-group-family"]
    assert "fd00::/8" in finding["message"] and finding["rule"]["id"] == "r1"
