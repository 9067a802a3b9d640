"""The declarations file: published schema, and exports that plan to nothing when fed back."""

import json
import os

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netsec.openstack.plugins.module_utils import _attachments as attachments
from ansible_collections.netsec.openstack.plugins.module_utils import _declarations_file as declarations_file
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SCHEMA_FILE = os.path.join(ROOT, declarations_file.SCHEMA_PATH)
EXAMPLE = os.path.join(ROOT, "playbooks", "declarations", "example.yml")
REGENERATE = (
    ".venv/bin/python -c \"import sys; sys.path.insert(0, '.cache/collections'); from ansible_collections.netsec."
    "openstack.plugins.module_utils import _declarations_file as f; open(f.SCHEMA_PATH, 'w')"
    '.write(f.file_schema_text())"'
)
PROJECT = "p1"
OTHER = "p2"


# --- the published schema ---------------------------------------------------


def test_shipped_schema_is_what_the_code_builds():
    with open(SCHEMA_FILE) as handle:
        shipped = handle.read()
    assert shipped == declarations_file.file_schema_text(), "schemas/declarations.schema.json is stale; run: " + REGENERATE


def test_schema_is_the_modules_schemas_plus_project_and_servers():
    schema = declarations_file.file_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert sorted(schema["properties"]) == sorted(declarations_file.FILE_KEYS)
    assert schema["properties"]["servers"]["items"] == attachments.SERVER_SCHEMA
    assert schema["additionalProperties"] is False


def test_example_file_is_valid_for_the_schema_and_the_modules():
    with open(EXAMPLE) as handle:
        text = handle.read()
    assert text.startswith("# yaml-language-server: $schema=../../schemas/declarations.schema.json\n")
    data = yaml.safe_load(text)
    jsonschema.validate(data, declarations_file.file_schema())
    parse_declaration({"groups": data["groups"], "address_groups": data["address_groups"]})
    attachments.validate_servers(data["servers"])
    assert set(data) <= set(declarations_file.FILE_KEYS)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"group": []}, "Additional properties"),
        ({"servers": [{"server": "a"}]}, "'security_groups' is a required property"),
        ({"project": ""}, "minLength"),
        ({"groups": [{"name": "web", "rules": [{"port": "22-"}]}]}, "does not match"),
    ],
)
def test_schema_refuses(data, message):
    with pytest.raises(jsonschema.ValidationError, match=message):
        jsonschema.validate(data, declarations_file.file_schema())


def test_the_file_keys_are_written_once():
    from ansible_collections.netsec.openstack.plugins.module_utils import _access as access
    from ansible_collections.netsec.openstack.plugins.module_utils import _schema as schema

    assert declarations_file.FILE_KEYS is schema.DECLARATIONS_FILE_KEYS is access.DECLARATION_FILE_KEYS


# --- export -------------------------------------------------------------------


def rule(
    gid,
    index,
    direction="ingress",
    ethertype="IPv4",
    protocol=None,
    port_min=None,
    port_max=None,
    prefix=None,
    remote_group=None,
    remote_address_group=None,
    description="",
):
    return {
        "id": "%s-r%d" % (gid, index),
        "security_group_id": gid,
        "direction": direction,
        "ethertype": ethertype,
        "protocol": protocol,
        "port_range_min": port_min,
        "port_range_max": port_max,
        "remote_ip_prefix": prefix,
        "remote_group_id": remote_group,
        "remote_address_group_id": remote_address_group,
        "description": description,
        "project_id": PROJECT,
    }


def group(gid, name, rules=(), tags=(model.OWNER_TAG,), description="", stateful=True, project=PROJECT):
    return {"id": gid, "name": name, "description": description, "stateful": stateful, "tags": list(tags), "project_id": project, "rules": list(rules)}


def port(pid, server, groups, project=PROJECT, ips=("10.0.0.1",), security=True):
    return {
        "id": pid,
        "name": "",
        "device_id": server,
        "device_owner": "compute:nova",
        "project_id": project,
        "network_id": "n1",
        "network_name": "net",
        "fixed_ips": list(ips),
        "port_security_enabled": security,
        "security_group_ids": sorted(groups),
    }


