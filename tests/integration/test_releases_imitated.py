"""Clouds older than installable (Stein..Zed), imitated: the fault proxy hides extensions (issue 15).

A proxy in front of the local Neutron drops chosen extensions from GET /v2.0/extensions, answers
404 on their paths, strips their fields from security-group bodies and refuses requests that send
them (as the older Neutron does). The engine must work with what is there and refuse, before any
write, what is not, naming the field path and the missing extension alias. End states are read
with openstacksdk straight from Neutron, not through the proxy.
"""

import os

import pytest
import yaml

from conftest import NEUTRON_URL
from fault_campaign import run_inprocess, run_playbook
from fault_proxy import FaultProxy

OWNER = "managed-by=netsec.openstack"
WRITES = ("POST", "PUT", "DELETE", "PATCH")


@pytest.fixture(scope="module")
def old_cloud(clouds_file):
    """A proxy in front of Neutron and a clouds.yaml with ``netsec-admin-old`` going through it."""
    proxy = FaultProxy(NEUTRON_URL).start()
    before = os.environ.get("OS_CLIENT_CONFIG_FILE")
    with open(before or clouds_file) as handle:
        config = yaml.safe_load(handle)
    twin = dict(config["clouds"]["netsec-admin"])
    twin["network_endpoint_override"] = proxy.url + "/"
    config["clouds"]["netsec-admin-old"] = twin
    path = os.path.join(os.path.dirname(clouds_file), "clouds-old.yaml")
    with open(path, "w") as handle:
        yaml.safe_dump(config, handle)
    os.environ["OS_CLIENT_CONFIG_FILE"] = path  # a superset: this process's other clients keep working
    proxy.clouds_path = path
    yield proxy
    proxy.stop()
    if before is not None:
        os.environ["OS_CLIENT_CONFIG_FILE"] = before


@pytest.fixture
def old(old_cloud):
    old_cloud.reset()
    old_cloud.extensions.clear()
    yield old_cloud
    old_cloud.extensions.clear()


def run(declaration, check_mode=False, **options):
    return run_inprocess(declaration, dict(dict(state="present"), **options), cloud="netsec-admin-old", check_mode=check_mode)


def writes(proxy):
    return [(e["method"], e["path"]) for e in proxy.requests() if e["method"] in WRITES]


def gets(proxy, fragment):
    return [e["path"] for e in proxy.requests() if e["method"] == "GET" and fragment in e["path"]]


def rules_of(admin, group):
    return sorted(
        [
            (r.direction, r.ether_type, r.protocol, r.port_range_min, r.remote_ip_prefix, r.remote_group_id)
            for r in admin.network.security_group_rules(security_group_id=group.id)
        ],
        key=str,
    )


def group_named(admin, name):
    found = list(admin.network.security_groups(name=name))
    assert len(found) <= 1, found
    return found[0] if found else None


