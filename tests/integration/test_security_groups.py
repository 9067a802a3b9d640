"""netsec.openstack.security_groups against the real local cloud, checked with openstacksdk."""

import json

import pytest
import yaml

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

MODULE = "netsec.openstack.security_groups"
OWNER = "managed-by=netsec.openstack"


def rule_set(conn, group_id):
    """The group's rules as canonical keys + description, read independently."""
    rules = conn.network.security_group_rules(security_group_id=group_id)
    return sorted((tuple(str(v) for v in model.key_from_neutron(r.to_dict())), r.description or "") for r in rules)


def key(conn_rule):
    return model.key_from_neutron(conn_rule)


def find_group(conn, name, project_id=None):
    query = {"name": name}
    if project_id:
        query["project_id"] = project_id
    found = list(conn.network.security_groups(**query))
    assert len(found) == 1, "expected one group %s, found %d" % (name, len(found))
    return found[0]


def declared_keys(conn, group, rules_by_group_name=None):
    return sorted(tuple(str(v) for v in model.key_from_neutron(r.to_dict())) for r in conn.network.security_group_rules(security_group_id=group.id))


def seed_declaration(names):
    return {
        "address_groups": [{"name": names("db-clients"), "description": "App servers", "addresses": ["10.0.1.0/24", "10.0.2.7"]}],
        "groups": [
            {
                "name": names("web"),
                "description": "Public web tier",
                "stateful": True,
                "tags": ["tier=web"],
                "rules": [
                    {"protocol": "tcp", "port": 443, "remote_ip_prefix": "0.0.0.0/0"},
                    {"protocol": "tcp", "port": 22, "remote_group": names("bastion")},
                    {"protocol": "udp", "port": "8000-8100", "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]},
                    {"protocol": "icmp", "ethertype": "IPv6"},
                    {"protocol": "tcp", "port": 5432, "remote_address_group": names("db-clients")},
                    {"direction": "egress", "ethertype": "IPv4"},
                    {"direction": "egress", "ethertype": "IPv6"},
                ],
            },
            {"name": names("bastion"), "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "203.0.113.0/24", "description": "office"}]},
        ],
    }


def test_create_from_empty_then_nothing_to_do(runner, admin, names):
    declaration = seed_declaration(names)
    result = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    assert result["changed"] is True

    web = find_group(admin, names("web"))
    bastion = find_group(admin, names("bastion"))
    clients = list(admin.network.address_groups(name=names("db-clients")))[0]
    assert sorted(clients.addresses) == ["10.0.1.0/24", "10.0.2.7/32"]
    assert web.description == "Public web tier" and web.stateful is True
    assert sorted(web.tags) == sorted([OWNER, "tier=web"]) and bastion.tags == [OWNER]
    web_rules = list(admin.network.security_group_rules(security_group_id=web.id))
    assert len(web_rules) == 8
    by_shape = dict(
        ((r.direction, r.ether_type, r.protocol, r.port_range_min, r.remote_ip_prefix, r.remote_group_id, r.remote_address_group_id), r) for r in web_rules
    )
    assert ("ingress", "IPv4", "tcp", 22, None, bastion.id, None) in by_shape
    assert ("ingress", "IPv4", "tcp", 5432, None, None, clients.id) in by_shape
    assert ("ingress", "IPv6", "ipv6-icmp", None, None, None, None) in by_shape
    assert ("ingress", "IPv6", "udp", 8000, "fd00::/8", None, None) in by_shape
    bastion_rules = list(admin.network.security_group_rules(security_group_id=bastion.id))
    # The template's egress rules were removed: bastion declares only one rule.
    assert [(r.direction, r.port_range_min, r.remote_ip_prefix, r.description) for r in bastion_rules] == [("ingress", 22, "203.0.113.0/24", "office")]
    # One bulk POST per group for rules.
    posts = [p for m, p in runner.last_requests["requests"] if m == "POST" and "security-group-rules" in p]
    assert len(posts) == 2, runner.last_requests["requests"]

    again = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    assert again["changed"] is False and again["plan"] == []
    assert runner.last_requests["writes"] == 0, runner.last_requests
    assert runner.last_requests["total"] <= 4, runner.last_requests


def test_return_groups_false_is_the_same_run_with_ids_and_names_only(runner, admin, names):
    declaration = seed_declaration(names)
    full = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration), check=True, diff=True)
    short = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", return_groups=False, **declaration), check=True, diff=True)
    assert runner.last_requests["writes"] == 0, runner.last_requests
    for key in ("changed", "plan", "summary", "diff", "quota"):
        assert short[key] == full[key], key
    assert short["security_groups"] == [{"id": None, "name": names("web")}, {"id": None, "name": names("bastion")}]
    assert short["address_groups"] == [{"id": None, "name": names("db-clients")}]

    applied = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", return_groups=False, **declaration))
    assert applied["changed"] is True and len(applied["plan"]) == len(full["plan"])
    web, bastion = find_group(admin, names("web")), find_group(admin, names("bastion"))
    (clients,) = list(admin.network.address_groups(name=names("db-clients")))
    assert applied["security_groups"] == [{"id": web.id, "name": web.name}, {"id": bastion.id, "name": bastion.name}]
    assert applied["address_groups"] == [{"id": clients.id, "name": clients.name}]
    assert len(list(admin.network.security_group_rules(security_group_id=web.id))) == 8
    assert [r.port_range_min for r in admin.network.security_group_rules(security_group_id=bastion.id)] == [22]

    again = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", return_groups=False, **declaration))
    assert again["changed"] is False and again["plan"] == []
    assert runner.last_requests["writes"] == 0, runner.last_requests
    assert again["security_groups"] == applied["security_groups"]


