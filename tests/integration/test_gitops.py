"""Issue 5 against the local cloud: export round trip, drift.yml, the egress-only baseline.

Every outcome is checked with openstacksdk, and write requests with the counting proxy in front
of Neutron. One scratch project with one server serves the export and drift tests; the
baseline tests use their own scratch project.
"""

import contextlib
import json
import os
import uuid

import jsonschema
import pytest
import yaml

import playbook_runs
from conftest import ROOT, add_rule, require_compute
from group_cleanup import delete_group

from ansible_collections.netsec.openstack.plugins.module_utils import _declarations_file as declarations_file
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

PLAYBOOKS = os.path.join(ROOT, "playbooks")
OWNER = "managed-by=netsec.openstack"
BOOT_TIMEOUT = 120


def run_playbook(clouds_file, proxy, name, cwd, *extra):
    """Run playbooks/NAME from CWD; return (exit status, output, neutron request counts)."""
    return tuple(playbook_runs.run_playbook(os.path.join(PLAYBOOKS, name), clouds_file, cwd, extra_args=extra, proxy=proxy))


def make_project(admin):
    project = admin.identity.create_project(name="netsec-test-%s" % uuid.uuid4().hex[:8], domain_id="default")
    user = admin.identity.find_user("admin", domain_id="default")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("admin"))
    return project


@contextlib.contextmanager
def sharing_projects(admin, count):
    """``count`` scratch projects; afterwards their RBAC policies go first, then the projects, last made first
    (the first is usually the one that shares: the others' rules that reference its groups go before it)."""
    made = [make_project(admin) for _number in range(count)]
    try:
        yield made
    finally:
        for project in made:
            for policy in admin.network.rbac_policies(project_id=project.id):
                admin.network.delete_rbac_policy(policy, ignore_missing=True)
        for project in reversed(made):
            drop_project(admin, project)


def boot_server(conn, name):
    require_compute()
    image = conn.image.find_image("netsec-tiny")
    flavor = conn.compute.find_flavor("netsec-tiny")
    network = conn.network.find_network("netsec-net")
    server = conn.compute.create_server(name=name, image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}])
    return conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], interval=0.5, wait=BOOT_TIMEOUT)


def drop_project(admin, project, servers=()):
    for server in servers:
        admin.compute.delete_server(server, ignore_missing=True)
    for server in servers:
        admin.compute.wait_for_delete(server, interval=0.5, wait=BOOT_TIMEOUT)
    for port in admin.network.ports(project_id=project.id):
        if port.device_owner and port.device_owner.startswith("compute:"):
            admin.network.delete_port(port, ignore_missing=True)
    for group in admin.network.security_groups(project_id=project.id):
        delete_group(admin, group.id)
    for address_group in admin.network.address_groups(project_id=project.id):
        admin.network.delete_address_group(address_group.id, ignore_missing=True)
    admin.identity.delete_project(project.id)


def rules_of(conn, group_id):
    """Canonical rule identities + descriptions of a group, read with openstacksdk."""
    return sorted(
        (tuple(str(v) for v in model.key_from_neutron(r.to_dict())), r.description or "") for r in conn.network.security_group_rules(security_group_id=group_id)
    )


def groups_of(conn, project_id):
    return dict((g.name, g) for g in conn.network.security_groups(project_id=project_id))


def port_groups(conn, server_id, project_id):
    names = dict((g.id, g.name) for g in conn.network.security_groups(project_id=project_id))
    return [sorted(names.get(g, g) for g in p.security_group_ids) for p in conn.network.ports(device_id=server_id)]


SETUP = [
    {
        "name": "default",
        "rules": [
            {"remote_group": "default"},
            {"remote_group": "default", "ethertype": "IPv6"},
            {"direction": "egress"},
            {"direction": "egress", "ethertype": "IPv6"},
        ],
    },
    {
        "name": "web",
        "description": "Public web tier",
        "tags": ["tier=web"],
        "rules": [
            {"protocol": "tcp", "port": 443, "description": "HTTPS"},
            {"protocol": "tcp", "port": 443, "ethertype": "IPv6", "description": "HTTPS"},
            {"protocol": "tcp", "port": 8080, "remote_group": "app"},
            {"protocol": "icmp", "icmp_type": 8},
            {"protocol": "tcp", "port": 22, "remote_address_group": "office"},
            {"direction": "egress"},
        ],
    },
    {
        "name": "app",
        "rules": [
            {"protocol": "tcp", "port": "8000-8099", "remote_group": "web", "description": "from web"},
            {"direction": "egress", "protocol": "udp", "port": 53, "remote_ip_prefix": "10.0.0.0/8"},
        ],
    },
    {"name": "batch", "stateful": False, "rules": []},
]


