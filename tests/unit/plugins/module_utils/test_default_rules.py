"""The default security group rule templates: validation, plan, guard, diff (pure)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from access_seed import neutron_rule  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _default_rules as templates  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError  # noqa: E402


def neutron(id_, direction="egress", ethertype="IPv4", default=True, other=True, description="", **fields):
    """A template as Neutron returns it: a rule with the two flags."""
    flags = {"used_in_default_sg": default, "used_in_non_default_sg": other}
    return neutron_rule(id_, direction=direction, ethertype=ethertype, description=description, **dict(flags, **fields))


# What a fresh Neutron holds.
LEGACY = [
    neutron("in4", "ingress", "IPv4", True, False, "Legacy default SG rule for ingress traffic", remote_group_id="PARENT"),
    neutron("in6", "ingress", "IPv6", True, False, "Legacy default SG rule for ingress traffic", remote_group_id="PARENT"),
    neutron("eg4", "egress", "IPv4", True, True, "Legacy default SG rule for egress traffic"),
    neutron("eg6", "egress", "IPv6", True, True, "Legacy default SG rule for egress traffic"),
]


def observed(items):
    return [templates.observed_template(item) for item in items]


def plan_for(rules, items=None, purge=True):
    return templates.make_plan(templates.parse_templates(rules), observed(LEGACY if items is None else items), purge)


def test_neutron_defaults_declared_match_a_fresh_cloud_without_writes():
    assert plan_for(templates.NEUTRON_DEFAULTS) == []


@pytest.mark.parametrize(
    "spelling",
    [
        {"direction": "egress", "protocol": "any", "remote_ip_prefix": "0.0.0.0/0"},
        {"direction": "egress", "ethertype": "ipv4", "protocol": None},
        {"direction": "egress", "ether_type": "IPv4", "port_range_min": None},
    ],
)
def test_spellings_of_the_same_template_match(spelling):
    rules = [dict(r) for r in templates.NEUTRON_DEFAULTS]
    rules[2] = spelling
    assert plan_for(rules) == []


def test_egress_only_ipv4_for_new_groups():
    rules = [
        {"remote_group": "PARENT", "used_in_non_default_sg": False},
        {"remote_group": "PARENT", "ethertype": "IPv6", "used_in_non_default_sg": False},
        {"direction": "egress"},
    ]
    plan = plan_for(rules)
    assert [(op["action"], op.get("id")) for op in plan] == [("delete", "eg6")]
    after = templates.simulate(observed(LEGACY), plan)
    assert sorted(t.id for t in after) == ["eg4", "in4", "in6"]
    # Nothing is lost that the guard watches: IPv4 egress remains for both kinds of group.
    assert templates.guard_findings(observed(LEGACY), after) == []


def test_flag_change_is_a_replacement_and_ordered_after_creates():
    rules = [dict(r) for r in templates.NEUTRON_DEFAULTS] + [{"protocol": "tcp", "port": 22, "used_in_default_sg": False}]
    rules[3] = {"direction": "egress", "ethertype": "IPv6", "used_in_default_sg": False}
    plan = plan_for(rules)
    assert [op["action"] for op in plan] == ["create", "replace"]
    assert plan[1]["id"] == "eg6" and "used_in_default_sg true -> false" in plan[1]["reason"]
    assert plan[1]["old"]["used_in_default_sg"] is True
    body = templates.body_of(plan[1])
    assert body == {"direction": "egress", "ethertype": "IPv6", "used_in_default_sg": False, "used_in_non_default_sg": True}
    assert templates.body_of(plan[0]) == {
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "port_range_min": 22,
        "port_range_max": 22,
        "used_in_default_sg": False,
        "used_in_non_default_sg": True,
    }


def test_description_managed_only_when_declared():
    rules = [dict(r) for r in templates.NEUTRON_DEFAULTS]
    rules[2] = {"direction": "egress", "description": "Legacy default SG rule for egress traffic"}
    assert plan_for(rules) == []
    rules[2] = {"direction": "egress", "description": "all out"}
    (op,) = plan_for(rules)
    assert op["action"] == "replace" and op["id"] == "eg4" and "description" in op["reason"]
    assert templates.body_of(op)["description"] == "all out"


def test_no_purge_leaves_undeclared_templates():
    assert plan_for([{"direction": "egress"}], purge=False) == []
    assert [op["id"] for op in plan_for([{"direction": "egress"}])] == ["in4", "in6", "eg6"]


def test_empty_declaration_deletes_all_and_the_guard_says_what_is_lost():
    plan = plan_for([])
    assert sorted(op["id"] for op in plan) == ["eg4", "eg6", "in4", "in6"]
    findings = templates.guard_findings(observed(LEGACY), templates.simulate(observed(LEGACY), plan))
    assert [(f["scope"], f["lost"]) for f in findings] == [
        ("used_in_non_default_sg", "egress"),
        ("used_in_default_sg", "egress"),
        ("used_in_default_sg", "ingress"),
    ]
    assert all(f["message"].startswith("LOCKOUT:") for f in findings)


def test_guard_reports_default_groups_losing_ingress_only():
    rules = [{"direction": "egress"}, {"direction": "egress", "ethertype": "IPv6"}]
    plan = plan_for(rules)
    findings = templates.guard_findings(observed(LEGACY), templates.simulate(observed(LEGACY), plan))
    assert [(f["scope"], f["lost"]) for f in findings] == [("used_in_default_sg", "ingress")]
    assert "default security groups no ingress rule" in findings[0]["message"]


def test_guard_is_quiet_when_the_state_was_already_so():
    before = observed([neutron("eg4", default=False)])
    assert templates.guard_findings(before, before) == []


@pytest.mark.parametrize(
    "rules, message",
    [
        (
            [{"direction": "egress", "used_in_default_sg": False, "used_in_non_default_sg": False}],
            "rules[0]: used_in_default_sg and used_in_non_default_sg are both false",
        ),
        ([{"direction": "egress", "used_in_default": False}], "rules[0].used_in_default: unknown field 'used_in_default' (did you mean 'used_in_default_sg'?)"),
        ([{"direction": "egress", "used_in_default_sg": "yes"}], "rules[0].used_in_default_sg: expected a boolean"),
        ([{"protocol": "icmp", "port": 22}], "rules[0].port: ports do not apply to icmp"),
        ([{"protocol": "tcp", "prot": 22}], "rules[0].prot: unknown field 'prot'"),
        ([{"remote_group": "web"}], "rules[0].remote_group: 'web' is not a template's remote group; use PARENT"),
        ([{"remote_address_group": "office"}], "rules[0].remote_address_group: 'office' is not an id"),
        ([{"direction": "egress"}, {"direction": "egress", "used_in_default_sg": False}], "rules[1]: the same rule as rules[0]"),
        ("egress", "rules: expected a list"),
    ],
)
def test_bad_input_names_the_path(rules, message):
    with pytest.raises(DeclarationError) as raised:
        templates.parse_templates(rules)
    assert any(error.startswith(message) for error in raised.value.errors), raised.value.errors


def test_all_errors_at_once():
    with pytest.raises(DeclarationError) as raised:
        templates.parse_templates([{"protocol": "icmp", "port": 22}, {"direction": "sideways"}, {"direction": "egress", "used_in_default_sg": 1}])
    paths = sorted(error.split(":")[0] for error in raised.value.errors)
    assert paths == ["rules[0].port", "rules[1].direction", "rules[2].used_in_default_sg"]


def test_prefix_list_makes_one_template_per_prefix():
    parsed = templates.parse_templates([{"protocol": "tcp", "port": 22, "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]}])
    assert sorted((t.key.ethertype, t.key.remote) for t in parsed) == [("IPv4", "10.0.0.0/8"), ("IPv6", "fd00::/8")]


def test_diff_is_one_sorted_line_per_template():
    rules = [
        {"direction": "egress"},
        {"protocol": "tcp", "port": 22, "remote_ip_prefix": "203.0.113.0/24", "used_in_default_sg": False, "description": "office"},
    ]
    plan = plan_for(rules)
    diff = templates.diff(observed(LEGACY), templates.simulate(observed(LEGACY), plan))
    assert diff["after"] == (
        "egress IPv4 any to 0.0.0.0/0 [default, other] 'Legacy default SG rule for egress traffic'\ningress IPv4 tcp/22 from 203.0.113.0/24 [other] 'office'\n"
    )
    assert "ingress IPv6 any from the new group itself [default]" in diff["before"]


def test_simulate_then_plan_is_empty():
    rules = [{"direction": "egress", "used_in_default_sg": False}, {"protocol": "icmp", "icmp_type": 8}]
    desired = templates.parse_templates(rules)
    after = templates.simulate(observed(LEGACY), templates.make_plan(desired, observed(LEGACY)))
    assert templates.make_plan(desired, after) == []


# --- the cloud layer's refusals, with a fake connection ---------------------

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as cloud  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.default_rules import Templates  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.reads import Reads  # noqa: E402


class FakeNetwork(object):
    def __init__(self, aliases, listing=None):
        self.aliases = aliases
        self.listing = listing

    extension_reads = 0

    def extensions(self):
        self.extension_reads += 1
        return [type("Extension", (), {"alias": alias})() for alias in self.aliases]

    def default_security_group_rules(self):
        if isinstance(self.listing, Exception):
            raise self.listing
        return []


class FakeConnection(object):
    def __init__(self, network):
        self.network = network


def templates_of(network):
    """The template calls over a run's reads, as the module makes them."""
    return Templates(Reads(FakeConnection(network)))