def test_a_run_that_only_deletes_reads_only_the_declared_groups(runner, admin, names):
    web, app, old = names("web"), names("app"), names("old")
    declaration = {
        "groups": [
            {"name": web, "rules": [{"protocol": "tcp", "port": 443}]},
            {"name": app, "rules": [{"protocol": "tcp", "port": 8080, "remote_group": web}]},
            {"name": old, "rules": [{"protocol": "tcp", "port": 22, "remote_group": web}]},
        ]
    }
    runner.run_task(MODULE, dict(cloud="netsec-admin", **declaration))
    listings = lambda: [p for m, p in runner.last_requests["requests"] if m == "GET" and p.startswith("/v2.0/security-groups?")]  # noqa: E731

    # web is used by app's rule (Neutron would silently delete it with web): refused, naming app, nothing written
    refused = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", state="absent", groups=[{"name": web}]), expect_failure=True)
    assert "is referenced by rules of other groups" in refused["msg"] and "of group %s" % app in refused["msg"], refused["msg"]
    assert runner.last_requests["writes"] == 0
    assert listings()[0].startswith("/v2.0/security-groups?name=%s&project_id=" % web), listings()
    assert find_group(admin, web) is not None

    # old: deleted; the plan and the verifying read list only groups of that name, never the whole project
    deleted = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", state="absent", groups=[{"name": old}]), diff=True)
    assert [op["action"] for op in deleted["plan"]] == ["delete_group"]
    assert deleted["diff_data"]["before"]["security_groups"][0]["rules"][0]["remote_group"] == web  # named, though web was not listed
    web_id = find_group(admin, web).id
    # the plan's read and the verifying read: groups named old; one lookup by id names web for the diff
    assert [p.split("?")[1].split("&")[0] for p in listings()] == ["name=%s" % old, "id=%s" % web_id, "name=%s" % old], listings()
    assert list(admin.network.security_groups(name=old)) == [] and find_group(admin, app) is not None


