"""effective_access and security_groups_audit against the local cloud, with the seed's example.

Groups A and B; A admits all UDP from B, tcp/21 from anywhere and tcp/4443 only from B.  Three
fake-driver servers, booted once for the module: ``a`` wears A (the one asked about), ``b`` wears
B, ``n`` wears no group.  Every expectation is derived from what openstacksdk reads (rule ids,
fixed IPs), not from the modules' own output.
"""

import json
import os
import uuid

import openstack
import pytest
import yaml

from conftest import ROOT
from conftest import add_rule, boot_servers, delete_servers
from playbook_runs import run_module_task, run_playbook

ACCESS = "netsec.openstack.effective_access"
AUDIT = "netsec.openstack.security_groups_audit"
ARBITRARY = "203.0.113.7"


@pytest.fixture(scope="module")
def seed(admin):
    prefix = "acc%s-" % uuid.uuid4().hex[:6]
    group_a = admin.network.create_security_group(name=prefix + "A", description="seed A")
    group_b = admin.network.create_security_group(name=prefix + "B", description="seed B")
    rules = {
        "udp-from-b": add_rule(admin, group_a.id, protocol="udp", remote_group_id=group_b.id).id,
        "ftp-world": add_rule(admin, group_a.id, protocol="tcp", port_range_min=21, port_range_max=21, remote_ip_prefix="0.0.0.0/0").id,
        "4443-from-b": add_rule(admin, group_a.id, protocol="tcp", port_range_min=4443, port_range_max=4443, remote_group_id=group_b.id).id,
    }
    # A group for the audit: ssh from the world, a rule it shadows, worn by nobody; and a stateless group.
    risky = admin.network.create_security_group(name=prefix + "risky", description="audit me")
    rules["ssh-world"] = add_rule(admin, risky.id, protocol="tcp", port_range_min=22, port_range_max=22).id
    rules["ssh-office"] = add_rule(admin, risky.id, protocol="tcp", port_range_min=22, port_range_max=22, remote_ip_prefix="198.51.100.0/24").id
    admin.network.set_tags(risky, ["audit-waive:asymmetric-family"])
    stateless = admin.network.create_security_group(name=prefix + "stateless", stateful=False)
    for rule in admin.network.security_group_rules(security_group_id=stateless.id):
        admin.network.delete_security_group_rule(rule)
    rules["stateless-http"] = add_rule(admin, stateless.id, protocol="tcp", port_range_min=80, port_range_max=80, remote_ip_prefix="10.0.0.0/8").id
    servers = boot_servers(admin, [prefix + "a", prefix + "b", prefix + "n"])
    by_role = dict(zip("abn", servers))
    for role, groups in (("a", [group_a.id]), ("b", [group_b.id]), ("n", [])):
        for port in admin.network.ports(device_id=by_role[role].id):
            admin.network.update_port(port, security_group_ids=groups)
    addresses = dict((role, [ip["ip_address"] for p in admin.network.ports(device_id=server.id) for ip in p.fixed_ips]) for role, server in by_role.items())
    yield {"prefix": prefix, "A": group_a, "B": group_b, "risky": risky, "stateless": stateless, "rules": rules, "servers": by_role, "ips": addresses}
    delete_servers(admin, servers)
    for group in (group_a, risky, stateless, group_b):
        try:
            admin.network.delete_security_group(group.id, ignore_missing=True)
        except openstack.exceptions.SDKException:
            pass


def run_loop(runner, module, args, items, expect_failure=False):
    """One playbook, one task looping over ``items`` (merged into ``args``); the per-item results."""
    runner.count += 1
    task_args = dict(args)
    for key in items[0]:
        task_args[key] = "{{ item.%s | default(omit) }}" % key
    run, result = run_module_task(runner.workdir, "loop-%d" % runner.count, module, task_args, runner.clouds_file, loop=items)
    assert result is not None, run.output
    results = result["results"]
    for result in results:
        assert bool(result.get("failed")) == expect_failure, result.get("msg")
    return results


def seed_declarations(prefix):
    """The same seed as a declarations file (offline)."""
    return {
        "groups": [
            {
                "name": prefix + "A",
                "rules": [
                    {"protocol": "udp", "remote_group": prefix + "B"},
                    {"protocol": "tcp", "port": 21},
                    {"protocol": "tcp", "port": 4443, "remote_group": prefix + "B"},
                ],
            },
            {"name": prefix + "B"},
        ],
        "servers": [{"server": prefix + "a", "security_groups": [prefix + "A"]}, {"server": prefix + "b", "security_groups": [prefix + "B"]}],
    }


