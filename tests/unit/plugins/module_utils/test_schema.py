"""Validation: every bad declaration fails with its path, all errors at once."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError


def errors_of(declaration):
    with pytest.raises(DeclarationError) as info:
        parse_declaration(declaration)
    return info.value.errors


def rule(**fields):
    return {"groups": [{"name": "g", "rules": [fields]}]}


# (declaration, substring expected in one error)
INVALID = [
    (rule(protocol="tcp", port=22, remote_ip="10.0.0.0/8"), "groups[0].rules[0].remote_ip: unknown field 'remote_ip' (did you mean 'remote_ip_prefix'?)"),
    (rule(protocol="tcp", port_range=22), "groups[0].rules[0].port_range: unknown field"),
    (rule(protocol="tcp", port="abc"), "groups[0].rules[0].port: 'abc' is not a port"),
    (rule(protocol="tcp", port="30-20"), "groups[0].rules[0].port: range '30-20' is reversed"),
    (rule(protocol="tcp", port=70000), "groups[0].rules[0].port"),
    (rule(protocol="tcp", port_range_min=30, port_range_max=20), "groups[0].rules[0].port_range_min: port_range_min 30 is greater"),
    (rule(protocol="icmp", port=22), "groups[0].rules[0].port: ports do not apply to icmp"),
    (rule(port=22), "groups[0].rules[0].port: ports need a port protocol"),
    (rule(protocol="gre", port=22), "groups[0].rules[0].port: ports need a port protocol"),
    (rule(protocol="icmp", icmp_code=0), "groups[0].rules[0].icmp_code: icmp_code needs icmp_type"),
    (rule(protocol="tcp", icmp_type=8), "groups[0].rules[0].icmp_type: icmp_type/icmp_code need protocol icmp"),
    (rule(protocol="tcp", remote_ip_prefix="10.0.0.0/8", remote_group="x"), "groups[0].rules[0]: give at most one of"),
    (rule(remote_ip_prefix="10.0.0.300/8"), "groups[0].rules[0].remote_ip_prefix: '10.0.0.300/8' is not a valid"),
    (rule(remote_ip_prefix="10.1.2.3/8"), "has host bits set; write the network 10.0.0.0/8"),
    (rule(remote_ip_prefix="fd00::/8", ethertype="IPv4"), "groups[0].rules[0].remote_ip_prefix: fd00::/8 is an IPv6 prefix but the rule's ethertype is IPv4"),
    (rule(remote_ip_prefix=["10.0.0.0/8", "bad"]), "groups[0].rules[0].remote_ip_prefix[1]: 'bad' is not a valid"),
    (rule(protocol="ipv6-icmp", ethertype="IPv4"), "groups[0].rules[0].protocol: ipv6-icmp is an IPv6 protocol"),
    (rule(protocol="tcpp"), "groups[0].rules[0].protocol: unknown protocol 'tcpp'"),
    (rule(protocol=300), "groups[0].rules[0].protocol"),
    (rule(direction="inbound"), "groups[0].rules[0].direction: 'inbound' is not one of ingress, egress"),
    (rule(ethertype="IPv5"), "groups[0].rules[0].ethertype: 'IPv5' is not an ethertype"),
    (rule(ethertype="IPv4", ether_type="IPv6"), "ethertype and ether_type disagree"),
    (rule(protocol="tcp", port=22, port_range_min=22), "give either port or port_range_min/port_range_max"),
    (rule(description=5), "groups[0].rules[0].description: expected string, got integer 5"),
    (rule(description="x" * 256), "groups[0].rules[0].description"),
    ({"groups": [{"name": "a"}, {"name": "a"}]}, "groups[1].name: duplicate group name 'a' (also groups[0])"),
    ({"groups": [{"name": ""}]}, "groups[0].name"),
    ({"groups": [{"name": "x" * 256}]}, "groups[0].name"),
    ({"groups": [{"description": "no name"}]}, "groups[0]: 'name' is required"),
    ({"groups": [{"name": "a", "rules": "tcp/22"}]}, "groups[0].rules: expected array, got string 'tcp/22'"),
    ({"groups": [{"name": "a", "rules": ["tcp/22"]}]}, "groups[0].rules[0]: expected object, got string 'tcp/22'"),
    ({"groups": [{"name": "a", "stateful": "yes"}]}, "groups[0].stateful: expected boolean"),
    ({"groups": [{"name": "a", "rule": []}]}, "groups[0].rule: unknown field 'rule' (did you mean 'rules'?)"),
    ({"groups": {"name": "a"}}, "groups: expected array"),
    ({"address_groups": [{"name": "a", "addresses": ["10.0.0.1/8"]}]}, "address_groups[0].addresses[0]: '10.0.0.1/8' has host bits"),
    ({"address_groups": [{"name": "a", "addresses": ["nope"]}]}, "address_groups[0].addresses[0]: 'nope' is not a valid"),
    ({"address_groups": [{"name": "a"}, {"name": "a"}]}, "address_groups[1].name: duplicate address group name"),
    (
        {"groups": [{"name": "g", "rules": [{"protocol": "tcp", "description": "a"}, {"protocol": "6", "description": "b"}]}]},
        "groups[0].rules[1]: the same rule as groups[0].rules[0] with another description",
    ),
]


@pytest.mark.parametrize("declaration,expected", INVALID)
def test_invalid_declarations_name_the_path(declaration, expected):
    errors = errors_of(declaration)
    assert any(expected in error for error in errors), errors


def test_all_errors_are_reported_at_once():
    declaration = {
        "groups": [
            {"name": "a", "rules": [{"protocol": "tcp", "remote_ip": "10.0.0.0/8"}, {"protocol": "tcp", "port": "9-1"}]},
            {"name": "a", "rules": [{"protocol": "icmp", "icmp_code": 3}]},
        ]
    }
    errors = errors_of(declaration)
    assert len(errors) == 4, errors
    assert any(e.startswith("groups[0].rules[0].remote_ip:") for e in errors)
    assert any(e.startswith("groups[0].rules[1].port:") for e in errors)
    assert any(e.startswith("groups[1].name:") for e in errors)
    assert any(e.startswith("groups[1].rules[0].icmp_code:") for e in errors)


def test_top_level_wrong_shape():
    errors = errors_of(["groups"])
    assert errors == ["(top level): expected a mapping with groups and address_groups, got list"]


VALID = [
    rule(protocol="tcp", port=22),
    rule(protocol="tcp", port="8000-8100", remote_ip_prefix=["10.0.0.0/8", "fd00::/8"]),
    rule(protocol="icmp", ethertype="IPv6"),
    rule(protocol="icmp", port_range_min=-1, port_range_max=-1),
    rule(protocol="icmp", port_range_min=8, port_range_max=0),
    rule(direction="egress", ethertype="IPv6"),
    rule(protocol=6, port_range_min=1, port_range_max=65535),
    rule(protocol="any"),
    rule(protocol="tcp", port=22, remote_group="other"),
    rule(ether_type="IPv4", remote_ip_prefix="192.0.2.7"),
    {"groups": [{"name": "g", "description": "d", "stateful": False, "tags": ["a=b"], "rules": []}]},
    {"address_groups": [{"name": "a", "addresses": ["10.0.0.0/8", "2001:db8::1"]}]},
    {},
]


@pytest.mark.parametrize("declaration", VALID)
def test_valid_declarations_parse(declaration):
    parse_declaration(declaration)
