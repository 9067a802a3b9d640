"""_features: extension aliases -> features; declarations and plans -> clear refusals (issue 15)."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as adapter
from ansible_collections.netsec.openstack.plugins.module_utils import _features as features
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconcile
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration

# What the local cloud's Neutron 29 lists (the ones that matter here), and what older releases lack
# (docs/neutron-releases.md).
NEWEST = [
    "security-group",
    "address-group",
    "security-groups-remote-address-group",
    "stateful-security-group",
    "standard-attr-tag",
    "security-groups-default-rules",
    "security-groups-normalized-cidr",
    "security-groups-rules-belongs-to-default-sg",
    "security-groups-shared-filtering",
    "rbac-security-groups",
    "rbac-address-group",
    "tag-creation",
    "security-groups-default-statefulness",
    "revision-if-match",
    "standard-attr-description",
]
ANTELOPE_LACKS = ["security-groups-default-rules", "security-groups-rules-belongs-to-default-sg", "tag-creation", "security-groups-default-statefulness"]
STEIN_LACKS = ANTELOPE_LACKS + [
    "stateful-security-group",
    "address-group",
    "security-groups-remote-address-group",
    "rbac-address-group",
    "security-groups-normalized-cidr",
    "security-groups-shared-filtering",
]


def cloud(lacks=()):
    return features.features_from_extensions([{"alias": a, "name": a} for a in NEWEST if a not in lacks])


EVERYTHING = {
    "address_groups": [{"name": "clients", "addresses": ["10.0.0.0/24"]}],
    "groups": [
        {
            "name": "web",
            "stateful": False,
            "tags": ["tier=web"],
            "rules": [
                {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"},
                {"protocol": "tcp", "port": 5432, "remote_address_group": "clients"},
            ],
        },
        {"name": "plain", "stateful": True, "rules": [{"protocol": "tcp", "port": 443}]},
    ],
}


def test_aliases_in_any_shape_become_features():
    class Extension(object):
        alias = "address-group"

    found = features.features_from_extensions([{"alias": "stateful-security-group"}, Extension(), "standard-attr-tag", {"alias": "something-else"}, {}])
    assert found == frozenset(["stateful", "address_groups", "tags"])


def test_the_tag_alias_is_the_real_one():
    # Neutron's alias for tags on security groups (and every standard-attribute resource).
    assert features.BY_NAME["tags"].alias == "standard-attr-tag"
    assert features.BY_NAME["default_rules"].alias == "security-groups-default-rules"


def test_the_newest_cloud_takes_everything():
    desired = parse_declaration(EVERYTHING)
    assert features.missing(features.declaration_uses(desired), cloud()) == []


def test_a_stein_cloud_refuses_each_field_by_path_and_alias():
    errors = features.missing(features.declaration_uses(parse_declaration(EVERYTHING)), cloud(STEIN_LACKS))
    assert errors == [
        "address_groups[0]: this cloud's Neutron lacks the API extension 'address-group' (address groups)",
        "groups[0].stateful: this cloud's Neutron lacks the API extension 'stateful-security-group' (stateless security groups: stateful false)",
        "groups[0].rules[1].remote_address_group: this cloud's Neutron lacks the API extension "
        "'security-groups-remote-address-group' (rules whose source is an address group)",
        "groups[0].rules[1].remote_address_group: this cloud's Neutron lacks the API extension 'address-group' (address groups)",
    ]


def test_stateful_true_and_plain_rules_need_nothing():
    desired = parse_declaration({"groups": [{"name": "a", "stateful": True, "rules": [{"protocol": "tcp", "port": 22}]}, {"name": "b"}]})
    assert features.declaration_uses(desired) == []


def test_declared_tags_need_standard_attr_tag():
    desired = parse_declaration({"groups": [{"name": "a"}, {"name": "b", "tags": ["x"]}]})
    errors = features.missing(features.declaration_uses(desired), cloud(["standard-attr-tag"]))
    assert len(errors) == 1 and errors[0].startswith("groups[1].tags: this cloud's Neutron lacks the API extension 'standard-attr-tag'")


def test_a_plan_that_creates_or_adopts_groups_needs_tags_for_ownership():
    desired = parse_declaration({"groups": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})
    plan = [
        {"action": "create_group", "group": "a"},
        {"action": "update_group", "group": "b", "changes": {"tags": {"before": [], "after": ["x"]}}},
        {"action": "update_group", "group": "c", "changes": {"description": {"before": "", "after": "d"}}},
        {"action": "create_rule", "group": "c"},
    ]
    uses = features.plan_uses(desired, plan)
    assert uses == [("groups[0]", "tags"), ("groups[1]", "tags")]
    errors = features.missing(uses, cloud(["standard-attr-tag"]))
    assert [e.split(":")[0] for e in errors] == ["groups[0]", "groups[1]"]
    assert "managed-by=netsec.openstack" in errors[0]
    assert features.missing(uses, cloud()) == []


class FakeNetwork(object):
    def __init__(self, aliases):
        self.aliases = aliases
        self.calls = []

    def extensions(self):
        self.calls.append("extensions")
        return iter([{"alias": a} for a in self.aliases])

    def default_security_group_rules(self):
        self.calls.append("default_security_group_rules")
        return iter([])


class FakeConnection(object):
    def __init__(self, aliases):
        self.network = FakeNetwork(aliases)


def test_the_extension_list_is_read_once_per_run_and_only_when_asked():
    connection = FakeConnection(NEWEST)
    cloud_adapter = adapter.Adapter(connection)
    assert connection.network.calls == []
    assert "address_groups" in cloud_adapter.features()
    cloud_adapter.features()
    cloud_adapter.default_rule_templates()
    assert connection.network.calls == ["extensions", "default_security_group_rules"]


def test_templates_are_not_read_where_the_cloud_has_none():
    connection = FakeConnection([a for a in NEWEST if a != "security-groups-default-rules"])
    assert adapter.Adapter(connection).default_rule_templates() is None
    assert connection.network.calls == ["extensions"]


def test_a_declaration_without_optional_features_costs_no_request():
    connection = FakeConnection(NEWEST)
    desired = parse_declaration({"groups": [{"name": "a", "rules": [{"protocol": "tcp", "port": 22}]}]})
    reconcile.check_features(adapter.Adapter(connection), desired)
    reconcile.check_features(adapter.Adapter(connection), desired, [{"action": "create_rule", "group": "a"}])
    assert connection.network.calls == []


def test_check_features_refuses_with_a_plan_error_naming_paths():
    connection = FakeConnection([a for a in NEWEST if a != "address-group"])
    desired = parse_declaration(EVERYTHING)
    with pytest.raises(planner.PlanError) as caught:
        reconcile.check_features(adapter.Adapter(connection), desired)
    assert caught.value.errors[0].startswith("address_groups[0]: this cloud's Neutron lacks the API extension 'address-group'")
    assert connection.network.calls == ["extensions"]
