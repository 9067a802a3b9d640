"""The reads of the cloud layer over a fake openstacksdk connection: every call goes through the one
wrapper (retried after transient faults, errors translated, messages saying what was read)."""

import ast
import os
import types

import pytest
from openstack import exceptions as sdk_exceptions

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls as calls_module
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.lists import Lists
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.reads import Reads

CLOUD_DIR = os.path.join(os.path.dirname(calls_module.__file__))
NS = types.SimpleNamespace


def group(group_id, name, project="p1", rules=()):
    return NS(
        id=group_id,
        name=name,
        description=None,
        stateful=None,
        tags=["managed-by=netsec.openstack"],
        project_id=project,
        created_at="2026",
        security_group_rules=list(rules),
        is_shared=False,
    )


def port(port_id, device_id, group_ids, network_id="n1"):
    return NS(
        id=port_id,
        name=None,
        device_id=device_id,
        device_owner="compute:nova",
        project_id="p1",
        network_id=network_id,
        fixed_ips=[{"ip_address": "10.0.0.5"}],
        is_port_security_enabled=None,
        security_group_ids=list(group_ids),
    )


class FakeNetwork(object):
    def __init__(self):
        self.group_list = [group("g1", "web"), group("g2", "db")]
        self.port_list = [port("port1", "s1", ["g1"])]
        self.requests = []
        self.faults = {}  # method -> exceptions to raise first

    def _answer(self, method, query, items):
        self.requests.append((method, query))
        pending = self.faults.get(method) or []
        if pending:
            raise pending.pop(0)
        return items

    def security_groups(self, **query):
        ids, names = query.get("id"), query.get("name")
        return self._answer("security_groups", query, [g for g in self.group_list if (ids is None or g.id in ids) and (names is None or g.name in names)])

    def address_groups(self, **query):
        return self._answer("address_groups", query, [])

    def ports(self, **query):
        return self._answer("ports", query, self.port_list)

    def security_group_rules(self, **query):
        rules = [r for r in getattr(self, "rule_list", []) if all(r.get(k) == v for k, v in query.items())]
        return self._answer("security_group_rules", query, rules)

    def networks(self, **query):
        return self._answer("networks", query, [NS(id="n1", name="private")])


class FakeCompute(object):
    def servers(self, **query):
        return [NS(id="s1", name="web-1", project_id="p1")]


def reads_over(network):
    connection = NS(network=network, compute=FakeCompute(), current_project_id="p1")
    return Reads(connection, calls_module.Calls(sleep=lambda seconds: None))


def http_error(status, message):
    return sdk_exceptions.HttpException(message=message, http_status=status)


def test_no_lambda_is_passed_to_a_call_in_the_cloud_layer():
    """Every call is a method wrapped by cloud_call: no per-call lambdas (issue 16)."""
    found = []
    for name in sorted(os.listdir(CLOUD_DIR)):
        if name.endswith(".py"):
            with open(os.path.join(CLOUD_DIR, name), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            found.extend("%s:%d" % (name, node.lineno) for node in ast.walk(tree) if isinstance(node, ast.Lambda))
    assert found == []


def test_every_sdk_call_of_the_reads_is_wrapped():
    methods = [name for name, value in vars(Lists).items() if callable(value) and not name.startswith("_")]
    assert len(methods) >= 8
    assert [name for name in methods if not hasattr(getattr(Lists, name), "__wrapped__")] == []


def test_a_transient_fault_on_a_read_is_retried_and_noted():
    network = FakeNetwork()
    network.faults["security_groups"] = [http_error(503, "busy")]
    reads = reads_over(network)
    inventory = reads.observe_inventory("p1", with_servers=False)
    assert [g["name"] for g in inventory["groups"]] == ["web", "db"]
    assert [method for method, _query in network.requests].count("security_groups") == 2
    assert reads.calls.retried == ["listing security groups (attempt 1 failed: busy)"]


def test_a_failed_read_says_what_was_read():
    network = FakeNetwork()
    network.faults["ports"] = [http_error(403, "not allowed")]
    with pytest.raises(errors.Forbidden) as raised:
        reads_over(network).ports_wearing(["g2", "g1"])
    assert str(raised.value) == "listing ports of security groups g1, g2 failed: not allowed"


def test_observe_attachments_reads_servers_ports_networks_and_groups_in_a_constant_number_of_calls():
    network = FakeNetwork()
    observed = reads_over(network).observe_attachments("p1", [{"server": "web-1", "security_groups": ["db"]}])
    assert observed["servers"] == [{"id": "s1", "name": "web-1", "project_id": "p1"}]
    assert [(p["id"], p["network_name"], p["security_group_ids"], p["port_security_enabled"]) for p in observed["ports"]] == [
        ("port1", "private", ["g1"], True)
    ]
    assert sorted((g["id"], g["stateful"], g["shared"]) for g in observed["groups"]) == [("g1", True, False), ("g2", True, False)]
    assert network.requests == [
        ("ports", {"device_id": ["s1"]}),
        ("networks", {"id": ["n1"]}),
        ("security_groups", {"project_id": "p1"}),
    ]


def test_a_name_with_braces_is_text_in_the_message_not_a_format():
    """The wrapper formats its own words with the arguments; what a user wrote is never formatted again."""

    class Identity(object):
        def find_project(self, project, ignore_missing=True):
            raise http_error(500, "boom")

    connection = NS(network=FakeNetwork(), identity=Identity(), current_project_id="p1")
    reads = Reads(connection, calls_module.Calls(sleep=lambda seconds: None))
    with pytest.raises(errors.CloudError) as raised:
        reads.project_id_of("{0} {name} %s")
    assert str(raised.value) == "looking up project '{0} {name} %s' failed: boom (gave up after 4 attempts)"


def test_a_scoped_observation_lists_only_the_named_groups_and_the_usage_names_the_groups_using_them():
    network = FakeNetwork()
    network.group_list.append(group("g3", "app"))
    network.rule_list = [{"id": "r1", "security_group_id": "g3", "remote_group_id": "g1", "direction": "ingress", "ethertype": "IPv4"}]
    reads = reads_over(network)
    desired = NS(groups=[NS(name="web", rules=None, shared_with=None)], address_groups=[])
    observed = reads.observe("p1", desired, need_templates=False, group_names=["web"])
    assert network.requests[0] == ("security_groups", {"project_id": "p1", "name": ["web"]})
    assert [g["id"] for g in observed["groups"]] == ["g1"]
    reads.read_usage(observed, ["g1"], [])
    # app (g3) was not observed: its name is looked up, so a refusal names it as an unscoped run would
    assert observed["usage"]["g1"]["rules"][0]["security_group_id"] == "g3"
    assert observed["known_groups"]["g3"]["name"] == "app"
    assert network.requests[-1] == ("security_groups", {"id": ["g3"]})


def test_an_unscoped_observation_lists_every_group_of_the_project_and_looks_up_nothing_more():
    network = FakeNetwork()
    network.rule_list = [{"id": "r1", "security_group_id": "g2", "remote_group_id": "g1", "direction": "ingress", "ethertype": "IPv4"}]
    reads = reads_over(network)
    observed = reads.observe("p1", NS(groups=[NS(name="web", rules=None, shared_with=None)], address_groups=[]), need_templates=False)
    assert network.requests[0] == ("security_groups", {"project_id": "p1"})
    reads.read_usage(observed, ["g1"], [])
    assert [method for method, _query in network.requests] == ["security_groups", "ports", "security_group_rules"]