@pytest.fixture(scope="module")
def scope(admin, clouds_file, proxy, tmp_path_factory):
    """A scratch project with groups (set up by the module), odd-spelling rules and one server, then exported."""
    project = make_project(admin)
    servers = []
    try:
        workdir = tmp_path_factory.mktemp("gitops")
        setup = workdir / "setup.yml"
        setup.write_text(yaml.safe_dump({"project": project.name, "groups": SETUP, "address_groups": [{"name": "office", "addresses": ["203.0.113.0/24"]}]}))
        status, output, _counts = run_playbook(clouds_file, proxy, "apply.yml", workdir, "-e", "cloud=netsec-admin", "-e", "declarations=setup.yml")
        assert status == 0, output
        groups = groups_of(admin, project.id)
        # Rules in the spellings other tools use: a protocol number, the full port range, an any-prefix.
        add_rule(admin, groups["web"].id, protocol="17", port_range_min=1, port_range_max=65535, remote_ip_prefix="0.0.0.0/0")
        add_rule(admin, groups["app"].id, protocol="6", port_range_min=9000, port_range_max=9000, remote_ip_prefix="192.0.2.7/32")
        as_project = admin.connect_as_project({"id": project.id, "name": project.name, "domain_id": "default"})
        servers = [boot_server(as_project, "gitops-%s" % uuid.uuid4().hex[:6])]
        (server_port,) = list(admin.network.ports(device_id=servers[0].id))
        admin.network.update_port(server_port, security_group_ids=[groups["web"].id, groups["default"].id])

        status, output, counts = run_playbook(
            clouds_file, proxy, "export.yml", workdir, "-e", "cloud=netsec-admin-counted", "-e", "project=%s" % project.name, "-e", "output=exported.yml"
        )
        assert status == 0, output
        assert counts["writes"] == 0
        yield {"project": project, "server": servers[0], "workdir": workdir, "exported": workdir / "exported.yml"}
    finally:
        drop_project(admin, project, servers)


def test_export_writes_the_scope_exactly_and_applying_it_writes_nothing(admin, clouds_file, proxy, scope):
    project, server, exported = scope["project"], scope["server"], scope["exported"]
    text = exported.read_text()
    assert text.startswith("# yaml-language-server: $schema=%s\n" % declarations_file.SCHEMA_ID)
    data = yaml.safe_load(text)
    jsonschema.validate(data, declarations_file.file_schema())
    assert data["project"] == project.name

    # Independently: every group of the project, with the same rules, named as read by openstacksdk.
    groups = groups_of(admin, project.id)
    assert sorted(g["name"] for g in data["groups"]) == sorted(groups) == ["app", "batch", "default", "web"]
    exported_groups = dict((g["name"], g) for g in data["groups"])
    for name, group in groups.items():
        assert len(exported_groups[name]["rules"]) == len(list(admin.network.security_group_rules(security_group_id=group.id)))
    assert exported_groups["web"]["description"] == "Public web tier" and exported_groups["web"]["tags"] == ["tier=web"]
    assert exported_groups["batch"] == {"name": "batch", "stateful": False, "rules": []}
    assert {"protocol": "udp"} in exported_groups["web"]["rules"]
    assert {"protocol": "tcp", "port": 9000, "remote_ip_prefix": "192.0.2.7/32"} in exported_groups["app"]["rules"]
    assert {"protocol": "tcp", "port": 8080, "remote_group": "app"} in exported_groups["web"]["rules"]
    assert {"protocol": "tcp", "port": 22, "remote_address_group": "office"} in exported_groups["web"]["rules"]
    assert data["address_groups"] == [{"name": "office", "addresses": ["203.0.113.0/24"]}]
    assert data["servers"] == [{"server": server.name, "security_groups": ["default", "web"]}]

    # The pictures next to it.
    mermaid = (scope["workdir"] / "exported.mmd").read_text()
    dot = (scope["workdir"] / "exported.dot").read_text()
    assert "flowchart LR" in mermaid and '-->|"tcp/8080"|' in mermaid
    assert dot.startswith("digraph security_groups {") and '[label="tcp/8000-8099"]' in dot

    # Round trip: the export, applied unchanged, sends no write request.
    before = dict((name, rules_of(admin, g.id)) for name, g in groups.items())
    status, output, counts = run_playbook(
        clouds_file, proxy, "apply.yml", scope["workdir"], "-e", "cloud=netsec-admin-counted", "-e", "declarations=exported.yml"
    )
    assert status == 0, output
    assert counts["writes"] == 0, counts
    assert "write requests: 0" in output
    assert dict((name, rules_of(admin, g.id)) for name, g in groups_of(admin, project.id).items()) == before


