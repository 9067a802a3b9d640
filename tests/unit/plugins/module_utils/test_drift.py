"""Drift reports from real plans: what would be created, deleted, replaced, updated, and why."""

import json

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _attachments as attachments
from ansible_collections.netsec.openstack.plugins.module_utils import _drift as drift
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._reconcile import public_plan

PROJECT = "p1"
DECLARATIONS = {
    "project": "demo",
    "address_groups": [{"name": "office", "addresses": ["203.0.113.0/24"]}],
    "groups": [
        {"name": "web", "rules": [{"protocol": "tcp", "port": 443}, {"protocol": "tcp", "port": 22, "remote_group": "bastion", "description": "ssh"}]},
        {"name": "bastion", "rules": [{"protocol": "tcp", "port": 22, "remote_address_group": "office"}]},
    ],
    "servers": [{"server": "web-1", "security_groups": ["web"]}],
}


def neutron_rule(gid, index, **fields):
    rule = {"id": "%s-r%d" % (gid, index), "security_group_id": gid, "direction": "ingress", "ethertype": "IPv4", "description": ""}
    rule.update(fields)
    return rule


def observed(web_rules=None, office=("203.0.113.0/24",)):
    if web_rules is None:
        web_rules = [
            neutron_rule("g-web", 0, protocol="tcp", port_range_min=443, port_range_max=443),
            neutron_rule("g-web", 1, protocol="tcp", port_range_min=22, port_range_max=22, remote_group_id="g-bastion", description="ssh"),
        ]
    return {
        "project_id": PROJECT,
        "groups": [
            {"id": "g-web", "name": "web", "description": "", "stateful": True, "tags": [model.OWNER_TAG], "project_id": PROJECT, "rules": web_rules},
            {
                "id": "g-bastion",
                "name": "bastion",
                "description": "",
                "stateful": True,
                "tags": [model.OWNER_TAG],
                "project_id": PROJECT,
                "rules": [neutron_rule("g-bastion", 0, protocol="tcp", port_range_min=22, port_range_max=22, remote_address_group_id="ag-office")],
            },
            {"id": "g-debug", "name": "debug", "description": "", "stateful": True, "tags": [], "project_id": PROJECT, "rules": []},
        ],
        "address_groups": [{"id": "ag-office", "name": "office", "description": "", "addresses": list(office), "project_id": PROJECT}],
        "known_groups": {},
        "known_address_groups": {},
        "templates": None,
        "usage": {},
        "address_group_usage": {},
    }


def groups_result(state, declarations=None):
    declarations = declarations or DECLARATIONS
    desired = parse_declaration({"groups": declarations["groups"], "address_groups": declarations["address_groups"]})
    plan, _warnings = planner.make_plan(desired, state, {"state": "present"})
    return {"changed": bool(plan), "plan": public_plan(plan), "project_id": PROJECT}


def servers_result(port_groups):
    state = {
        "servers": [{"id": "s1", "name": "web-1", "project_id": PROJECT}],
        "ports": [
            {
                "id": "port-1234567890",
                "name": "",
                "device_id": "s1",
                "project_id": PROJECT,
                "network_id": "n",
                "network_name": "net",
                "fixed_ips": ["10.0.0.5"],
                "port_security_enabled": True,
                "security_group_ids": sorted(port_groups),
            }
        ],
        "groups": [{"id": g, "name": g[2:], "project_id": PROJECT, "stateful": True, "shared": False} for g in ("g-web", "g-bastion", "g-debug")],
    }
    ops = attachments.plan_attachments(DECLARATIONS["servers"], state)
    return {"changed": bool(ops), "plan": ops, "project_id": PROJECT}


def test_no_drift():
    data = drift.report(groups_result(observed()), servers_result(["g-web"]), declarations=DECLARATIONS, source="sg.yml")
    assert data["drift"] is False and data["status"] == "clean" and data["objects"] == []
    assert data["counts"] == {"create": 0, "delete": 0, "replace": 0, "update": 0, "adopt": 0, "total": 0}
    assert data["adopt"] == []
    assert data["project"] == "demo" and data["project_id"] == PROJECT and data["source"] == "sg.yml"
    text = drift.markdown(data)
    assert "**No drift**: the cloud matches declarations `sg.yml`, project `demo`." in text
    json.dumps(data)


