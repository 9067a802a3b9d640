"""Pictures of declarations: nodes, merged and labelled edges, Mermaid and DOT syntax."""

import os
import re

import pytest
import yaml

from ansible_collections.netsec.openstack.plugins.module_utils import _graph as graph
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

# The seed's picture: UDP from group A, tcp/21 from anywhere, tcp/4443 only from group B.
SEED = {
    "groups": [
        {"name": "A"},
        {"name": "B"},
        {
            "name": "server",
            "rules": [
                {"protocol": "udp", "remote_group": "A"},
                {"protocol": "tcp", "port": 21},
                {"protocol": "tcp", "port": 4443, "remote_group": "B"},
                {"direction": "egress"},
            ],
        },
    ],
    "servers": [{"server": "ftp-1", "security_groups": ["server"]}],
}


def edges_of(built):
    names = dict((n["id"], n["name"]) for n in built.nodes)
    return dict(((names[s], names[t], d), graph._edge_label(labels)) for (s, t, d), labels in built.edges.items())


def build_web(*rules, **declaration):
    """The picture of a declaration whose one group, web, holds ``rules``."""
    return graph.build(dict({"groups": [{"name": "web", "rules": list(rules)}]}, **declaration))


def test_seed_picture():
    built = graph.build(SEED)
    assert edges_of(built) == {
        ("A", "server", "ingress"): ["udp"],
        ("anywhere", "server", "ingress"): ["tcp/21"],
        ("B", "server", "ingress"): ["tcp/4443"],
        ("server", "anywhere", "egress"): ["any"],
    }
    mermaid = graph.to_mermaid(built)
    assert mermaid.startswith("flowchart LR\n")
    assert '-->|"udp"|' in mermaid and '-->|"tcp/21"|' in mermaid and '-->|"tcp/4443"|' in mermaid
    assert '-.->|"any"|' in mermaid
    assert "server<br/>servers: ftp-1" in mermaid
    dot = graph.to_dot(built)
    assert dot.startswith("digraph security_groups {") and dot.rstrip().endswith("}")
    assert '[label="tcp/4443"];' in dot and '[label="any", style=dashed];' in dot


def test_families_merge_and_labels():
    built = build_web(
        {"protocol": "tcp", "port": 443},
        {"protocol": "tcp", "port": 443, "ethertype": "IPv6"},
        {"protocol": "icmp", "ethertype": "IPv6", "icmp_type": 128},
        {"protocol": "tcp", "port": 80, "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]},
        {"protocol": "tcp", "port": "8000-8100", "remote_address_group": "office"},
        {"protocol": "tcp", "port": 22, "remote_group": "elsewhere"},
        {"protocol": "tcp", "port": 9, "remote_group": "web"},
        address_groups=[{"name": "office", "addresses": ["203.0.113.0/24"]}],
    )
    assert edges_of(built) == {
        ("anywhere", "web", "ingress"): ["ipv6-icmp type 128 (IPv6)", "tcp/443 (IPv4+IPv6)"],
        ("10.0.0.0/8", "web", "ingress"): ["tcp/80"],
        ("fd00::/8", "web", "ingress"): ["tcp/80"],
        ("office", "web", "ingress"): ["tcp/8000-8100"],
        ("elsewhere", "web", "ingress"): ["tcp/22"],
        ("web", "web", "ingress"): ["tcp/9"],
    }
    kinds = dict((n["name"], n["kind"]) for n in built.nodes)
    assert kinds["elsewhere"] == "external_group" and kinds["office"] == "address_group"
    dot = graph.to_dot(built)
    assert "elsewhere (not declared)" in dot and 'office\\naddress group\\n203.0.113.0/24"' in dot


def test_egress_can_be_left_out_and_servers_hidden():
    built = graph.build(SEED, egress=False, servers=False)
    assert not [e for e in built.edges if e[2] == "egress"]
    assert all(not n["lines"] for n in built.nodes)


def test_example_declarations_render_in_both_formats():
    with open(os.path.join(ROOT, "playbooks", "declarations", "example.yml")) as handle:
        example = yaml.safe_load(handle)
    mermaid = graph.render(example, "mermaid", title="demo")
    assert mermaid.startswith("---\ntitle: demo\n---\nflowchart LR\n")
    dot = graph.render(example, "dot")
    # Every edge references declared node ids, in both formats.
    node_ids = set(re.findall(r"^  ([gxac]\d+) \[label=", dot, re.M))
    for source, target in re.findall(r"^  ([gxac]\d+) -> ([gxac]\d+) ", dot, re.M):
        assert source in node_ids and target in node_ids
    assert len(re.findall(r" -> ", dot)) == len(re.findall(r" -(?:-|\.-)>\|", mermaid))


def test_mermaid_and_dot_escape_what_they_must():
    built = graph.build({"groups": [{"name": 'we"b|<x>', "rules": [{"protocol": "tcp", "port": 1}]}]})
    mermaid = graph.to_mermaid(built)
    assert "we#quot;b#124;#lt;x#gt;" in mermaid
    assert 'label="we\\"b|<x>"' in graph.to_dot(built)


def test_invalid_declarations_and_formats_fail_clearly():
    with pytest.raises(DeclarationError, match=r"groups\[0\].rules\[0\].port"):
        graph.render({"groups": [{"name": "x", "rules": [{"protocol": "icmp", "port": 1}]}]})
    with pytest.raises(ValueError, match="format must be one of"):
        graph.render(SEED, "svg")


@pytest.mark.parametrize(
    "neutron, text",
    [
        ({"direction": "ingress", "ethertype": "IPv4"}, "ingress IPv4 any from anywhere"),
        (
            {"direction": "egress", "ethertype": "IPv6", "protocol": "udp", "port_range_min": 53, "port_range_max": 53, "remote_ip_prefix": "2001:db8::/32"},
            "egress IPv6 udp/53 to 2001:db8::/32",
        ),
        (
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp", "port_range_min": 3, "port_range_max": 4},
            "ingress IPv4 icmp type 3 code 4 from anywhere",
        ),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "remote_group_id": "web"}, "ingress IPv4 tcp from group web"),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "remote_address_group_id": "office"}, "ingress IPv4 tcp from address group office"),
    ],
)
def test_rule_text(neutron, text):
    assert graph.rule_text(model.key_from_neutron(neutron)) == text


def test_one_node_per_distinct_remote():
    built = build_web(
        {"protocol": "tcp", "port": 443},
        {"protocol": "tcp", "port": 443, "ethertype": "IPv6"},
        {"direction": "egress"},
        {"direction": "egress", "ethertype": "IPv6"},
        {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"},
        {"direction": "egress", "protocol": "tcp", "port": 5432, "remote_ip_prefix": "10.0.0.0/8"},
    )
    assert sorted(n["name"] for n in built.nodes) == ["10.0.0.0/8", "anywhere", "web"]
    assert graph.to_mermaid(built).count('(["anywhere"])') == 1