def inventory():
    return {
        "project_id": PROJECT,
        "groups": [
            group(
                "g-default",
                "default",
                tags=(),
                rules=[
                    rule("g-default", 0, remote_group="g-default"),
                    rule("g-default", 1, ethertype="IPv6", remote_group="g-default"),
                    rule("g-default", 2, direction="egress"),
                    rule("g-default", 3, direction="egress", ethertype="IPv6"),
                ],
            ),
            group(
                "g-web",
                "web",
                description="Web",
                tags=(model.OWNER_TAG, "tier=web"),
                rules=[
                    rule("g-web", 0, protocol="6", port_min=443, port_max=443, prefix="0.0.0.0/0"),
                    rule("g-web", 1, ethertype="IPv6", protocol="tcp", port_min=443, port_max=443, description="v6"),
                    rule("g-web", 2, protocol="tcp", port_min=22, port_max=22, remote_group="g-bastion"),
                    rule("g-web", 3, protocol="udp", port_min=1, port_max=65535, prefix="10.0.0.0/8"),
                    rule("g-web", 4, ethertype="IPv6", protocol="ipv6-icmp", port_min=128),
                    rule("g-web", 5, protocol="tcp", port_min=5432, port_max=5432, remote_address_group="ag-office"),
                    rule("g-web", 6, protocol="tcp", port_min=8080, port_max=8080, remote_group="g-foreign"),
                    rule("g-web", 7, protocol="tcp", port_min=9000, port_max=9000, remote_group="g-dup1"),
                    rule("g-web", 8, direction="egress"),
                ],
            ),
            group(
                "g-bastion",
                "bastion",
                stateful=False,
                rules=[
                    rule("g-bastion", 0, protocol="tcp", port_min=22, port_max=22, prefix="203.0.113.0/24", description="office"),
                ],
            ),
            group("g-dup1", "twin"),
            group("g-dup2", "twin"),
        ],
        "address_groups": [
            {"id": "ag-office", "name": "office", "description": "Office", "addresses": ["203.0.113.0/24"], "project_id": PROJECT},
            {"id": "ag-other", "name": "other", "description": "", "addresses": [], "project_id": PROJECT},
        ],
        "servers": [
            {"id": "s-web1", "name": "web-1", "project_id": PROJECT},
            {"id": "s-multi", "name": "multi", "project_id": PROJECT},
            {"id": "s-dupa", "name": "same", "project_id": PROJECT},
            {"id": "s-dupb", "name": "same", "project_id": PROJECT},
            {"id": "s-noport", "name": "noport", "project_id": PROJECT},
        ],
        "ports": [
            port("p-web1", "s-web1", ["g-default", "g-web"]),
            port("p-multi-a", "s-multi", ["g-web"]),
            port("p-multi-b", "s-multi", ["g-bastion", "g-dup1"]),
            port("p-multi-c", "s-multi", ["g-web"]),
            port("p-dupa", "s-dupa", []),
            port("p-dupb", "s-dupb", ["g-bastion"]),
            port("p-router", "r1", ["g-web"]),
        ],
    }


def planner_observed(inv, project=PROJECT):
    return {
        "project_id": project,
        "groups": [g for g in inv["groups"] if g["project_id"] == project],
        "address_groups": [a for a in inv["address_groups"] if a["project_id"] == project],
        "known_groups": {"g-foreign": {"id": "g-foreign", "name": "foreign", "project_id": OTHER}},
        "known_address_groups": {},
        "templates": None,
        "usage": {},
        "address_group_usage": {},
    }


def attachments_observed(inv, project=PROJECT):
    return {
        "servers": [s for s in inv["servers"] if s["project_id"] == project],
        "ports": inv["ports"],
        "groups": [{"id": g["id"], "name": g["name"], "project_id": g["project_id"], "stateful": g["stateful"], "shared": False} for g in inv["groups"]],
    }


