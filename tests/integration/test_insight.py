"""Reports tell the truth: protocol 0 live, the export round trip on any project (default group included).

Every rule is made with openstacksdk; what the modules say is checked against what openstacksdk reads,
and the round trips against the counting proxy's write count.
"""

import json

import pytest
import yaml

from ansible_collections.netsec.openstack.plugins.module_utils import _graph as graph

INFO = "netsec.openstack.security_groups_info"
GROUPS = "netsec.openstack.security_groups"
AUDIT = "netsec.openstack.security_groups_audit"
ACCESS = "netsec.openstack.effective_access"
OWNER = "managed-by=netsec.openstack"


def export_and_reapply(runner, project):
    """Export a project, apply the export to it; return (export, apply result, writes of the apply)."""
    exported = runner.run_task(INFO, dict(cloud="netsec-admin-counted", project=project.id))
    assert runner.last_requests["writes"] == 0
    declarations = exported["declarations"]
    applied = runner.run_task(
        GROUPS, dict(cloud="netsec-admin-counted", project=project.id, groups=declarations["groups"], address_groups=declarations["address_groups"])
    )
    return declarations, applied, runner.last_requests["writes"]


def test_export_of_a_project_with_only_default_round_trips_with_zero_writes(runner, admin, scratch_project):
    # Neutron creates the default group when the project's groups are first listed.
    groups = list(admin.network.security_groups(project_id=scratch_project.id))
    assert [g.name for g in groups] == ["default"]
    default_before = admin.network.get_security_group(groups[0].id)
    declarations, applied, writes = export_and_reapply(runner, scratch_project)
    assert [g["name"] for g in declarations["groups"]] == ["default"]
    assert writes == 0 and applied["changed"] is False, applied["plan"]
    default_after = admin.network.get_security_group(groups[0].id)
    assert default_after.tags == default_before.tags and "managed-by=netsec.openstack" not in default_after.tags
    assert sorted(r["id"] for r in default_after.security_group_rules) == sorted(r["id"] for r in default_before.security_group_rules)


def test_protocol_0_live_audit_access_and_export(runner, admin, scratch_project, names):
    # The group is made by the module (tagged); its protocol-0 rules are made with openstacksdk.
    runner.run_task(GROUPS, dict(cloud="netsec-admin", project=scratch_project.id, groups=[{"name": names("open"), "rules": []}]))
    (group,) = admin.network.security_groups(project_id=scratch_project.id, name=names("open"))
    for ethertype in ("IPv4", "IPv6"):
        admin.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", ethertype=ethertype, protocol="0", project_id=scratch_project.id
        )
    stored = [r for r in admin.network.security_group_rules(security_group_id=group.id) if r.direction == "ingress"]
    assert sorted((r.ether_type, r.protocol) for r in stored) == [("IPv4", "0"), ("IPv6", "0")]
    network = admin.network.find_network("netsec-net")
    port = admin.network.create_port(network_id=network.id, project_id=scratch_project.id, name=names("port"), security_group_ids=[group.id])
    try:
        # The audit finds the port wide open, on both families, and says protocol 0 is any.
        audit = runner.run_task(AUDIT, dict(cloud="netsec-admin-counted", project=scratch_project.id))
        assert runner.last_requests["writes"] == 0
        wide = sorted(f["id"] for f in audit["findings"] if f["check"] == "world-any-protocol")
        assert wide == ["world-any-protocol:%s:ingress/IPv4/0(any)/all/any" % group.name, "world-any-protocol:%s:ingress/IPv6/0(any)/all/any" % group.name]
        assert all("protocol 0 (any)" in f["message"] for f in audit["findings"] if f["check"] == "world-any-protocol")
        # effective_access: anyone reaches anything on the port.
        for protocol, port_number, source in (("tcp", 22, "203.0.113.7"), ("udp", 53, "2001:db8::7"), ("gre", None, "198.51.100.1")):
            args = dict(cloud="netsec-admin", project=scratch_project.id, server=port.id, source=source, protocol=protocol)
            if port_number is not None:
                args["port"] = port_number
            answer = runner.run_task(ACCESS, args)
            assert answer["allowed"] is True, answer["answer"]
            assert "0(any)" in answer["answer"]
        # The export keeps protocol 0 as stored; the re-apply writes nothing.
        declarations, applied, writes = export_and_reapply(runner, scratch_project)
        (exported,) = [g for g in declarations["groups"] if g["name"] == group.name]
        zero = sorted((r.get("ethertype", "IPv4"), r.get("remote_ip_prefix")) for r in exported["rules"] if r.get("protocol") == 0)
        assert zero == [("IPv4", None), ("IPv6", None)], exported["rules"]
        assert "hopopt" not in str(declarations)
        assert writes == 0 and applied["changed"] is False, applied["plan"]
        after = [r for r in admin.network.security_group_rules(security_group_id=group.id) if r.direction == "ingress"]
        assert sorted((r.id, r.protocol) for r in after) == sorted((r.id, r.protocol) for r in stored)
    finally:
        admin.network.delete_port(port)


