"""Issue 13 on the real local cloud: what is not declared is left alone, peers' spellings work unchanged.

End states are read back with openstacksdk (the ``admin`` fixture), never taken from the module's result.
The peer scenarios re-express openstack.cloud's own CI roles (ci/roles/security_group_rule and
ci/roles/security_group/tasks/rules.yml of openstack/ansible-collections-openstack) in this collection's
declarative shape: each of their rule modules' "not changed" steps is a 0-write run here.
"""

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

SGS = "netsec.openstack.security_groups"
SG = "netsec.openstack.security_group"
COUNTED = "netsec-admin-counted"


def group_of(conn, name):
    (group,) = list(conn.network.security_groups(name=name))
    return group


def rules_of(conn, group):
    """(canonical key, description, id) of each rule, read independently."""
    found = [(model.key_from_neutron(r.to_dict()), r.description or "", r.id) for r in conn.network.security_group_rules(security_group_id=group.id)]
    return sorted(found, key=lambda item: (model.sort_key_of_rule_key(item[0]), item[1], item[2]))


def shapes(conn, group):
    found = [
        (r.direction, r.ether_type, r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix)
        for r in conn.network.security_group_rules(security_group_id=group.id)
    ]
    return sorted(found, key=lambda shape: [str(v) for v in shape])


def run(runner, module, **args):
    return runner.run_task(module, dict(cloud=COUNTED, **args))


# --- leave alone what is not declared ---------------------------------------------------


def test_group_declared_without_rules_keeps_its_rules(runner, admin, names):
    name = names("keep")
    run(runner, SGS, groups=[{"name": name, "rules": [{"protocol": "tcp", "port": 22, "description": "ssh"}, {"protocol": "tcp", "port": 443}]}])
    group = group_of(admin, name)
    before = rules_of(admin, group)
    assert len(before) == 2
    for module, args in (
        (SGS, dict(groups=[{"name": name, "description": "now with a description"}])),
        (SG, dict(name=name, purge_rules=True)),
        (SGS, dict(groups=[{"name": name}], purge_rules=True)),
    ):
        result = run(runner, module, **args)
        assert [op["action"] for op in result["plan"]] in ([], ["update_group"]), result["plan"]
        writes = [(m, p) for m, p in runner.last_requests["requests"] if m != "GET"]
        assert not [w for w in writes if "security-group-rules" in w[1]], writes
        assert rules_of(admin, group) == before
    assert group_of(admin, name).description == "now with a description"
    # rules: [] still means no rules.
    run(runner, SG, name=name, rules=[])
    assert rules_of(admin, group) == []


def test_new_group_without_rules_keeps_the_cloud_template_rules(runner, admin, names):
    name = names("fresh")
    result = run(runner, SG, name=name)
    assert [op["action"] for op in result["plan"]] == ["create_group"]
    group = group_of(admin, name)
    templated = shapes(admin, group)
    assert templated  # the template's egress rules (this cloud's default), kept
    again = run(runner, SG, name=name)
    assert again["changed"] is False and runner.last_requests["writes"] == 0
    assert shapes(admin, group) == templated


def test_rule_without_description_matches_a_rule_that_has_one(runner, admin, names):
    name = names("desc")
    run(runner, SGS, groups=[{"name": name, "rules": [{"protocol": "tcp", "port": 22, "description": "office"}]}])
    group = group_of(admin, name)
    before = rules_of(admin, group)
    result = run(runner, SGS, groups=[{"name": name, "rules": [{"protocol": "tcp", "port": "22:22"}]}])
    assert result["changed"] is False and runner.last_requests["writes"] == 0, result["plan"]
    assert rules_of(admin, group) == before and before[0][1] == "office"
    # description: "" means empty: the rule is replaced, and then it is empty.
    result = run(runner, SGS, groups=[{"name": name, "rules": [{"protocol": "tcp", "port": 22, "description": ""}]}])
    assert [op["action"] for op in result["plan"]] == ["replace_rule"]  # one operation (issue 13)
    (after,) = rules_of(admin, group)
    assert after[0] == before[0][0] and after[1] == "" and after[2] != before[0][2]


def test_state_absent_with_rules_omitted_deletes_the_group(runner, admin, names):
    name = names("gone")
    run(runner, SGS, groups=[{"name": name, "rules": [{"protocol": "tcp", "port": 22}]}])
    run(runner, SGS, groups=[{"name": name}], state="absent")
    assert list(admin.network.security_groups(name=name)) == []


# --- openstack.cloud's CI scenarios, re-expressed ------------------------------------------