def test_export_is_compact_and_named():
    mapping, warnings = declarations_file.export_project(inventory(), PROJECT, project="demo")
    assert list(mapping) == ["project", "address_groups", "groups", "servers"]
    assert mapping["project"] == "demo"
    assert mapping["address_groups"] == [{"name": "office", "description": "Office", "addresses": ["203.0.113.0/24"]}, {"name": "other", "addresses": []}]
    groups = dict((g["name"], g) for g in mapping["groups"])
    assert sorted(groups) == ["bastion", "default", "web"]
    assert groups["bastion"] == {
        "name": "bastion",
        "stateful": False,
        "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "203.0.113.0/24", "description": "office"}],
    }
    assert groups["default"] == {
        "name": "default",
        "rules": [
            {"remote_group": "default"},
            {"ethertype": "IPv6", "remote_group": "default"},
            {"direction": "egress"},
            {"direction": "egress", "ethertype": "IPv6"},
        ],
    }
    web = groups["web"]
    assert web["description"] == "Web" and web["tags"] == ["tier=web"]
    assert {"protocol": "tcp", "port": 443} in web["rules"]
    assert {"ethertype": "IPv6", "protocol": "tcp", "port": 443, "description": "v6"} in web["rules"]
    assert {"protocol": "tcp", "port": 22, "remote_group": "bastion"} in web["rules"]
    assert {"protocol": "udp", "remote_ip_prefix": "10.0.0.0/8"} in web["rules"]
    assert {"protocol": "ipv6-icmp", "icmp_type": 128} in web["rules"]
    assert {"protocol": "tcp", "port": 5432, "remote_address_group": "office"} in web["rules"]
    # A group of another project, and one whose name is not unique, are named by id.
    assert {"protocol": "tcp", "port": 8080, "remote_group": "g-foreign"} in web["rules"]
    assert {"protocol": "tcp", "port": 9000, "remote_group": "g-dup1"} in web["rules"]
    assert any("g-dup1" in w for w in warnings) and any("g-dup2" in w for w in warnings)


def test_export_servers_one_entry_per_set_of_groups():
    mapping, _warnings = declarations_file.export_project(inventory(), PROJECT)
    assert "project" not in mapping
    assert mapping["servers"] == [
        {"server": "multi", "security_groups": ["web"], "ports": ["p-multi-a", "p-multi-c"]},
        {"server": "multi", "security_groups": ["bastion", "g-dup1"], "ports": ["p-multi-b"]},
        {"server": "s-dupa", "security_groups": []},
        {"server": "s-dupb", "security_groups": ["bastion"]},
        {"server": "web-1", "security_groups": ["default", "web"]},
    ]


def test_export_round_trip_plans_nothing():
    inv = inventory()
    mapping, _warnings = declarations_file.export_project(inv, PROJECT, project="demo")
    jsonschema.validate(mapping, declarations_file.file_schema())
    desired = parse_declaration({"groups": mapping["groups"], "address_groups": mapping["address_groups"]})
    plan, warnings = planner.make_plan(desired, planner_observed(inv), {"state": "present"})
    # Nothing, the default group included (Neutron's, never adopted).
    assert plan == []
    assert warnings == []
    attachments.validate_servers(mapping["servers"])
    assert attachments.plan_attachments(mapping["servers"], attachments_observed(inv)) == []


def test_a_server_with_three_sets_of_groups_is_named_the_same_way_in_each_entry():
    inv = inventory()
    inv["ports"].append(port("p-multi-d", "s-multi", ["g-default"]))
    mapping, warnings = declarations_file.export_project(inv, PROJECT)
    entries = [s for s in mapping["servers"] if s["server"] in ("multi", "s-multi")]
    assert [s["server"] for s in entries] == ["multi", "multi", "multi"]
    assert sorted(p for s in entries for p in s["ports"]) == ["p-multi-a", "p-multi-b", "p-multi-c", "p-multi-d"]
    assert not any("different sets" in w for w in warnings)
    attachments.validate_servers(mapping["servers"])
    assert attachments.plan_attachments(mapping["servers"], attachments_observed(inv)) == []