def test_the_picture_of_an_export_has_one_anywhere_node(runner, admin, scratch_project, names):
    group = admin.network.create_security_group(name=names("pic"), project_id=scratch_project.id)
    admin.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", ethertype="IPv4", protocol="tcp", port_range_min=443, port_range_max=443, project_id=scratch_project.id
    )
    admin.network.create_security_group_rule(security_group_id=group.id, direction="ingress", ethertype="IPv6", protocol="0", project_id=scratch_project.id)
    exported = runner.run_task(INFO, dict(cloud="netsec-admin", project=scratch_project.id))
    mermaid = graph.render(exported["declarations"])
    # Ingress from 0.0.0.0/0 and ::/0, egress to both: one node.
    assert mermaid.count('(["anywhere"])') == 1, mermaid
    assert "protocol 0 (any)" in mermaid


# --- issue 14: ownership (export round trip on any project), drift wording of protocol 0 -----------------------


def _playbook(clouds_file, proxy, name, cwd, *extra):
    from test_gitops import run_playbook

    return run_playbook(clouds_file, proxy, name, cwd, *extra)


def _state(admin, project_id):
    """{group name: (tags, sorted rule ids)} and {port id: sorted group ids}, read with openstacksdk."""
    groups = dict(
        (g.name, (sorted(g.tags or []), sorted(r.id for r in admin.network.security_group_rules(security_group_id=g.id))))
        for g in admin.network.security_groups(project_id=project_id)
    )
    ports = dict((p.id, sorted(p.security_group_ids or [])) for p in admin.network.ports(project_id=project_id))
    return groups, ports


@pytest.fixture
def handmade_project(admin, scratch_project):
    """A project whose groups were all made by hand (openstacksdk: untagged), default group included, and a
    server wearing two of them."""
    from test_gitops import boot_server

    project = scratch_project
    rule = admin.network.create_security_group_rule
    web = admin.network.create_security_group(name="web", project_id=project.id, description="by hand")
    app = admin.network.create_security_group(name="app", project_id=project.id)
    legacy = admin.network.create_security_group(name="legacy", project_id=project.id)
    admin.network.set_tags(app, ["team=x"])
    rule(security_group_id=web.id, direction="ingress", ethertype="IPv4", protocol="tcp", port_range_min=443, port_range_max=443, project_id=project.id)
    rule(security_group_id=web.id, direction="ingress", ethertype="IPv6", protocol="0", project_id=project.id)
    rule(security_group_id=app.id, direction="ingress", ethertype="IPv4", protocol="6", port_range_min=8000, port_range_max=8099, remote_group_id=web.id)
    (default,) = admin.network.security_groups(project_id=project.id, name="default")
    rule(security_group_id=default.id, direction="ingress", ethertype="IPv4", protocol="icmp", port_range_min=8, project_id=project.id)
    as_project = admin.connect_as_project({"id": project.id, "name": project.name, "domain_id": "default"})
    server = boot_server(as_project, "handmade-%s" % project.id[:6])
    (port,) = list(admin.network.ports(device_id=server.id))
    admin.network.update_port(port, security_group_ids=[web.id, default.id])
    yield {"project": project, "server": server, "groups": {"web": web, "app": app, "legacy": legacy, "default": default}}
    admin.compute.delete_server(server, ignore_missing=True)
    admin.compute.wait_for_delete(server, interval=0.5, wait=120)