def test_rules_created_by_the_cli_in_other_spellings_need_no_write(runner, admin, names, openstack_cli):
    name = names("cli")
    openstack_cli("security", "group", "create", name)
    group = find_group(admin, name)
    for rule in list(admin.network.security_group_rules(security_group_id=group.id)):
        admin.network.delete_security_group_rule(rule)
    openstack_cli("security", "group", "rule", "create", name, "--protocol", "6", "--dst-port", "22:22")
    openstack_cli("security", "group", "rule", "create", name, "--protocol", "udp", "--dst-port", "1:65535", "--remote-ip", "192.0.2.7")
    openstack_cli("security", "group", "rule", "create", name, "--protocol", "icmp", "--ethertype", "IPv6")
    openstack_cli("security", "group", "rule", "create", name, "--protocol", "TCP", "--dst-port", "443", "--remote-ip", "0.0.0.0/0")
    openstack_cli("security", "group", "rule", "create", name, "--egress", "--ethertype", "IPv6", "--remote-ip", "2001:DB8:0:0::/64")
    openstack_cli("security", "group", "rule", "create", name, "--protocol", "icmp", "--icmp-type", "8", "--icmp-code", "0")
    before = sorted(r.id for r in admin.network.security_group_rules(security_group_id=group.id))
    # The same rules in other spellings: no write (a group made by hand is managed, not adopted: no tag either).
    declaration = {
        "groups": [
            {
                "name": name,
                "rules": [
                    {"protocol": "tcp", "port": 22},
                    {"protocol": 17, "remote_ip_prefix": "192.0.2.7/32"},
                    {"protocol": "ipv6-icmp"},
                    {"protocol": "tcp", "port_range_min": 443, "port_range_max": 443},
                    {"direction": "egress", "remote_ip_prefix": "2001:db8::/64"},
                    {"protocol": "icmp", "icmp_type": 8, "icmp_code": 0},
                ],
            }
        ]
    }
    first = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    assert first["plan"] == [] and first["changed"] is False, first["plan"]
    assert runner.last_requests["writes"] == 0, runner.last_requests
    # Taking it over (adopt: true) writes the ownership tag and nothing else.
    declaration["groups"][0]["adopt"] = True
    adopted = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    assert [op["action"] for op in adopted["plan"]] == ["update_group"], adopted["plan"]
    writes = [(m, p) for m, p in runner.last_requests["requests"] if m != "GET"]
    assert writes == [("PUT", "/v2.0/security-groups/%s/tags" % group.id)], runner.last_requests
    second = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration))
    assert second["changed"] is False
    assert runner.last_requests["writes"] == 0
    after = sorted(r.id for r in admin.network.security_group_rules(security_group_id=group.id))
    assert before == after


def test_groups_may_reference_each_other_in_a_cycle(runner, admin, names):
    a, b = names("a"), names("b")
    declaration = {
        "groups": [
            {"name": a, "rules": [{"protocol": "tcp", "port": 80, "remote_group": b}, {"remote_group": a}]},
            {"name": b, "rules": [{"protocol": "tcp", "port": 81, "remote_group": a}]},
        ]
    }
    runner.run_task(MODULE, dict(cloud="netsec-admin", **declaration))
    group_a, group_b = find_group(admin, a), find_group(admin, b)
    remotes_a = sorted(r.remote_group_id for r in admin.network.security_group_rules(security_group_id=group_a.id))
    remotes_b = [r.remote_group_id for r in admin.network.security_group_rules(security_group_id=group_b.id)]
    assert remotes_a == sorted([group_a.id, group_b.id]) and remotes_b == [group_a.id]
    assert runner.run_task(MODULE, dict(cloud="netsec-admin", **declaration))["changed"] is False


def test_purge_rules_on_and_off(runner, admin, names):
    name = names("purge")
    runner.run_task(MODULE, dict(cloud="netsec-admin", purge_rules=False, groups=[{"name": name, "rules": [{"protocol": "tcp", "port": 22}]}]))
    group = find_group(admin, name)
    # purge_rules=false kept the template's egress rules
    assert sorted((r.direction, r.protocol) for r in admin.network.security_group_rules(security_group_id=group.id)) == [
        ("egress", None),
        ("egress", None),
        ("ingress", "tcp"),
    ]
    result = runner.run_task(MODULE, dict(cloud="netsec-admin", groups=[{"name": name, "rules": [{"protocol": "tcp", "port": 22}]}]))
    assert [op["action"] for op in result["plan"]] == ["delete_rule", "delete_rule"]
    assert [(r.direction, r.protocol) for r in admin.network.security_group_rules(security_group_id=group.id)] == [("ingress", "tcp")]