def plain(names):
    return {
        "groups": [
            {
                "name": names("web"),
                "description": "web tier",
                "stateful": True,
                "rules": [
                    {"protocol": "tcp", "port": 443},
                    {"protocol": "tcp", "port": 22, "remote_group": names("bastion")},
                ],
            },
            {"name": names("bastion"), "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "203.0.113.0/24"}]},
        ]
    }


def test_a_stein_cloud_converges_a_plain_declaration(old, admin, names):
    old.extensions.hide_release("stein")
    declaration = plain(names)
    first = run(declaration)
    assert first.ok, first.msg
    assert not [e for e in old.requests() if isinstance(e["status"], int) and e["status"] >= 400], old.requests()
    # what the engine decides from the features: no templates read, no 'stateful' sent
    assert gets(old, "/extensions") == ["/v2.0/extensions"]
    assert gets(old, "default-security-group-rules") == []
    web, bastion = group_named(admin, names("web")), group_named(admin, names("bastion"))
    assert web.description == "web tier" and OWNER in web.tags and web.stateful is True
    assert rules_of(admin, web) == sorted([("ingress", "IPv4", "tcp", 443, None, None), ("ingress", "IPv4", "tcp", 22, None, bastion.id)], key=str)
    old.reset()
    again = run(declaration)
    assert again.ok and again.result["changed"] is False, again.result.get("plan")
    assert writes(old) == []


def test_a_stein_cloud_refuses_address_groups_and_stateless_groups_before_any_write(old, admin, names):
    old.extensions.hide_release("stein")
    declaration = {
        "address_groups": [{"name": names("clients"), "addresses": ["10.0.1.0/24"]}],
        "groups": [{"name": names("db"), "stateful": False, "rules": [{"protocol": "tcp", "port": 5432, "remote_address_group": names("clients")}]}],
    }
    for check_mode in (True, False):
        old.reset()
        outcome = run(declaration, check_mode=check_mode)
        assert not outcome.ok and not outcome.crashed, outcome.msg
        assert outcome.msg.startswith("nothing was changed: ")
        for expected in (
            "address_groups[0]: this cloud's Neutron lacks the API extension 'address-group'",
            "groups[0].stateful (group %s): this cloud's Neutron lacks the API extension 'stateful-security-group'" % names("db"),
            "groups[0].rules[0].remote_address_group (group %s): this cloud's Neutron lacks the API extension "
            "'security-groups-remote-address-group'" % names("db"),
        ):
            assert expected in outcome.msg, outcome.msg
        assert writes(old) == []
        # refused on the extension list alone: nothing else was read
        assert [e["path"] for e in old.requests() if e["method"] == "GET" and "/v2.0/" in e["path"]] == ["/v2.0/extensions"], old.requests()
    assert group_named(admin, names("db")) is None
    assert not list(admin.network.address_groups(name=names("clients")))


@pytest.mark.parametrize(
    "alias, declaration, path",
    [
        ("address-group", lambda n: {"address_groups": [{"name": n("ag"), "addresses": ["10.0.0.0/8"]}]}, "address_groups[0]"),
        (
            "security-groups-remote-address-group",
            lambda n: {
                "address_groups": [{"name": n("ag"), "addresses": ["10.0.0.0/8"]}],
                "groups": [{"name": n("g"), "rules": [{"protocol": "tcp", "port": 1, "remote_address_group": n("ag")}]}],
            },
            "groups[0].rules[0].remote_address_group",
        ),
        ("stateful-security-group", lambda n: {"groups": [{"name": n("g"), "stateful": False}]}, "groups[0].stateful"),
        ("standard-attr-tag", lambda n: {"groups": [{"name": n("g"), "tags": ["tier=web"]}]}, "groups[0].tags"),
    ],
)
def test_one_hidden_extension_refuses_what_needs_it_and_converges_the_rest(old, admin, names, alias, declaration, path):
    old.extensions.hide(alias)
    refused = run(declaration(names))
    assert not refused.ok and not refused.crashed, refused.msg
    shown = path + (" (group %s)" % names("g") if path.startswith("groups") else "")  # messages name the group
    assert "%s: this cloud's Neutron lacks the API extension '%s'" % (shown, alias) in refused.msg
    assert writes(old) == []
    if alias == "standard-attr-tag":
        return  # without tags no group can be created or adopted: see the next test
    old.reset()
    rest = run(plain(names))
    assert rest.ok, rest.msg
    assert group_named(admin, names("web")) is not None


def test_without_tags_groups_can_not_be_owned_and_the_refusal_says_why(old, admin, names):
    old.extensions.hide("standard-attr-tag")
    outcome = run({"groups": [{"name": names("g"), "rules": []}]})
    assert not outcome.ok and not outcome.crashed
    assert "groups[0] (group %s): this cloud's Neutron lacks the API extension 'standard-attr-tag'" % names("g") in outcome.msg
    assert OWNER in outcome.msg
    assert writes(old) == [] and group_named(admin, names("g")) is None


def test_without_default_rule_templates_new_groups_get_the_historical_defaults(old, admin, names):
    old.extensions.hide("security-groups-default-rules")
    declaration = {"groups": [{"name": names("g"), "rules": [{"protocol": "tcp", "port": 22}]}]}
    outcome = run(declaration)
    assert outcome.ok, outcome.msg
    assert gets(old, "default-security-group-rules") == []
    assert not [w for w in outcome.result["warnings"] if "other rules than" in w or "still differed" in w], outcome.result["warnings"]
    group = group_named(admin, names("g"))
    assert rules_of(admin, group) == [("ingress", "IPv4", "tcp", 22, None, None)]


def test_a_zed_cloud_takes_address_groups(old, admin, names):
    old.extensions.hide_release("zed")
    declaration = {
        "address_groups": [{"name": names("clients"), "addresses": ["10.0.1.0/24"]}],
        "groups": [{"name": names("db"), "stateful": False, "rules": [{"protocol": "tcp", "port": 5432, "remote_address_group": names("clients")}]}],
    }
    outcome = run(declaration)
    assert outcome.ok, outcome.msg
    db = group_named(admin, names("db"))
    assert db.stateful is False
    clients = list(admin.network.address_groups(name=names("clients")))[0]
    assert [r.remote_address_group_id for r in admin.network.security_group_rules(security_group_id=db.id)] == [clients.id]
    old.reset()
    assert run(declaration).result["changed"] is False
    assert writes(old) == []


def test_the_refusal_through_ansible_playbook(old, admin, names, tmp_path):
    old.extensions.hide_release("stein")
    outcome = run_playbook(str(tmp_path), old.clouds_path, {"groups": [{"name": names("g"), "stateful": False}]}, {}, cloud="netsec-admin-old")
    assert not outcome.ok and not outcome.crashed, outcome.msg
    assert outcome.result["changed"] is False
    assert "groups[0].stateful (group %s): this cloud's Neutron lacks the API extension 'stateful-security-group'" % names("g") in outcome.msg
    assert writes(old) == []