def test_filters_select_groups_their_address_groups_and_servers():
    mapping, _warnings = declarations_file.export_project(inventory(), PROJECT, names=["we*"])
    assert [g["name"] for g in mapping["groups"]] == ["web"]
    assert [a["name"] for a in mapping["address_groups"]] == ["office"]
    assert [s["server"] for s in mapping["servers"]] == ["multi", "multi", "web-1"]
    mapping, _warnings = declarations_file.export_project(inventory(), PROJECT, tags=["tier=web"], include_servers=False)
    assert [g["name"] for g in mapping["groups"]] == ["web"] and "servers" not in mapping
    mapping, _warnings = declarations_file.export_project(inventory(), PROJECT, names=["nothing"])
    assert mapping["groups"] == [] and mapping["address_groups"] == [] and mapping["servers"] == []


def test_all_projects_split_by_project():
    inv = inventory()
    inv["groups"].append(group("g-o", "web", project=OTHER, rules=[rule("g-o", 0, remote_group="g-web")]))
    assert declarations_file.projects_in(inv) == [PROJECT, OTHER]
    mapping, _warnings = declarations_file.export_project(inv, OTHER, project=OTHER)
    assert mapping["groups"] == [{"name": "web", "rules": [{"remote_group": "g-web"}]}]
    assert mapping["servers"] == []


@pytest.mark.parametrize(
    "neutron, compact",
    [
        ({"direction": "ingress", "ethertype": "IPv4"}, {}),
        ({"direction": "egress", "ethertype": "IPv6"}, {"direction": "egress", "ethertype": "IPv6"}),
        ({"direction": "ingress", "ethertype": "IPv6", "remote_ip_prefix": "fd00::/8"}, {"remote_ip_prefix": "fd00::/8"}),
        ({"direction": "ingress", "ethertype": "IPv6", "protocol": "icmp"}, {"protocol": "ipv6-icmp"}),
        (
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp", "port_range_min": 8, "port_range_max": 0},
            {"protocol": "icmp", "icmp_type": 8, "icmp_code": 0},
        ),
        (
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 8000, "port_range_max": 8100},
            {"protocol": "tcp", "port": "8000-8100"},
        ),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "112"}, {"protocol": "vrrp"}),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "200"}, {"protocol": "200"}),
    ],
)
def test_compact_rule(neutron, compact):
    key = model.key_from_neutron(neutron)
    assert declarations_file.compact_rule(key, "", None) == compact


# --- property: any state exports to a declaration that plans to nothing ----

GROUP_IDS = ["g-a", "g-b", "g-c"]