def test_description_change_replaces_the_rule(runner, admin, names):
    name = names("desc")
    group_args = dict(cloud="netsec-admin", groups=[{"name": name, "rules": [{"protocol": "tcp", "port": 22, "description": "old"}]}])
    runner.run_task(MODULE, group_args)
    group = find_group(admin, name)
    (old,) = list(admin.network.security_group_rules(security_group_id=group.id))
    group_args["groups"][0]["rules"][0]["description"] = "new"
    result = runner.run_task(MODULE, group_args)
    # One operation (issue 13): the old rule is deleted and the new one created back to back.
    assert [op["action"] for op in result["plan"]] == ["replace_rule"]
    assert result["plan"][0]["old_rule"]["description"] == "old" and result["plan"][0]["rule"]["description"] == "new"
    (new,) = list(admin.network.security_group_rules(security_group_id=group.id))
    assert new.description == "new" and new.id != old.id and new.port_range_min == 22


def test_stateful_description_and_tags_are_updated(runner, admin, names):
    name = names("attrs")
    runner.run_task(MODULE, dict(cloud="netsec-admin", groups=[{"name": name, "description": "one", "tags": ["x=1"]}]))
    result = runner.run_task(MODULE, dict(cloud="netsec-admin", groups=[{"name": name, "description": "two", "stateful": False, "tags": ["y=2"]}]))
    assert [op["action"] for op in result["plan"]] == ["update_group"]
    group = find_group(admin, name)
    assert group.description == "two" and group.stateful is False and sorted(group.tags) == sorted([OWNER, "y=2"])
    # omitted attributes are left alone
    assert runner.run_task(MODULE, dict(cloud="netsec-admin", groups=[{"name": name}]))["changed"] is False


def test_address_group_addresses_follow_the_declaration(runner, admin, names):
    name = names("clients")
    runner.run_task(MODULE, dict(cloud="netsec-admin", address_groups=[{"name": name, "addresses": ["10.0.0.1", "10.0.0.2"]}]))
    result = runner.run_task(
        MODULE, dict(cloud="netsec-admin", address_groups=[{"name": name, "description": "d", "addresses": ["10.0.0.2/32", "2001:db8::/64"]}])
    )
    assert [op["action"] for op in result["plan"]] == ["update_address_group"]
    (found,) = list(admin.network.address_groups(name=name))
    assert sorted(found.addresses) == ["10.0.0.2/32", "2001:db8::/64"] and found.description == "d"


def test_purge_groups_leaves_untagged_and_other_projects_alone(runner, admin, names, scratch_project):
    project = scratch_project.id
    ours_old = names("ours-old")
    runner.run_task(MODULE, dict(cloud="netsec-admin", project=scratch_project.name, groups=[{"name": ours_old}, {"name": names("keep")}]))
    handmade = admin.network.create_security_group(name=names("handmade"), project_id=project)
    elsewhere = admin.network.create_security_group(name=names("elsewhere"))  # admin's own project
    admin.network.set_tags(elsewhere, [OWNER])
    result = runner.run_task(MODULE, dict(cloud="netsec-admin", project=scratch_project.name, purge_groups=True, groups=[{"name": names("keep")}]))
    assert [(op["action"], op["group"]) for op in result["plan"]] == [("delete_group", ours_old)]
    remaining = sorted(g.name for g in admin.network.security_groups(project_id=project) if g.name != "default")
    assert remaining == sorted([names("keep"), handmade.name])
    assert admin.network.get_security_group(elsewhere.id).name == elsewhere.name


def test_non_admin_project(runner, demo, names):
    name = names("demo")
    declaration = {"groups": [{"name": name, "rules": [{"protocol": "tcp", "port": 80}, {"remote_group": name}]}]}
    result = runner.run_task(MODULE, dict(cloud="netsec-demo", **declaration))
    group = find_group(demo, name)
    assert group.project_id == demo.current_project_id == result["project_id"]
    assert len(list(demo.network.security_group_rules(security_group_id=group.id))) == 2
    assert runner.run_task(MODULE, dict(cloud="netsec-demo", **declaration))["changed"] is False