def test_answers_match_the_seed_live(runner, seed):
    """A server in B reaches udp and tcp/4443 and tcp/21; one in neither and an arbitrary address only tcp/21."""
    ips, rules, target = seed["ips"], seed["rules"], seed["servers"]["a"]
    questions = []
    expected = []
    for who, source in (("b", ips["b"][0]), ("n", ips["n"][0]), ("arbitrary", ARBITRARY)):
        in_b = who == "b"
        for protocol, port, via_b, rule in (("udp", 53, True, "udp-from-b"), ("tcp", 4443, True, "4443-from-b"), ("tcp", 21, False, "ftp-world")):
            questions.append({"source": source, "protocol": protocol, "port": port})
            allowed = in_b or not via_b
            expected.append((allowed, [rules[rule]] if allowed else []))
    results = run_loop(runner, ACCESS, {"cloud": "netsec-admin", "server": target.name}, questions)
    for question, result, (allowed, rule_ids) in zip(questions, results, expected):
        assert result["allowed"] is allowed, (question, result["answer"])
        assert [m["id"] for m in result["matching_rules"]] == rule_ids, (question, result["matching_rules"])
        assert result["answer"].startswith("yes: " if allowed else "no: "), result["answer"]
    assert results[0]["matching_rules"][0]["group"] == seed["prefix"] + "A"
    assert results[0]["matching_rules"][0]["source"] == "group %sB" % seed["prefix"]


def test_policy_expands_remote_groups_to_member_addresses(runner, seed, admin):
    target, prefix = seed["servers"]["a"], seed["prefix"]
    result = runner.run_task(ACCESS, {"cloud": "netsec-admin-counted", "server": target.id, "protocol": "udp"})
    assert runner.last_requests["writes"] == 0
    port_ids = sorted(p.id for p in admin.network.ports(device_id=target.id))
    assert [p["id"] for p in result["ports"]] == port_ids and result["security_groups"] == [prefix + "A"]
    ingress = [(e["ethertype"], e["protocol"], e["ports"], [(s["kind"], s["source"], s["addresses"]) for s in e["sources"]]) for e in result["policy"]]
    b_addresses = ["%s/32" % ip for ip in seed["ips"]["b"]]
    assert ingress == [
        ("IPv4", "tcp", "21", [("cidr", "0.0.0.0/0", ["0.0.0.0/0"])]),
        ("IPv4", "tcp", "4443", [("remote_group", prefix + "B", b_addresses)]),
        ("IPv4", "udp", "all", [("remote_group", prefix + "B", b_addresses)]),
    ]
    # "What can reach a on udp?" lists the sources.
    assert result["sources"] == ["group %sB" % prefix] and result["allowed"] is True
    assert "udp on %s is reachable from group %sB" % (target.name, prefix) in result["answer"]


def test_offline_answers_keep_remote_groups_symbolic(runner, seed):
    prefix = seed["prefix"]
    declarations = seed_declarations(prefix)
    questions = [
        {"source": ARBITRARY, "protocol": "tcp", "port": 21},
        {"source": ARBITRARY, "protocol": "tcp", "port": 4443},
        {"source": prefix + "B", "protocol": "udp", "port": 53},
    ]
    results = run_loop(runner, ACCESS, {"declarations": declarations, "server": prefix + "a"}, questions)
    assert [r["allowed"] for r in results] == [True, False, True]
    assert [m["path"] for m in results[0]["matching_rules"]] == ["groups[0].rules[1]"]
    assert [m["path"] for m in results[1]["undetermined_rules"]] == ["groups[0].rules[2]"]
    assert results[1]["answer"].endswith("it would be admitted if the source is in group %sB" % prefix)
    assert [m["path"] for m in results[2]["matching_rules"]] == ["groups[0].rules[0]"]
    assert results[2]["policy"][2]["sources"][0]["addresses"] is None  # symbolic offline