def test_a_cloud_without_the_extension_is_a_clear_error_naming_it():
    with pytest.raises(cloud.CloudError) as raised:
        templates_of(FakeNetwork(["security-group", "address-group"])).require_api()
    assert "security-groups-default-rules" in str(raised.value) and "2023.2" in str(raised.value)
    templates_of(FakeNetwork(["security-groups-default-rules"])).require_api()


def test_a_404_on_the_templates_is_the_same_clear_error():
    from openstack import exceptions

    network = FakeNetwork(["security-groups-default-rules"], exceptions.NotFoundException("404"))
    with pytest.raises(cloud.CloudError) as raised:
        templates_of(network).list_templates()
    assert "security-groups-default-rules" in str(raised.value)


def test_a_403_on_the_templates_names_the_role_it_needs_and_what_the_cloud_said():
    from openstack import exceptions

    network = FakeNetwork(["security-groups-default-rules"], exceptions.ForbiddenException("policy forbids it"))
    with pytest.raises(cloud.CloudError) as raised:
        templates_of(network).list_templates()
    assert "reading the default security group rule templates was refused" in str(raised.value)
    assert "policy forbids it" in str(raised.value) and "reader or admin" in str(raised.value)


def test_the_module_and_the_planner_read_the_extension_list_once_per_run():
    network = FakeNetwork(["security-groups-default-rules"])
    calls = templates_of(network)
    calls.require_api()
    assert calls.list_templates() == [] and calls.reads.default_rule_templates() == []
    assert network.extension_reads == 1