def test_peer_security_group_rule_role(runner, admin, names):
    """ci/roles/security_group_rule: the same rule in its spellings is one rule; -1/-1 is all ports / any type."""
    name = names("peer-rule")
    steps = [
        # (rule added, whether it adds a rule)
        ({"protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}, True),
        ({"protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}, False),
        ({"protocol": "icmp", "port_range_min": -1, "port_range_max": -1, "remote_ip_prefix": "0.0.0.0/0"}, False),
        ({"protocol": "tcp", "remote_ip_prefix": "0.0.0.0/0"}, True),
        ({"protocol": "tcp", "port_range_min": 1, "port_range_max": 65535, "remote_ip_prefix": "0.0.0.0/0"}, False),
        ({"protocol": "tcp", "port_range_min": -1, "port_range_max": -1, "remote_ip_prefix": "0.0.0.0/0"}, False),
        ({"protocol": "tcp", "port_range_min": 8000, "port_range_max": 9000, "remote_ip_prefix": "0.0.0.0/0"}, True),
        ({"protocol": "udp", "remote_ip_prefix": "0.0.0.0/0"}, True),
        ({"protocol": "udp", "port_range_min": 1, "port_range_max": 65535, "remote_ip_prefix": "0.0.0.0/0"}, False),
        ({"protocol": "udp", "port_range_min": -1, "port_range_max": -1, "remote_ip_prefix": "0.0.0.0/0"}, False),
        ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"}, True),
        ({"protocol": "tcp", "port_range_min": 30000, "port_range_max": 30001, "remote_ip_prefix": "0.0.0.0/0", "direction": "egress"}, True),
    ]
    run(runner, SG, name=name, description="Created from Ansible playbook", rules=[])
    group = group_of(admin, name)
    for rule, adds in steps:
        count = len(rules_of(admin, group))
        result = run(runner, SG, name=name, rules=[rule], purge_rules=False)
        assert result["changed"] is adds, (rule, result["plan"])
        assert len(rules_of(admin, group)) == count + (1 if adds else 0), rule
        if not adds:
            assert runner.last_requests["writes"] == 0, (rule, runner.last_requests)
    # 0.0.0.0/0 is "anywhere", sent (and stored) as no prefix; all ports as no range.
    assert shapes(admin, group) == sorted(
        [
            ("egress", "IPv4", "tcp", 30000, 30001, None),
            ("ingress", "IPv4", "icmp", None, None, None),
            ("ingress", "IPv4", "tcp", None, None, None),
            ("ingress", "IPv4", "tcp", 80, 80, None),
            ("ingress", "IPv4", "tcp", 8000, 9000, None),
            ("ingress", "IPv4", "udp", None, None, None),
        ],
        key=lambda shape: [str(v) for v in shape],
    )
    # Their deletes: the whole list written in their spellings plans nothing; dropping rules deletes them.
    every = [rule for rule, _adds in steps]
    assert run(runner, SG, name=name, rules=every)["changed"] is False and runner.last_requests["writes"] == 0
    run(runner, SG, name=name, rules=[])
    assert rules_of(admin, group) == []
    run(runner, SG, name=name, state="absent")
    assert list(admin.network.security_groups(name=name)) == []


def test_peer_security_group_role_rules(runner, admin, names):
    """ci/roles/security_group/tasks/rules.yml: create, rules replaced, [] empties, append, dense prefixes."""
    name = names("peer-group")
    first = run(runner, SG, name=name)
    assert first["changed"] is True
    assert run(runner, SG, name=name)["changed"] is False and runner.last_requests["writes"] == 0
    assert run(runner, SG, name=name, state="absent")["changed"] is True
    assert run(runner, SG, name=name, state="absent")["changed"] is False

    egress = [{"ether_type": "IPv6", "direction": "egress"}, {"ether_type": "IPv4", "direction": "egress"}]
    assert run(runner, SG, name=name, rules=egress)["changed"] is True
    assert run(runner, SG, name=name, rules=egress)["changed"] is False and runner.last_requests["writes"] == 0
    group = group_of(admin, name)
    assert sorted(r.ether_type for r in admin.network.security_group_rules(security_group_id=group.id)) == ["IPv4", "IPv6"]

    ingress = [{"protocol": "udp", "ether_type": "IPv6", "direction": "ingress", "port_range_min": 547, "port_range_max": 547}] + [
        {"protocol": "tcp", "ether_type": "IPv4", "direction": "ingress", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "1.2.3.%d/32" % host}
        for host in (40, 41, 42)
    ]
    run(runner, SG, name=name, rules=ingress)
    assert [s[0] for s in shapes(admin, group)] == ["ingress"] * 4
    run(runner, SG, name=name, rules=[])
    assert rules_of(admin, group) == []

    # Append: the existing rules as their info module returns them, plus new ones.
    run(runner, SG, name=name, rules=egress)
    existing = [
        dict(
            (k, v)
            for k, v in (
                ("direction", r.direction),
                ("ether_type", r.ether_type),
                ("protocol", r.protocol),
                ("port_range_min", r.port_range_min),
                ("port_range_max", r.port_range_max),
                ("remote_ip_prefix", r.remote_ip_prefix),
                ("description", r.description),
            )
            if v
        )
        for r in admin.network.security_group_rules(security_group_id=group.id)
    ]
    appended = existing + ingress[:2]
    assert run(runner, SG, name=name, rules=appended)["changed"] is True
    assert run(runner, SG, name=name, rules=appended)["changed"] is False and runner.last_requests["writes"] == 0
    assert len(rules_of(admin, group)) == 4

    # Dense prefixes: one declared rule, one Neutron rule per prefix.
    dense = [ingress[0], dict(ingress[1], remote_ip_prefix=["1.2.3.40/32", "1.2.3.41/32", "1.2.3.42/32"])]
    run(runner, SG, name=name, rules=dense)
    assert len(rules_of(admin, group)) == 4
    assert run(runner, SG, name=name, rules=dense)["changed"] is False and runner.last_requests["writes"] == 0


def test_peer_spellings_of_the_openstack_cli_need_no_write(runner, admin, names, openstack_cli):
    """`openstack security group rule create --dst-port 8000:8100`, declared as 8000:8100."""
    name = names("cli-colon")
    run(runner, SG, name=name, rules=[])
    openstack_cli("security", "group", "rule", "create", name, "--protocol", "tcp", "--dst-port", "8000:8100")
    openstack_cli("security", "group", "rule", "create", name, "--protocol", "udp")
    before = rules_of(admin, group_of(admin, name))
    declared = [{"protocol": "tcp", "port": "8000:8100"}, {"protocol": "udp", "port_range_min": -1, "port_range_max": -1}]
    result = run(runner, SG, name=name, rules=declared)
    assert result["changed"] is False and runner.last_requests["writes"] == 0, result["plan"]
    assert rules_of(admin, group_of(admin, name)) == before