def test_export_of_handmade_groups_round_trips_with_zero_writes_and_adopts_only_when_asked(admin, clouds_file, proxy, tmp_path, handmade_project):
    project, server = handmade_project["project"], handmade_project["server"]
    args = ("-e", "cloud=netsec-admin-counted", "-e", "declarations=exported.yml")
    status, output, counts = _playbook(
        clouds_file, proxy, "export.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "project=%s" % project.name, "-e", "declarations=exported.yml"
    )
    assert status == 0 and counts["writes"] == 0, output
    exported = yaml.safe_load((tmp_path / "exported.yml").read_text())
    assert sorted(g["name"] for g in exported["groups"]) == ["app", "default", "legacy", "web"]
    assert exported["servers"] == [{"server": server.name, "security_groups": ["default", "web"]}]
    assert all("adopt" not in g for g in exported["groups"])
    before = _state(admin, project.id)
    assert not any(OWNER in tags for tags, _rules in before[0].values())

    # Re-applied (twice) and planned: no write, nothing tagged, every rule and attachment as it was.
    for _attempt in range(2):
        status, output, counts = _playbook(clouds_file, proxy, "apply.yml", tmp_path, *args)
        assert status == 0 and counts["writes"] == 0, (counts, output)
        assert "write requests: 0" in output
        assert _state(admin, project.id) == before
    status, output, counts = _playbook(clouds_file, proxy, "drift.yml", tmp_path, *args)
    assert status == 0 and counts["writes"] == 0, output
    report = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
    assert report["status"] == "clean" and report["adopt"] == [] and report["counts"]["adopt"] == 0

    # Unowned groups are never purged, declared or not.
    (tmp_path / "fewer.yml").write_text(yaml.safe_dump(dict(exported, groups=[g for g in exported["groups"] if g["name"] in ("default", "web")])))
    status, output, counts = _playbook(
        clouds_file, proxy, "apply.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=fewer.yml", "-e", "purge_groups=true"
    )
    assert status == 0 and counts["writes"] == 0, (counts, output)
    assert _state(admin, project.id) == before

    # adopt: true takes one group over: drift lists it (not drift), apply writes its tag and nothing else ...
    adopting = dict(exported, groups=[dict(g, adopt=True) if g["name"] == "legacy" else g for g in exported["groups"]])
    (tmp_path / "adopt.yml").write_text(yaml.safe_dump(adopting))
    status, output, counts = _playbook(clouds_file, proxy, "drift.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=adopt.yml")
    report = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
    assert status == 0 and report["status"] == "clean" and report["adopt"] == ["legacy"], output
    status, output, counts = _playbook(clouds_file, proxy, "apply.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=adopt.yml")
    assert status == 0 and counts["writes"] == 1, (counts, output)
    groups, ports = _state(admin, project.id)
    assert groups["legacy"] == ([OWNER], before[0]["legacy"][1])
    assert dict((n, g) for n, g in groups.items() if n != "legacy") == dict((n, g) for n, g in before[0].items() if n != "legacy")
    assert ports == before[1]
    # ... and from then on purge_groups deletes it once the file drops it; the unowned app stays.
    status, output, counts = _playbook(
        clouds_file, proxy, "apply.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=fewer.yml", "-e", "purge_groups=true"
    )
    assert status == 0 and counts["writes"] == 1, (counts, output)
    assert sorted(_state(admin, project.id)[0]) == ["app", "default", "web"]


def test_drift_words_protocol_0_as_any_protocol(admin, clouds_file, proxy, tmp_path, scratch_project):
    project = scratch_project
    group = admin.network.create_security_group(name="open", project_id=project.id)
    admin.network.create_security_group_rule(security_group_id=group.id, direction="ingress", ethertype="IPv4", protocol="0", project_id=project.id)
    declared = {"project": project.id, "groups": [{"name": "open", "rules": [{"protocol": 0, "ethertype": "IPv6", "remote_ip_prefix": "2001:db8::/32"}]}]}
    (tmp_path / "open.yml").write_text(yaml.safe_dump(declared))
    status, output, counts = _playbook(clouds_file, proxy, "drift.yml", tmp_path, "-e", "cloud=netsec-admin-counted", "-e", "declarations=open.yml")
    assert status != 0 and counts["writes"] == 0, output
    text = (tmp_path / "drift-report" / "drift.md").read_text()
    data = json.loads((tmp_path / "drift-report" / "drift.json").read_text())
    (item,) = data["objects"]
    # (The group's egress rules from the cloud's template are deleted too: the file declares none.)
    whats = sorted((c["change"], c["what"]) for c in item["changes"] if "ingress" in c["what"])
    assert whats == [
        ("create", "rule ingress IPv6 protocol 0 (any) from 2001:db8::/32"),
        ("delete", "rule ingress IPv4 protocol 0 (any) from anywhere"),
    ]
    zero = [c for c in item["changes"] if "ingress" in c["what"]]
    assert len(zero) == 2 and all(c["rule"]["protocol"] == 0 and c["rule"]["protocol_note"] == "protocol 0 (any)" for c in zero)
    assert "| group `open` | delete | rule ingress IPv4 protocol 0 (any) from anywhere |" in text
    assert "hopopt" not in text and "hopopt" not in json.dumps(data)
    # Nothing was changed (openstacksdk).
    assert [(r.direction, r.protocol) for r in admin.network.security_group_rules(security_group_id=group.id) if r.direction == "ingress"] == [("ingress", "0")]


