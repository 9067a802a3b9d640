"""Canonical rule identity: every spelling Neutron treats as the same rule is one RuleKey."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import expand_rule


def declared(rule):
    keys = [r.key for r in expand_rule(rule, "groups[0].rules[0]")]
    assert len(keys) == 1
    return keys[0]


def stored(**rule):
    rule.setdefault("direction", "ingress")
    rule.setdefault("ethertype", "IPv4")
    return model.key_from_neutron(rule)


# Each row: two spellings that must be one rule (Neutron's rewrites and duplicates).
EQUIVALENT_DECLARATIONS = [
    ({"protocol": "tcp", "port": 22}, {"protocol": 6, "port": 22}),
    ({"protocol": "tcp", "port": 22}, {"protocol": "6", "port": "22"}),
    ({"protocol": "tcp", "port": 22}, {"protocol": "TCP", "port_range_min": 22, "port_range_max": 22}),
    ({"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port": "22-22"}),
    ({"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port_range_min": 22}),
    ({"protocol": "udp"}, {"protocol": "udp", "port": "1-65535"}),
    ({"protocol": "sctp"}, {"protocol": "sctp", "port_range_min": 1, "port_range_max": 65535}),
    ({"protocol": "any"}, {}),
    ({"protocol": "any"}, {"protocol": None}),
    ({"protocol": "icmp", "ethertype": "IPv6"}, {"protocol": "ipv6-icmp", "ethertype": "IPv6"}),
    ({"protocol": "icmp", "ethertype": "IPv6"}, {"protocol": "icmpv6", "ethertype": "IPv6"}),
    ({"protocol": "icmp", "ethertype": "IPv6"}, {"protocol": "1", "ethertype": "IPv6"}),
    ({"protocol": "icmp", "ethertype": "IPv6"}, {"protocol": 58, "ethertype": "IPv6"}),
    ({"protocol": "icmp", "ethertype": "IPv6"}, {"protocol": "ipv6-icmp"}),  # inferred IPv6
    ({"protocol": "icmp"}, {"protocol": 1, "ethertype": "ipv4"}),
    ({"protocol": "icmp", "icmp_type": 8}, {"protocol": "icmp", "port_range_min": 8}),
    ({"protocol": "icmp", "icmp_type": 8, "icmp_code": 0}, {"protocol": "icmp", "port_range_min": 8, "port_range_max": 0}),
    ({"protocol": "icmp"}, {"protocol": "icmp", "port_range_min": -1, "port_range_max": -1}),
    ({"protocol": "tcp", "remote_ip_prefix": "0.0.0.0/0"}, {"protocol": "tcp"}),
    ({"protocol": "tcp", "remote_ip_prefix": "::/0"}, {"protocol": "tcp", "ethertype": "IPv6"}),
    ({"remote_ip_prefix": "192.0.2.7"}, {"remote_ip_prefix": "192.0.2.7/32"}),
    ({"remote_ip_prefix": "2001:DB8:0:0::1"}, {"remote_ip_prefix": "2001:db8::1/128"}),
    ({"remote_ip_prefix": "2001:DB8:0:0::/64"}, {"remote_ip_prefix": "2001:db8::/64", "ether_type": "IPv6"}),
    ({"remote_ip_prefix": "10.0.0.0/8"}, {"remote_ip_prefix": "10.0.0.0/8", "ethertype": "IPv4"}),
    ({"direction": "ingress"}, {}),
    ({"protocol": "tcp", "description": "x"}, {"protocol": "tcp", "description": "y"}),  # description is not identity
]


@pytest.mark.parametrize("first,second", EQUIVALENT_DECLARATIONS)
def test_declared_spellings_are_one_rule(first, second):
    assert declared(first) == declared(second)


DIFFERENT_DECLARATIONS = [
    ({"protocol": "tcp", "port": 22}, {"protocol": "udp", "port": 22}),
    ({"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port": "22-23"}),
    ({"protocol": "tcp"}, {"protocol": "tcp", "port": "2-65535"}),
    ({"protocol": "icmp"}, {"protocol": "icmp", "ethertype": "IPv6"}),
    ({"protocol": "icmp", "icmp_type": 8}, {"protocol": "icmp", "icmp_type": 8, "icmp_code": 0}),
    ({}, {"direction": "egress"}),
    ({}, {"ethertype": "IPv6"}),
    ({"protocol": "any"}, {"protocol": "0"}),  # hopopt is protocol 0, not "any"
    ({"remote_ip_prefix": "10.0.0.0/8"}, {"remote_ip_prefix": "10.0.0.0/16"}),
    ({"remote_group": "a"}, {"remote_group": "b"}),
    ({"remote_group": "a"}, {"remote_address_group": "a"}),
]


@pytest.mark.parametrize("first,second", DIFFERENT_DECLARATIONS)
def test_different_rules_stay_different(first, second):
    assert declared(first) != declared(second)


# What Neutron stores (or any other tool created), against what users write.
STORED_VS_DECLARED = [
    (dict(protocol="6", port_range_min=22, port_range_max=22), {"protocol": "tcp", "port": 22}),
    (dict(protocol="tcp", port_range_min=None, port_range_max=None), {"protocol": "tcp", "port": "1-65535"}),
    (dict(protocol="udp"), {"protocol": "udp", "port_range_min": 1, "port_range_max": 65535}),
    (dict(protocol="ipv6-icmp", ethertype="IPv6"), {"protocol": "icmp", "ethertype": "IPv6"}),
    (dict(protocol="58", ethertype="IPv6"), {"protocol": "icmpv6"}),
    (dict(protocol="icmp", port_range_min=8, port_range_max=0), {"protocol": "icmp", "icmp_type": 8, "icmp_code": 0}),
    (dict(remote_ip_prefix="0.0.0.0/0"), {}),
    (dict(remote_ip_prefix="::/0", ethertype="IPv6"), {"ethertype": "IPv6"}),
    (dict(remote_ip_prefix="192.0.2.7/32"), {"remote_ip_prefix": "192.0.2.7"}),
    (dict(remote_ip_prefix="2001:db8::/64", ethertype="IPv6"), {"remote_ip_prefix": "2001:DB8:0:0::/64"}),
    # Host bits set by another tool: compared on the network.
    (dict(remote_ip_prefix="10.1.2.3/8"), {"remote_ip_prefix": "10.0.0.0/8"}),
    (dict(protocol=None, direction="egress"), {"direction": "egress", "protocol": "any"}),
    (dict(protocol="TCP", port_range_min=80, port_range_max=80), {"protocol": "tcp", "port": 80}),
    (dict(protocol="tcp", port_range_min=1, port_range_max=65535), {"protocol": "tcp"}),
]


@pytest.mark.parametrize("neutron,declaration", STORED_VS_DECLARED)
def test_stored_rule_matches_declaration(neutron, declaration):
    assert stored(**neutron) == declared(declaration)


def test_prefix_list_expands_one_rule_per_prefix_with_inferred_family():
    rules = expand_rule({"protocol": "udp", "port": "8000-8100", "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]}, "p")
    assert [(r.key.ethertype, r.key.remote, r.key.port_min, r.key.port_max) for r in rules] == [
        ("IPv4", "10.0.0.0/8", 8000, 8100),
        ("IPv6", "fd00::/8", 8000, 8100),
    ]


def test_protocol_names_round_trip_through_numbers():
    for name, number in model.PROTOCOL_NUMBERS.items():
        assert model.canonical_protocol(str(number), "IPv6" if name in model.IPV6_ONLY_PROTOCOLS else "IPv4") == name


def test_unknown_numbers_are_kept_as_numbers():
    assert model.canonical_protocol("253", "IPv4") == "253"
    assert model.canonical_protocol(253, "IPv4") == "253"


def test_unknown_protocol_name_is_refused():
    with pytest.raises(model.ModelError):
        model.canonical_protocol("tcpp", "IPv4")


def test_neutron_body_round_trips():
    key = declared({"protocol": "tcp", "port": "80-81", "remote_ip_prefix": "10.0.0.0/8"})
    body = model.neutron_body(key, "web", "sg-1")
    assert body == {
        "security_group_id": "sg-1",
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "port_range_min": 80,
        "port_range_max": 81,
        "remote_ip_prefix": "10.0.0.0/8",
        "description": "web",
    }
    assert model.key_from_neutron(body) == key


def test_declaration_view_round_trips():
    for rule in [
        {"protocol": "tcp", "port": 22, "remote_ip_prefix": "203.0.113.0/24", "description": "office"},
        {"protocol": "icmp", "icmp_type": 8, "icmp_code": 0},
        {"direction": "egress", "ethertype": "IPv6"},
        {"protocol": "udp", "port": "8000-8100", "remote_ip_prefix": "fd00::/8"},
    ]:
        key = declared(rule)
        view = model.key_to_declaration(key, rule.get("description", ""))
        assert declared(view) == key


def test_addresses_are_canonical_and_sorted():
    assert model.canonical_addresses(["10.0.2.7", "10.0.1.0/24", "2001:DB8::1", "10.0.1.0/24"]) == ["10.0.1.0/24", "10.0.2.7/32", "2001:db8::1/128"]