def test_added_removed_replaced_rules_and_changed_attachment():
    web_rules = [
        # tcp/443 was removed by hand; an extra rule was added; ssh's description changed.
        neutron_rule("g-web", 1, protocol="tcp", port_range_min=22, port_range_max=22, remote_group_id="g-bastion", description="old"),
        neutron_rule("g-web", 2, protocol="tcp", port_range_min=3389, port_range_max=3389),
    ]
    data = drift.report(
        groups_result(observed(web_rules, office=("203.0.113.0/24", "198.51.100.7/32"))),
        servers_result(["g-web", "g-debug"]),
        declarations=DECLARATIONS,
        source="sg.yml",
    )
    assert data["drift"] is True and data["status"] == "drift"
    assert data["counts"] == {"create": 1, "delete": 1, "replace": 1, "update": 2, "adopt": 0, "total": 5}
    by_object = dict(((o["type"], o["name"]), o["changes"]) for o in data["objects"])
    assert list(by_object) == [("address_group", "office"), ("security_group", "web"), ("server", "web-1")]
    (office,) = by_object[("address_group", "office")]
    assert office["change"] == "update" and office["remove_addresses"] == ["198.51.100.7/32"]
    web = by_object[("security_group", "web")]
    # The delete of tcp/3389 overlaps no create: it runs first, lowering the peak quota usage (issue 13).
    expected = [("delete", "delete_rule"), ("replace", "replace_rule"), ("create", "create_rule")]
    assert [(c["change"], c["action"]) for c in web] == expected
    delete, replace, create = web
    assert replace["what"] == "rule ingress IPv4 tcp/22 from group bastion: description 'old' -> 'ssh'"
    assert "rules are immutable" in replace["reason"]
    assert create["what"] == "rule ingress IPv4 tcp/443 from anywhere" and "not present" in create["reason"]
    assert create["path"] == "groups[0].rules[0]" and create["rule"]["port"] == 443
    assert delete["what"] == "rule ingress IPv4 tcp/3389 from anywhere" and "not declared" in delete["reason"]
    (port,) = by_object[("server", "web-1")]
    assert port["change"] == "update" and port["removed"] == ["debug"] and port["added"] == []
    assert port["what"] == "port port-123 (10.0.0.5): wears [debug, web], declared [web]"

    text = drift.markdown(data, picture="flowchart LR\n  a --> b\n")
    assert "**Drift: 5 change(s)** (1 create, 1 delete, 1 replace, 2 update)" in text
    assert "| group `web` | delete | rule ingress IPv4 tcp/3389 from anywhere | not declared in groups[0] (purge_rules) |" in text
    assert "| server `web-1` | update | port port-123 (10.0.0.5): wears [debug, web], declared [web] |" in text
    assert "```mermaid\nflowchart LR\n  a --> b\n```" in text


def test_new_and_deleted_groups():
    new_db = {"name": "db", "description": "PostgreSQL", "stateful": False, "tags": ["tier=db"], "rules": []}
    declarations = dict(DECLARATIONS, groups=DECLARATIONS["groups"] + [new_db])
    data = drift.report(groups_result(observed(), declarations), {"skipped": True}, declarations=declarations)
    (db,) = [o for o in data["objects"] if o["name"] == "db"]
    assert db["changes"][0]["what"] == "new group (description 'PostgreSQL'; stateless; tags tier=db)"
    # The template rules a new group gets are removed: reported as deletes with the reason.
    assert [c["change"] for c in db["changes"]][1:] == ["delete", "delete"]
    assert "default rule template" in db["changes"][1]["reason"]

    deleting = {
        "plan": [
            {"action": "delete_group", "group": "old", "id": "g-old", "rules": 3, "reason": "carries managed-by=netsec.openstack, not declared (purge_groups)"}
        ]
    }
    data = drift.report(deleting)
    assert data["objects"] == [
        {
            "type": "security_group",
            "name": "old",
            "changes": [
                {
                    "change": "delete",
                    "action": "delete_group",
                    "what": "group and its 3 rule(s)",
                    "reason": "carries managed-by=netsec.openstack, not declared (purge_groups)",
                }
            ],
        }
    ]