def test_every_module_names_the_group_in_its_errors_and_warnings(runner, admin, scratch_project, names):
    project = scratch_project.id
    bad = [{"protocol": "icmp", "port": 22}]
    one = runner.run_task(
        "netsec.openstack.security_group", dict(cloud="netsec-admin-counted", project=project, name=names("one"), rules=bad), expect_failure=True
    )
    assert "rules[0].port (group %s): ports do not apply to icmp" % names("one") in one["msg"] and "groups[0]" not in one["msg"], one["msg"]
    many = runner.run_task(
        GROUPS, dict(cloud="netsec-admin-counted", project=project, groups=[{"name": names("a")}, {"name": names("b"), "rules": bad}]), expect_failure=True
    )
    assert "groups[1].rules[0].port (group %s): ports do not apply to icmp" % names("b") in many["msg"], many["msg"]
    assert runner.last_requests["writes"] == 0
    # A warning of the one-group module: no "groups[0]", the group by name.
    runner.run_task("netsec.openstack.security_group", dict(cloud="netsec-admin-counted", project=project, name="default", state="absent"), check=True)
    assert "group default: the project's default group is never deleted" in runner.last_output, runner.last_output
    assert "groups[0]" not in runner.last_output and runner.last_requests["writes"] == 0
    # server_security_groups names the group it can not find, and default_security_group_rules names no made-up group.
    attach = runner.run_task(
        "netsec.openstack.server_security_groups",
        dict(cloud="netsec-admin-counted", project=project, servers=[{"server": "nowhere-%s" % names("s"), "security_groups": [names("missing")]}]),
        expect_failure=True,
    )
    assert "servers[0]" in attach["msg"] and "groups[0]" not in attach["msg"], attach["msg"]
    templates = runner.run_task("netsec.openstack.default_security_group_rules", dict(cloud="netsec-admin-counted", rules=bad), check=True, expect_failure=True)
    assert "rules[0].port: ports do not apply to icmp" in templates["msg"] and "groups[" not in templates["msg"], templates["msg"]
    assert runner.last_requests["writes"] == 0


def test_apply_warns_when_an_address_group_rule_leaves_out_the_other_family(runner, scratch_project, names):
    office = {"name": names("office"), "addresses": ["203.0.113.0/24", "2001:db8:100::/48"]}
    group = {"name": names("ssh"), "rules": [{"protocol": "tcp", "port": 22, "remote_address_group": names("office")}]}
    args = dict(cloud="netsec-admin-counted", project=scratch_project.id, address_groups=[office], groups=[group])
    for check in (True, False):
        runner.run_task(GROUPS, args, check=check)
        output = " ".join(runner.last_output.split())
        assert "groups[0].rules[0] (group %s): rule ingress/IPv4/tcp/22/address-group=%s" % (names("ssh"), names("office")) in output, output
        assert "its IPv6 addresses 2001:db8:100::/48 are not admitted" in output and "ethertype: IPv6" in output
    assert runner.last_requests["writes"] > 0  # the real run went on: a warning, not a refusal


def test_audit_playbook_takes_relative_paths_from_where_it_runs(clouds_file, proxy, tmp_path):
    from test_gitops import run_playbook

    (tmp_path / "decl.yml").write_text(yaml.safe_dump({"groups": [{"name": "open", "rules": [{"protocol": 0}]}]}))
    status, output, counts = run_playbook(clouds_file, proxy, "audit.yml", tmp_path, "-e", "declarations=decl.yml", "-e", "report_dir=out")
    assert status == 0 and counts["writes"] == 0, output
    report = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert [f["id"] for f in report["findings"] if f["check"] == "world-any-protocol"] == ["world-any-protocol:open:ingress/IPv4/0(any)/all/any"]
    assert "protocol 0 (any)" in (tmp_path / "out" / "audit.md").read_text()