def load_report(directory):
    with open(os.path.join(str(directory), "drift.json")) as handle:
        data = json.load(handle)
    with open(os.path.join(str(directory), "drift.md")) as handle:
        return data, handle.read()


def changes_of(data, kind, name):
    for item in data["objects"]:
        if item["type"] == kind and item["name"] == name:
            return item["changes"]
    return []


def test_drift_exit_status_and_report(admin, clouds_file, proxy, scope):
    project, server, workdir = scope["project"], scope["server"], scope["workdir"]
    args = ("-e", "cloud=netsec-admin-counted", "-e", "declarations=exported.yml")

    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", workdir, *args)
    assert status == 0, output
    assert counts["writes"] == 0
    data, text = load_report(workdir / "drift-report")
    assert data["status"] == "clean" and data["drift"] is False and data["objects"] == []
    assert "**No drift**" in text and "```mermaid" in text

    groups = groups_of(admin, project.id)
    try:
        # By hand, in the cloud: an added rule (a run would delete it), a removed rule (a run would
        # create it again) and a changed attachment (a run would re-attach).
        added = add_rule(admin, groups["web"].id, protocol="tcp", port_range_min=3389, port_range_max=3389)
        (removed,) = [r for r in admin.network.security_group_rules(security_group_id=groups["app"].id) if r.port_range_min == 8000]
        admin.network.delete_security_group_rule(removed.id)
        (server_port,) = list(admin.network.ports(device_id=server.id))
        admin.network.update_port(server_port, security_group_ids=[groups["web"].id, groups["app"].id])

        status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", workdir, *args, "-e", "report_dir=drifted")
        assert status != 0 and "drift: 3 change(s)" in output, output
        assert counts["writes"] == 0
        data, text = load_report(workdir / "drifted")
        assert data["status"] == "drift" and data["drift"] is True
        assert data["counts"] == {"create": 1, "delete": 1, "replace": 0, "update": 1, "adopt": 0, "total": 3}
        (deleted,) = changes_of(data, "security_group", "web")
        assert deleted["change"] == "delete" and deleted["what"] == "rule ingress IPv4 tcp/3389 from anywhere"
        assert "not declared" in deleted["reason"]
        (created,) = changes_of(data, "security_group", "app")
        assert created["change"] == "create" and created["what"] == "rule ingress IPv4 tcp/8000-8099 from group web ('from web')"
        assert "not present" in created["reason"]
        (attachment,) = changes_of(data, "server", server.name)
        assert attachment["added"] == ["default"] and attachment["removed"] == ["app"]
        assert "wears [app, web], declared [default, web]" in attachment["what"] and "mode exact" in attachment["reason"]
        assert "| group `web` | delete | rule ingress IPv4 tcp/3389 from anywhere |" in text
        assert "| group `app` | create | rule ingress IPv4 tcp/8000-8099 from group web ('from web') |" in text
        assert "| server `%s` | update |" % server.name in text
    finally:
        # apply.yml repairs all of it; checked with openstacksdk.
        status, output, _counts = run_playbook(clouds_file, proxy, "apply.yml", workdir, "-e", "cloud=netsec-admin", "-e", "declarations=exported.yml")
        assert status == 0, output
    assert added.id not in [r.id for r in admin.network.security_group_rules(security_group_id=groups["web"].id)]
    assert 8000 in [r.port_range_min for r in admin.network.security_group_rules(security_group_id=groups["app"].id)]
    assert port_groups(admin, server.id, project.id) == [["default", "web"]]