def test_audit_live_finds_the_seeded_problems(runner, seed):
    prefix, rules = seed["prefix"], seed["rules"]
    result = runner.run_task(AUDIT, {"cloud": "netsec-admin-counted"})
    assert runner.last_requests["writes"] == 0
    mine = dict((f["id"], f) for f in result["findings"] if f["group"].startswith(prefix))
    risky = prefix + "risky"
    world_ssh = "world-admin-port:%s:ingress/IPv4/tcp/22/any" % risky
    assert mine[world_ssh]["severity"] == "high" and mine[world_ssh]["rule"]["id"] == rules["ssh-world"]
    shadowed = "shadowed-rule:%s:ingress/IPv4/tcp/22/198.51.100.0/24" % risky
    assert mine[shadowed]["rule"]["id"] == rules["ssh-office"]
    assert mine["unused-group:%s" % risky]["severity"] == "low"
    # Waived by the group tag audit-waive:asymmetric-family, still reported.
    asymmetric = mine["asymmetric-family:%s:ingress/IPv4/tcp/22/any" % risky]
    assert asymmetric["waived"] is True and asymmetric["waiver"]["by"] == "asymmetric-family"
    stateless = "stateless-no-reply:%sstateless:ingress/IPv4/tcp/80/10.0.0.0/8" % prefix
    assert mine[stateless]["severity"] == "medium" and mine[stateless]["rule"]["id"] == rules["stateless-http"]
    # A and B are worn (by a and b): not unused.  A's tcp/21 from anywhere has no IPv6 twin.
    assert "unused-group:%sA" % prefix not in mine and "unused-group:%sB" % prefix not in mine
    assert "asymmetric-family:%sA:ingress/IPv4/tcp/21/any" % prefix in mine

    gate = runner.run_task(AUDIT, {"cloud": "netsec-admin", "fail_on": "high"}, expect_failure=True)
    assert world_ssh in gate["msg"] and gate["gate"]["passed"] is False
    assert any(f["id"] == world_ssh for f in gate["findings"])


def test_audit_declarations_waivers_report_and_playbook(runner, seed, tmp_path):
    prefix = seed["prefix"]
    declarations = seed_declarations(prefix)
    declarations["groups"].append(
        {
            "name": prefix + "db",
            "rules": [
                {"protocol": "tcp", "port": 5432, "audit_waive": ["world-admin-port:%sdb:ingress/IPv4/tcp/5432/any" % prefix, "asymmetric-family"]},
                {"protocol": "tcp", "port": 3389},
            ],
        }
    )
    path = tmp_path / "declarations.yml"
    path.write_text(yaml.safe_dump(declarations))
    report_dir = tmp_path / "report"
    audit = os.path.join(ROOT, "playbooks", "audit.yml")
    options = ["-e", "audit_declarations_file=%s" % path, "-e", "audit_report_dir=%s" % report_dir, "-e", "audit_fail_on=high"]
    # From the checkout, as a user runs it: the inventory is the one ansible.cfg names.
    status, output, _counts = run_playbook(audit, runner.clouds_file, ROOT, inventory=None, extra_args=options)
    assert status != 0, output  # tcp/3389 from anywhere is high and not waived
    assert "world-admin-port:%sdb:ingress/IPv4/tcp/3389/any" % prefix in output
    report = json.loads((report_dir / "audit.json").read_text())
    by_id = dict((f["id"], f) for f in report["findings"])
    waived = by_id["world-admin-port:%sdb:ingress/IPv4/tcp/5432/any" % prefix]
    assert waived["waived"] is True and waived["path"] == "groups[2].rules[0]"
    assert by_id["asymmetric-family:%sdb:ingress/IPv4/tcp/5432/any" % prefix]["waived"] is True
    assert by_id["asymmetric-family:%sdb:ingress/IPv4/tcp/3389/any" % prefix]["waived"] is False
    markdown = (report_dir / "audit.md").read_text()
    assert "**Gate FAILED** (fail_on: high, 1 blocking finding)" in markdown
    assert "## Waived" in markdown and "`world-admin-port:%sdb:ingress/IPv4/tcp/5432/any` in groups[2].rules[0]" % prefix in markdown

    # The same file with the 3389 rule waived passes the gate.
    declarations["groups"][2]["rules"][1]["audit_waive"] = ["world-admin-port"]
    path.write_text(yaml.safe_dump(declarations))
    status, output, _counts = run_playbook(audit, runner.clouds_file, ROOT, inventory=None, extra_args=options)
    assert status == 0, output


def test_filters_compare_declarations(runner, seed):
    """access_changes says what a change opens; access_policy answers offline; both through ansible."""
    prefix = seed["prefix"]
    before = seed_declarations(prefix)
    after = json.loads(json.dumps(before))
    after["groups"][0]["rules"].append({"protocol": "tcp", "port": 3389})
    after["groups"][0]["rules"].remove({"protocol": "tcp", "port": 21})
    result = runner.run_task(
        "ansible.builtin.set_fact",
        {
            "changes": "{{ before | netsec.openstack.access_changes(after) | map(attribute='message') }}",
            "answer": "{{ (after | netsec.openstack.access_policy(server='%sa', source='%s', protocol='tcp', port=3389)).answer }}" % (prefix, ARBITRARY),
        },
        extra_args=["-e", json.dumps({"before": before, "after": after})],
    )
    facts = result["ansible_facts"]
    assert facts["changes"] == ["this change closes tcp/21 on %sa for 0.0.0.0/0" % prefix, "this change opens tcp/3389 on %sa to 0.0.0.0/0" % prefix]
    assert facts["answer"].startswith("yes: %s can reach tcp/3389 on %sa" % (ARBITRARY, prefix))