def test_adoption_is_listed_but_is_not_drift():
    declarations = dict(DECLARATIONS, groups=DECLARATIONS["groups"] + [{"name": "debug", "adopt": True}])
    data = drift.report(groups_result(observed(), declarations), None, declarations=declarations)
    assert data["drift"] is False and data["objects"] == [] and data["adopt"] == ["debug"]
    assert data["counts"]["adopt"] == 1 and data["counts"]["total"] == 0
    assert "are not tagged `managed-by=netsec.openstack` yet (the next apply adds the tag" in drift.markdown(data)
    # Adoption together with a real change is an update, and drift.
    declarations = dict(DECLARATIONS, groups=DECLARATIONS["groups"] + [{"name": "debug", "description": "new", "adopt": True}])
    data = drift.report(groups_result(observed(), declarations), None, declarations=declarations)
    (debug,) = data["objects"]
    assert debug["changes"][0]["change"] == "update" and data["drift"] is True and data["adopt"] == []


def test_not_declared_lists_what_the_scope_holds_beyond_the_file():
    live = {
        "groups": [{"name": "web"}, {"name": "bastion"}, {"name": "debug"}, {"name": "default"}],
        "address_groups": [{"name": "office"}],
        "servers": [{"server": "web-1"}, {"server": "db-1"}],
    }
    data = drift.report(groups_result(observed()), None, declarations=DECLARATIONS, live=live)
    assert data["drift"] is False
    assert data["not_declared"] == {"security_groups": ["debug", "default"], "address_groups": [], "servers": ["db-1"]}
    text = drift.markdown(data)
    assert "- security groups: `debug`, `default`" in text and "- servers: `db-1`" in text


def test_failed_results_and_error_reports():
    with pytest.raises(ValueError, match="the module failed"):
        drift.report({"failed": True, "msg": "boom"})
    # What playbooks/drift.yml writes when no plan could be computed.
    error = {"format": drift.REPORT_FORMAT, "drift": None, "status": "error", "source": "sg.yml", "project": "demo", "error": "cloud unreachable"}
    text = drift.markdown(error)
    assert "**Error**: no plan could be computed for declarations `sg.yml`, project `demo`." in text
    assert "cloud unreachable" in text


def test_markdown_escapes_table_cells():
    data = drift.report(
        {"plan": [{"action": "update_group", "group": "a|b", "id": "x", "reason": "why|not", "changes": {"description": {"before": "x|y", "after": "z"}}}]}
    )
    text = drift.markdown(data)
    assert "| group `a\\|b` | update | description 'x\\|y' -> 'z' | why\\|not |" in text


def test_protocol_0_is_worded_as_any_protocol_in_json_and_markdown():
    """Neutron's drivers match every protocol for protocol 0: the report says so, and never 'hopopt'."""
    web_rules = [
        neutron_rule("g-web", 0, protocol="0"),  # added by hand: a run would delete it
        neutron_rule("g-web", 1, protocol="0", ethertype="IPv6", description="old"),  # description changed
        neutron_rule("g-web", 2, protocol="tcp", port_range_min=22, port_range_max=22, remote_group_id="g-bastion", description="ssh"),
    ]
    web = {
        "name": "web",
        "rules": [
            {"protocol": 0, "ethertype": "IPv6", "description": "all v6"},
            {"protocol": "hopopt", "remote_ip_prefix": "10.0.0.0/8"},
            {"protocol": "tcp", "port": 22, "remote_group": "bastion", "description": "ssh"},
        ],
    }
    declarations = dict(DECLARATIONS, groups=[web, DECLARATIONS["groups"][1]])
    data = drift.report(groups_result(observed(web_rules), declarations), None, declarations=declarations)
    changes = dict((c["action"], c) for c in data["objects"][0]["changes"])
    assert changes["delete_rule"]["what"] == "rule ingress IPv4 protocol 0 (any) from anywhere"
    assert changes["create_rule"]["what"] == "rule ingress IPv4 protocol 0 (any) from 10.0.0.0/8"
    assert changes["replace_rule"]["what"] == "rule ingress IPv6 protocol 0 (any) from anywhere: description 'old' -> 'all v6'"
    for change in changes.values():
        assert change["rule"]["protocol"] == 0 and change["rule"]["protocol_note"] == "protocol 0 (any)", change
    text = drift.markdown(data)
    assert "| group `web` | delete | rule ingress IPv4 protocol 0 (any) from anywhere |" in text
    assert "hopopt" not in json.dumps(data) and "hopopt" not in text
    # A rule the report shows can be worded again (the note is not a rule field).
    assert drift.describe_rule(changes["create_rule"]["rule"]) == "ingress IPv4 protocol 0 (any) from 10.0.0.0/8"