class WritingNetwork(FakeNetwork):
    """Template writes: the first create is refused with ``create_error``; deletes are recorded."""

    def __init__(self, create_error=None):
        super(WritingNetwork, self).__init__(["security-groups-default-rules"])
        self.create_error = create_error
        self.created, self.deleted = [], []

    def create_default_security_group_rule(self, **attrs):
        if self.create_error is not None:
            raise self.create_error
        self.created.append(attrs)
        return type(
            "Template",
            (),
            dict(
                attrs,
                id="t-new",
                description=None,
                remote_ip_prefix=None,
                remote_group_id=None,
                port_range_min=None,
                port_range_max=None,
                protocol=None,
                used_in_default_sg=True,
                used_in_non_default_sg=True,
            ),
        )()

    def delete_default_security_group_rule(self, template_id, ignore_missing=True):
        self.deleted.append((template_id, ignore_missing))


def test_template_writes_send_ether_type_and_refusals_name_the_admin_role():
    from openstack import exceptions

    network = WritingNetwork()
    created = templates_of(network).create_template({"direction": "egress", "ethertype": "IPv6"})
    assert network.created == [{"direction": "egress", "ether_type": "IPv6"}] and created["ethertype"] == "IPv6" and created["id"] == "t-new"
    templates_of(network).delete_template("t-old")
    assert network.deleted == [("t-old", True)]
    refused = WritingNetwork(exceptions.ForbiddenException("admin only"))
    with pytest.raises(cloud.CloudError) as raised:
        templates_of(refused).create_template({"direction": "egress"})
    assert str(raised.value) == "creating a default security group rule template was refused (admin only): it needs the admin role"