def test_drift_of_an_invalid_file_is_an_error_report(clouds_file, proxy, tmp_path):
    (tmp_path / "bad.yml").write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"protocol": "icmp", "port": 22}]}]}))
    status, output, counts = run_playbook(clouds_file, proxy, "drift.yml", tmp_path, "-e", "cloud=netsec-admin", "-e", "declarations=bad.yml")
    assert status != 0 and counts["writes"] == 0
    data, text = load_report(tmp_path / "drift-report")
    assert data["status"] == "error" and "groups[0].rules[0].port" in data["error"]
    assert "**Error**" in text


# --- the egress-only baseline -------------------------------------------------


@pytest.fixture
def baseline_project(admin):
    project = make_project(admin)
    yield project
    drop_project(admin, project)


@pytest.fixture
def ssh_template(openstack_cli, admin):
    """A default-rule template that adds ingress tcp/22 to every new custom group (admin); removed after."""
    if "security-groups-default-rules" not in [e.alias for e in admin.network.extensions()]:
        pytest.skip("this Neutron has no default-rule templates (before 2023.2; make releases)")
    created = openstack_cli(
        "default",
        "security",
        "group",
        "rule",
        "create",
        "--ingress",
        "--protocol",
        "tcp",
        "--dst-port",
        "22",
        "--for-custom-sg",
        "--description",
        "netsec test template",
    )
    yield created
    openstack_cli("default", "security", "group", "rule", "delete", created["id"], output=False)


EGRESS_ANY = [(("egress", "IPv4", "None", "None", "None", "None", "None"), ""), (("egress", "IPv6", "None", "None", "None", "None", "None"), "")]


def test_egress_baseline_is_exact_whatever_the_template(admin, clouds_file, proxy, baseline_project, tmp_path, ssh_template):
    project = baseline_project
    groups_of(admin, project.id)  # Neutron makes the project's default group on first sight.
    args = ("-e", "cloud=netsec-admin", "-e", "projects=%s" % project.name, "-e", "restrict_default_group=true")
    status, output, _counts = run_playbook(clouds_file, proxy, "baseline.yml", tmp_path, *args)
    assert status == 0, output
    groups = groups_of(admin, project.id)
    assert sorted(groups) == ["default", "egress-only"]
    # Exactly egress IPv4 and IPv6 to anywhere, no ingress: the template's tcp/22 is gone.
    assert rules_of(admin, groups["egress-only"].id) == EGRESS_ANY
    assert rules_of(admin, groups["default"].id) == EGRESS_ANY
    assert OWNER in groups["egress-only"].tags

    # Check mode works and, the baseline being in place, finds nothing to do.
    status, output, counts = run_playbook(clouds_file, proxy, "baseline.yml", tmp_path, "-e", "cloud=netsec-admin-counted", *args[2:], "--check")
    assert status == 0 and "changed=0" in output, output
    assert counts["writes"] == 0


def test_egress_baseline_check_mode_then_ipv4_only(admin, clouds_file, proxy, baseline_project, tmp_path):
    project = baseline_project
    default_before = rules_of(admin, groups_of(admin, project.id)["default"].id)
    args = ("-e", "cloud=netsec-admin-counted", "-e", "projects=%s" % project.name, "-e", "ipv6=false", "-e", "group_name=baseline")
    status, output, counts = run_playbook(clouds_file, proxy, "baseline.yml", tmp_path, *args, "--check", "--diff")
    assert status == 0 and "changed=1" in output, output
    assert counts["writes"] == 0 and "baseline" not in groups_of(admin, project.id)

    status, output, _counts = run_playbook(clouds_file, proxy, "baseline.yml", tmp_path, *args)
    assert status == 0, output
    groups = groups_of(admin, project.id)
    assert rules_of(admin, groups["baseline"].id) == EGRESS_ANY[:1]
    # The default group is left alone unless asked.
    assert rules_of(admin, groups["default"].id) == default_before and len(default_before) == 4


def test_info_module_all_projects_and_filters(runner, admin, scope):
    project = scope["project"]
    result = runner.run_task(
        "netsec.openstack.security_groups_info", dict(cloud="netsec-admin-counted", all_projects=True, names=["we*"], include_servers=False)
    )
    assert runner.last_requests["writes"] == 0
    mine = [p for p in result["projects"] if p["project_id"] == project.id]
    assert len(mine) == 1 and "declarations" not in result
    assert [g["name"] for g in mine[0]["declarations"]["groups"]] == ["web"]
    assert mine[0]["declarations"]["project"] == project.id
    assert [a["name"] for a in mine[0]["declarations"]["address_groups"]] == ["office"]
