"""Reports tell the truth: protocol 0 live, the export round trip on any project (default group included).

Every rule is made with openstacksdk; what the modules say is checked against what openstacksdk reads,
and the round trips against the counting proxy's write count.
"""

from ansible_collections.netsec.openstack.plugins.module_utils import _graph as graph

INFO = "netsec.openstack.security_groups_info"
GROUPS = "netsec.openstack.security_groups"
AUDIT = "netsec.openstack.security_groups_audit"
ACCESS = "netsec.openstack.effective_access"


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
    # The group is ours (made by the module, so tagged: the planner adopts untagged groups by tagging them,
    # which is a write of its own); its protocol-0 rules are made with openstacksdk.
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