def test_check_mode_plans_exactly_what_the_real_run_does(runner, admin, names):
    existing = names("existing")
    runner.run_task(
        MODULE,
        dict(cloud="netsec-admin", groups=[{"name": existing, "rules": [{"protocol": "tcp", "port": 1}, {"protocol": "udp", "port": 2, "description": "a"}]}]),
    )
    declaration = {
        "groups": [
            {
                "name": existing,
                "description": "changed",
                "rules": [{"protocol": "udp", "port": 2, "description": "b"}, {"protocol": "tcp", "port": 3, "remote_group": names("new")}],
            },
            {"name": names("new"), "rules": [{"protocol": "icmp"}]},
        ]
    }
    # Only this test's names: other runs may share the cloud (the proxy's write count covers the rest).
    before = sorted(g.id for g in admin.network.security_groups() if g.name in (existing, names("new")))
    checked = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", **declaration), check=True, diff=True)
    assert runner.last_requests["writes"] == 0
    assert sorted(g.id for g in admin.network.security_groups() if g.name in (existing, names("new"))) == before
    real = runner.run_task(MODULE, dict(cloud="netsec-admin", **declaration), diff=True)
    assert checked["changed"] is True and real["changed"] is True

    def strip(plan):
        return [dict((k, v) for k, v in op.items() if k not in ("id", "group_ref", "ref")) for op in plan]

    assert strip(checked["plan"]) == strip(real["plan"])
    assert checked["diff"] == real["diff"]
    assert runner.run_task(MODULE, dict(cloud="netsec-admin", **declaration), check=True)["changed"] is False


def test_delete_of_a_group_in_use_by_a_port_is_refused(runner, admin, names):
    name = names("inuse")
    runner.run_task(MODULE, dict(cloud="netsec-admin", groups=[{"name": name}]))
    group = find_group(admin, name)
    network = admin.network.create_network(name=names("net"))
    try:
        port = admin.network.create_port(network_id=network.id, name=names("port"), security_group_ids=[group.id])
        result = runner.run_task(MODULE, dict(cloud="netsec-admin", state="absent", groups=[{"name": name}]), expect_failure=True)
        assert "in use by 1 port(s): port %s" % port.id in result["msg"] and "nothing was changed" in result["msg"]
        assert admin.network.get_security_group(group.id)
        admin.network.delete_port(port)
        runner.run_task(MODULE, dict(cloud="netsec-admin", state="absent", groups=[{"name": name}]))
        assert admin.network.find_security_group(group.id) is None
    finally:
        for port in admin.network.ports(network_id=network.id):
            admin.network.delete_port(port)
        admin.network.delete_network(network)


def test_delete_that_would_cascade_into_other_groups_is_refused(runner, admin, names):
    target, referrer = names("target"), names("referrer")
    runner.run_task(
        MODULE, dict(cloud="netsec-admin", groups=[{"name": target}, {"name": referrer, "rules": [{"protocol": "tcp", "port": 22, "remote_group": target}]}])
    )
    result = runner.run_task(MODULE, dict(cloud="netsec-admin", state="absent", groups=[{"name": target}]), expect_failure=True)
    assert "silently delete" in result["msg"] and referrer in result["msg"]
    assert len(list(admin.network.security_group_rules(security_group_id=find_group(admin, referrer).id))) == 1
    # Deleting both at once is fine.
    runner.run_task(MODULE, dict(cloud="netsec-admin", state="absent", groups=[{"name": target}, {"name": referrer}]))
    assert list(admin.network.security_groups(name=target)) == []


@pytest.mark.parametrize(
    "groups,expected",
    [
        ([{"name": "x", "rules": [{"protocol": "tcp", "port": "22-1"}]}], "groups[0].rules[0].port (group x): range '22-1' is reversed"),
        ([{"name": "x", "rules": [{"protocol": "tcp", "remote_ip": "10.0.0.0/8"}]}], "groups[0].rules[0].remote_ip (group x): unknown field"),
        ([{"name": "x", "rules": [{"remote_group": "no-such-group-anywhere"}]}], "groups[0].rules[0].remote_group (group x): unknown security group"),
    ],
)
def test_bad_input_fails_before_any_write(runner, groups, expected):
    result = runner.run_task(MODULE, dict(cloud="netsec-admin-counted", groups=groups), expect_failure=True)
    assert expected in result["msg"]
    assert "declarations_file" not in result["msg"]  # inline groups: no file to name
    assert runner.last_requests["writes"] == 0