@st.composite
def neutron_rule(draw):
    ethertype = draw(st.sampled_from(["IPv4", "IPv6"]))
    direction = draw(st.sampled_from(["ingress", "egress"]))
    protocol = draw(
        st.sampled_from([None, "tcp", "6", "udp", "17", "icmp", "gre", "sctp", "132", "any"] + (["ipv6-icmp", "58"] if ethertype == "IPv6" else []))
    )
    canonical = model.canonical_protocol(protocol, ethertype)
    body = {"direction": direction, "ethertype": ethertype, "protocol": protocol}
    if canonical in model.PORT_PROTOCOLS and draw(st.booleans()):
        low = draw(st.integers(1, 65535))
        body["port_range_min"] = low
        body["port_range_max"] = draw(st.integers(low, 65535))
    elif canonical in model.ICMP_PROTOCOLS and draw(st.booleans()):
        body["port_range_min"] = draw(st.integers(0, 255))
        if draw(st.booleans()):
            body["port_range_max"] = draw(st.integers(0, 255))
    remote = draw(st.sampled_from(["none", "cidr", "group", "address_group"]))
    if remote == "cidr":
        if ethertype == "IPv4":
            body["remote_ip_prefix"] = draw(st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "192.0.2.7/32", "192.0.2.0/24"]))
        else:
            body["remote_ip_prefix"] = draw(st.sampled_from(["::/0", "fd00::/8", "2001:db8::1/128"]))
    elif remote == "group":
        body["remote_group_id"] = draw(st.sampled_from(GROUP_IDS + ["g-foreign"]))
    elif remote == "address_group":
        body["remote_address_group_id"] = "ag-1"
    body["description"] = draw(st.sampled_from(["", "x", "an: odd 'one'"]))
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(neutron_rule(), max_size=8), min_size=len(GROUP_IDS), max_size=len(GROUP_IDS)))
def test_property_export_then_plan_is_empty(rule_lists):
    groups = []
    for gid, rules in zip(GROUP_IDS, rule_lists):
        seen = set()
        unique = []
        for index, body in enumerate(rules):
            key = model.key_from_neutron(body)
            if key in seen:
                continue
            seen.add(key)
            unique.append(dict(body, id="%s-r%d" % (gid, index), security_group_id=gid))
        groups.append(group(gid, gid.replace("g-", "name-"), rules=unique))
    address_group = {"id": "ag-1", "name": "ag", "addresses": ["192.0.2.0/24"], "project_id": PROJECT}
    inv = {"groups": groups, "address_groups": [address_group], "servers": [], "ports": []}
    mapping, warnings = declarations_file.export_project(inv, PROJECT)
    assert warnings == []
    jsonschema.validate(json.loads(json.dumps(mapping)), declarations_file.file_schema())
    desired = parse_declaration({"groups": mapping["groups"], "address_groups": mapping["address_groups"]})
    plan, _warnings = planner.make_plan(desired, planner_observed(inv), {"state": "present"})
    assert plan == []


def test_protocol_0_is_exported_as_neutron_stores_it_and_round_trips():
    inv = inventory()
    (web,) = [g for g in inv["groups"] if g["name"] == "web"]
    web["rules"].append(
        dict(
            web["rules"][0],
            id="r-zero",
            protocol="0",
            port_range_min=None,
            port_range_max=None,
            remote_ip_prefix="10.9.0.0/16",
            remote_group_id=None,
            remote_address_group_id=None,
            description="",
        )
    )
    # The same number as Neutron stores it when a client sent its name (the modules send "hopopt" for protocol 0).
    web["rules"].append(dict(web["rules"][-1], id="r-hopopt", protocol="hopopt", remote_ip_prefix="10.8.0.0/16"))
    mapping, _warnings = declarations_file.export_project(inv, PROJECT)
    (exported,) = [g for g in mapping["groups"] if g["name"] == "web"]
    assert {"protocol": 0, "remote_ip_prefix": "10.9.0.0/16"} in exported["rules"]
    assert {"protocol": 0, "remote_ip_prefix": "10.8.0.0/16"} in exported["rules"]
    assert "hopopt" not in str(mapping)
    jsonschema.validate(mapping, declarations_file.file_schema())
    desired = parse_declaration({"groups": mapping["groups"], "address_groups": mapping["address_groups"]})
    plan, _warnings = planner.make_plan(desired, planner_observed(inv), {"state": "present"})
    assert plan == []


def test_tree_file_names_are_project_names_and_ids_only_when_names_clash():
    ids = ["1a", "2b", "3c", "4d", "5e", "6f", "7a"]
    names = {"1a": "team-a", "2b": "Shared", "3c": "shared", "4d": "ops/eu", "5e": "..", "7a": "1a"}
    assert declarations_file.tree_file_names(ids, names) == {
        "1a": "team-a.yml",
        "2b": "2b.yml",  # "Shared" and "shared" clash (case-insensitive file systems)
        "3c": "3c.yml",
        "4d": "ops_eu.yml",  # a "/" makes no directory
        "5e": "5e.yml",  # no name left
        "6f": "6f.yml",  # name not visible to the credentials
        "7a": "7a.yml",  # a name that is another project's id
    }
    assert declarations_file.tree_file_names(["x"], {}) == {"x": "x.yml"}
