"""The readable diff: one item per changed group / port, canonical sorted rule lines, names in the headers."""

import difflib

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _attachments as attachments
from ansible_collections.netsec.openstack.plugins.module_utils import _diff_view as diff_view
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile_attachments as reconcile_attachments
from ansible_collections.netsec.openstack.plugins.module_utils._plan import PlanError


def group(name, rules, description="", tags=("managed-by=netsec.openstack",), stateful=True):
    return {"name": name, "description": description, "stateful": stateful, "tags": list(tags), "rules": rules}


SSH = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port": 22, "remote_ip_prefix": "0.0.0.0/0", "description": "ssh"}


def test_rule_lines():
    assert diff_view.rule_line(SSH) == 'ingress tcp 22 from 0.0.0.0/0 "ssh"'
    assert diff_view.rule_line({"direction": "egress", "ethertype": "IPv6", "protocol": "any"}) == "egress any to ::/0"
    assert (
        diff_view.rule_line({"direction": "ingress", "ethertype": "IPv6", "protocol": "tcp", "port": "8000-8099", "remote_group": "web"})
        == "ingress IPv6 tcp 8000-8099 from group web"
    )
    assert (
        diff_view.rule_line({"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp", "icmp_type": 8, "icmp_code": 0, "remote_address_group": "office"})
        == "ingress IPv4 icmp type 8 code 0 from address group office"
    )
    assert (
        diff_view.rule_line({"direction": "ingress", "ethertype": "IPv4", "protocol": "hopopt", "remote_ip_prefix": "10.0.0.0/8"})
        == "ingress protocol 0 (any) from 10.0.0.0/8"
    )
    assert diff_view.rule_line(dict(SSH, description='say "hi"')) == 'ingress tcp 22 from 0.0.0.0/0 "say \\"hi\\""'


def test_one_item_per_changed_group_with_its_name_in_the_headers():
    before = {"security_groups": [group("web", [SSH]), group("same", [])], "address_groups": []}
    after = {
        "security_groups": [group("web", [dict(SSH, description="SSH in")]), group("same", []), group("new", [])],
        "address_groups": [{"name": "office", "description": "", "addresses": ["10.0.0.0/8"]}],
    }
    items = diff_view.group_diffs({"before": before, "after": after})
    assert [(i["before_header"], i["after_header"]) for i in items] == [
        ("address group office (does not exist)", "address group office"),
        ("security group new (does not exist)", "security group new"),
        ("security group web", "security group web"),
    ]
    web = items[2]
    changed = [
        line
        for line in difflib.unified_diff(web["before"].splitlines(), web["after"].splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]
    assert changed == ['-  ingress tcp 22 from 0.0.0.0/0 "ssh"', '+  ingress tcp 22 from 0.0.0.0/0 "SSH in"']
    assert items[1]["before"] == "" and "rules: (none)" in items[1]["after"]


def test_rules_are_sorted_whatever_the_input_order():
    rules = [dict(SSH, port=443, description=""), SSH, {"direction": "egress", "ethertype": "IPv4", "protocol": "any"}]
    text = diff_view.group_text(group("web", rules))
    assert text.splitlines()[4:] == ["  egress any to 0.0.0.0/0", '  ingress tcp 22 from 0.0.0.0/0 "ssh"', "  ingress tcp 443 from 0.0.0.0/0"]
    assert diff_view.group_text(group("web", list(reversed(rules)))) == text


def test_a_deleted_group():
    items = diff_view.group_diffs({"before": {"security_groups": [group("old", [SSH])]}, "after": {"security_groups": []}})
    assert items[0]["after_header"] == "security group old (deleted)" and items[0]["after"] == ""


def test_readable_keeps_the_machine_readable_diff():
    data = {"before": {"security_groups": []}, "after": {"security_groups": [group("new", [])]}}
    result = diff_view.readable({"plan": [{"action": "create_group"}], "diff": data})
    assert result["diff_data"] == data and result["plan"] == [{"action": "create_group"}]
    assert [i["after_header"] for i in result["diff"]] == ["security group new"]
    assert diff_view.readable({"plan": []}) == {"plan": []}


def test_attachment_items_per_server_and_port_sorted():
    before = [
        {
            "server": "web-1",
            "id": "s1",
            "ports": [
                {"id": "b", "name": "", "fixed_ips": ["10.1.0.5"], "network": "mgmt", "security_groups": ["default"]},
                {"id": "a", "name": "eth0", "fixed_ips": ["10.0.0.5"], "network": "public", "security_groups": ["default"]},
            ],
        }
    ]
    after = [
        {
            "server": "web-1",
            "id": "s1",
            "ports": [
                {"id": "b", "name": "", "fixed_ips": ["10.1.0.5"], "network": "mgmt", "security_groups": ["default"]},
                {"id": "a", "name": "eth0", "fixed_ips": ["10.0.0.5"], "network": "public", "security_groups": ["web", "default"]},
            ],
        }
    ]
    items = diff_view.attachment_diffs(before, after)
    assert items == [
        {
            "before_header": "server web-1 port a eth0 (10.0.0.5 on public)",
            "after_header": "server web-1 port a eth0 (10.0.0.5 on public)",
            "before": "default\n",
            "after": "default\nweb\n",
        }
    ]
    emptied = [{"server": "web-1", "id": "s1", "ports": [dict(after[0]["ports"][1], security_groups=[])]}]
    assert diff_view.attachment_diffs(before, emptied)[0]["after"] == "(no security group)\n"


# --- the guard's modes (server_security_groups) ---------------------------------


def state_with_ssh():
    return {
        "servers": [{"id": "s1", "name": "web-1", "project_id": "p"}],
        "ports": [{"id": "a", "device_id": "s1", "project_id": "p", "fixed_ips": ["10.0.0.5"], "security_group_ids": ["g-ssh"]}],
        "groups": [
            {
                "id": "g-ssh",
                "name": "ssh",
                "project_id": "p",
                "stateful": True,
                "rules": [{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}],
            },
            {"id": "g-web", "name": "web", "project_id": "p", "stateful": True, "rules": []},
        ],
    }


@pytest.mark.parametrize(
    "servers",
    [
        [{"server": "web-1", "security_groups": []}],
        [{"server": "web-1", "security_groups": ["web"]}],
        [{"server": "web-1", "security_groups": ["ssh"], "mode": "remove"}],
    ],
)
def test_guard_refuses_by_default_warns_or_ignores_when_told(servers):
    state = state_with_ssh()
    ops = attachments.plan_attachments(servers, state)
    with pytest.raises(PlanError) as info:
        reconcile_attachments.guard(state, ops, {})
    assert "LOCKOUT" in str(info.value) and "(lockout_guard=fail)" in str(info.value)
    found, warnings = reconcile_attachments.guard(state, ops, {"lockout_guard": "warn"})
    assert len(found) == 1 and warnings == [found[0]["message"]]
    assert reconcile_attachments.guard(state, ops, {"lockout_guard": "ignore"}) == ([], [])
