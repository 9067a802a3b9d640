"""Protocol 0: Neutron's drivers match every protocol for it; every analysis says so and treats it as any."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from access_seed import neutron_rule  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _access as access  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _audit as auditing  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _graph as graph  # noqa: E402

ZERO_WORLD = {
    "groups": [{"name": "open", "rules": [{"protocol": 0}, {"protocol": 0, "ethertype": "IPv6"}]}],
    "servers": [{"server": "web-1", "security_groups": ["open"]}],
}


def inventory(protocol):
    return {
        "project_id": "p1",
        "groups": [
            {
                "id": "g0",
                "name": "open",
                "project_id": "p1",
                "stateful": True,
                "tags": [],
                "rules": [neutron_rule("r0", protocol=protocol), neutron_rule("r6", protocol=protocol, ethertype="IPv6")],
            }
        ],
        "address_groups": [],
        "ports": [{"id": "p", "device_id": "s", "fixed_ips": ["10.0.0.5"], "security_group_ids": ["g0"], "project_id": "p1"}],
        "servers": [{"id": "s", "name": "web-1", "project_id": "p1"}],
    }


def test_audit_finds_the_server_wide_open_live_and_declared():
    for model_ in (access.model_from_inventory(inventory("0")), access.model_from_inventory(inventory("hopopt")), access.model_from_declarations(ZERO_WORLD)):
        findings = [f for f in auditing.audit(model_) if f["check"] == "world-any-protocol"]
        assert sorted(f["id"] for f in findings) == [
            "world-any-protocol:open:ingress/IPv4/0(any)/all/any",
            "world-any-protocol:open:ingress/IPv6/0(any)/all/any",
        ]
        assert all("protocol 0 (any)" in f["message"] and f["severity"] == "high" for f in findings)
        assert all(f["rule"]["protocol"] == 0 and f["rule"]["protocol_note"] == "protocol 0 (any)" for f in findings)


def test_effective_access_answers_yes_for_any_protocol_and_port():
    live = access.model_from_inventory(inventory("0"))
    rules = access.rules_of(live.groups)
    for protocol, port in (("tcp", 22), ("udp", 53), ("icmp", None), ("gre", None)):
        answer = access.ask(rules, "ingress", access.principal_from_source("203.0.113.7"), protocol, port)
        assert answer["allowed"] is True, (protocol, answer)
        assert "0(any)" in answer["answer"]
    (v6,) = [e for e in access.effective_policy(rules, "ingress") if e["ethertype"] == "IPv6"]
    assert v6["protocol"] == "any" and v6["sources"][0]["rules"][0]["rule"] == "ingress/IPv6/0(any)/all/any"


def test_access_changes_say_protocol_0_opens_everything():
    before = {"groups": [{"name": "db", "rules": [{"protocol": "tcp", "port": 5432, "remote_ip_prefix": "10.0.0.0/8"}]}]}
    after = {"groups": [{"name": "db", "rules": [{"protocol": "tcp", "port": 5432, "remote_ip_prefix": "10.0.0.0/8"}, {"protocol": 0}]}]}
    (change,) = access.declarations_changes(before, after)
    assert change["protocol"] == "any" and change["sources"] == ["0.0.0.0/0"]
    assert change["message"] == "this change opens any protocol on group db to 0.0.0.0/0"
    assert change["rules"][0]["rule"] == "ingress/IPv4/0(any)/all/any"
    # Replacing any protocol by protocol 0 changes nothing.
    same = {"groups": [{"name": "db", "rules": [{"protocol": "any"}]}]}
    assert access.declarations_changes(same, {"groups": [{"name": "db", "rules": [{"protocol": 0}]}]}) == []


def test_graph_labels_protocol_0_as_any():
    built = graph.build({"groups": [{"name": "open", "rules": [{"protocol": 0}, {"protocol": "hopopt"}]}]})
    (labels,) = list(built.edges.values())
    assert graph._edge_label(labels) == ["protocol 0 (any)"]