def test_singular_module_shares_the_engine(runner, admin, names):
    name = names("single")
    result = runner.run_task(
        "netsec.openstack.security_group",
        dict(
            cloud="netsec-admin",
            name=name,
            description="one group",
            rules=[
                {"protocol": "tcp", "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"},
                {"protocol": "icmp", "port_range_min": -1, "port_range_max": -1, "ether_type": "IPv4"},
            ],
        ),
    )
    group = find_group(admin, name)
    assert result["security_group"]["id"] == group.id
    assert sorted((r.protocol, r.port_range_min) for r in admin.network.security_group_rules(security_group_id=group.id)) == [("icmp", None), ("tcp", 80)]
    bad = runner.run_task(
        "netsec.openstack.security_group", dict(cloud="netsec-admin", name=name, rules=[{"protocol": "icmp", "icmp_code": 1}]), expect_failure=True
    )
    assert "rules[0].icmp_code (group %s): icmp_code needs icmp_type" % name in bad["msg"]
    runner.run_task("netsec.openstack.security_group", dict(cloud="netsec-admin", name=name, state="absent"))
    assert admin.network.find_security_group(group.id) is None


def test_ambiguous_names_fail_listing_the_candidates(runner, admin, names):
    twin = names("twin")
    first = admin.network.create_security_group(name=twin)
    second = admin.network.create_security_group(name=twin)
    result = runner.run_task(
        MODULE,
        dict(cloud="netsec-admin-counted", groups=[{"name": names("user"), "rules": [{"protocol": "tcp", "port": 22, "remote_group": twin}]}]),
        expect_failure=True,
    )
    assert "groups[0].rules[0].remote_group (group %s): security group name %r is ambiguous" % (names("user"), twin) in result["msg"]
    assert first.id in result["msg"] and second.id in result["msg"]
    assert runner.last_requests["writes"] == 0
    result = runner.run_task(MODULE, dict(cloud="netsec-admin", groups=[{"name": twin}]), expect_failure=True)
    assert "groups[0].name (group %s): security group name %r is ambiguous" % (twin, twin) in result["msg"]


def test_default_group_rules_are_managed_but_it_is_never_deleted(runner, admin, scratch_project):
    args = dict(cloud="netsec-admin", project=scratch_project.id, groups=[{"name": "default", "rules": [{"remote_group": "default"}, {"direction": "egress"}]}])
    runner.run_task(MODULE, args)
    (default,) = list(admin.network.security_groups(project_id=scratch_project.id, name="default"))
    rules = sorted((r.direction, r.ether_type, r.remote_group_id) for r in admin.network.security_group_rules(security_group_id=default.id))
    assert rules == [("egress", "IPv4", None), ("ingress", "IPv4", default.id)]
    result = runner.run_task(MODULE, dict(args, state="absent"))
    assert result["plan"] == [] and any("never deleted" in w for w in result.get("warnings", []))
    assert admin.network.get_security_group(default.id).name == "default"


def test_password_never_appears_in_output_even_with_vvv(runner, clouds_file, names):
    with open(clouds_file) as handle:
        auth = dict(yaml.safe_load(handle)["clouds"]["netsec-admin"]["auth"])
    password = auth["password"]
    args = dict(auth=auth, auth_type="password", region_name="RegionOne", groups=[{"name": names("secret"), "rules": [{"protocol": "tcp", "port": 22}]}])
    result = runner.run_task(MODULE, args, diff=True, extra_args=["-vvv"])
    assert result["changed"] is True
    assert password not in runner.last_output
    assert password not in json.dumps(result)
    # A failing run (unknown remote group) does not leak it either.
    args["groups"][0]["rules"].append({"remote_group": "no-such-group"})
    failed = runner.run_task(MODULE, args, extra_args=["-vvv"], expect_failure=True)
    assert password not in runner.last_output and password not in json.dumps(failed)
