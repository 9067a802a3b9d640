"""Check == apply, as a property over a corpus of declaration changes, against the real local cloud.

For every step of the corpus (creates, description-only replacements, stateful, address groups,
deletes, attachments): the operations a check-mode run reports equal the operations the real run
then reports as executed, in order (whatever the op kinds are called: the comparison is generic over
the ``plan`` list, with ids masked), the check mode writes nothing, and the diff's before/after equal
the states openstacksdk observes before and after the real run, compared as the readable diff
(one canonical line per rule, ``_diff_view``) renders them.
"""

import re

import pytest

from conftest import boot_servers, delete_servers

from ansible_collections.netsec.openstack.plugins.module_utils import _diff_view as diff_view
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

GROUPS = "netsec.openstack.security_groups"
ATTACH = "netsec.openstack.server_security_groups"
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b(?:new|sim-rule|planned):[^\s,'\"]*")


def masked(value):
    """The value with every id (and placeholder id) replaced by <id>: check mode can not know the ids."""
    if isinstance(value, dict):
        return dict((k, masked(v)) for k, v in value.items())
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return ID.sub("<id>", value)
    return value


def observed_view(conn, project_id, group_names, address_group_names):
    """Groups and address groups as openstacksdk reads them, in the diff's shape."""
    groups = list(conn.network.security_groups(project_id=project_id))
    address_groups = list(conn.network.address_groups(project_id=project_id))
    group_name = dict((g.id, g.name) for g in groups)
    address_group_name = dict((a.id, a.name) for a in address_groups)
    shown = []
    for group in groups:
        if group.name not in group_names:
            continue
        rules = []
        for rule in conn.network.security_group_rules(security_group_id=group.id):
            key = model.key_from_neutron(
                {
                    "direction": rule.direction,
                    "ethertype": rule.ether_type,
                    "protocol": rule.protocol,
                    "port_range_min": rule.port_range_min,
                    "port_range_max": rule.port_range_max,
                    "remote_ip_prefix": rule.remote_ip_prefix,
                    "remote_group_id": rule.remote_group_id,
                    "remote_address_group_id": rule.remote_address_group_id,
                }
            )
            names = group_name if key.remote_kind == model.REMOTE_GROUP else address_group_name
            rules.append(model.key_to_declaration(key, rule.description or "", lambda ref: names.get(ref, ref)))
        shown.append(
            {"name": group.name, "description": group.description or "", "stateful": bool(group.stateful), "tags": sorted(group.tags or []), "rules": rules}
        )
    shown_address_groups = [
        {"name": a.name, "description": a.description or "", "addresses": model.canonical_addresses(a.addresses or [])}
        for a in address_groups
        if a.name in address_group_names
    ]
    return {"security_groups": shown, "address_groups": shown_address_groups}


def texts(view):
    """{kind name: readable text} of a diff side or an observed view."""
    result = {}
    for group in view.get("security_groups") or []:
        result["security group " + group["name"]] = diff_view.group_text(group)
    for address_group in view.get("address_groups") or []:
        result["address group " + address_group["name"]] = diff_view.address_group_text(address_group)
    return result


def names_in(diff_data):
    groups, address_groups = set(), set()
    for side in ("before", "after"):
        groups.update(g["name"] for g in diff_data[side].get("security_groups") or [])
        address_groups.update(a["name"] for a in diff_data[side].get("address_groups") or [])
    return groups, address_groups


def corpus(name):
    """Declarations, applied one after the other; each step is one kind of change."""
    web, db, office, extra = name("web"), name("db"), name("office"), name("extra")
    ssh = {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8", "description": "ssh"}
    https = {"protocol": "tcp", "port": 443}
    create = {
        "address_groups": [{"name": office, "addresses": ["203.0.113.0/24", "2001:db8::/48"]}],
        "groups": [
            {"name": web, "description": "web tier", "rules": [ssh, https]},
            {
                "name": db,
                "rules": [
                    {"protocol": "tcp", "port": 5432, "remote_group": web},
                    {"protocol": "tcp", "port": 5432, "remote_address_group": office, "ethertype": "IPv6"},
                ],
            },
        ],
    }
    describe = {
        "address_groups": create["address_groups"],
        "groups": [{"name": web, "description": "web tier", "rules": [dict(ssh, description="SSH from the LAN"), https]}, create["groups"][1]],
    }
    stateless = {"address_groups": create["address_groups"], "groups": [describe["groups"][0], dict(create["groups"][1], stateful=False)]}
    addresses = {
        "address_groups": [{"name": office, "addresses": ["198.51.100.0/24", "2001:db8::/48"]}],
        "groups": stateless["groups"] + [{"name": extra, "rules": [{"protocol": "udp", "port": 53, "remote_group": db}]}],
    }
    deletes = {"address_groups": addresses["address_groups"], "groups": [{"name": web, "description": "web tier", "rules": [https]}]}
    return [
        ("create", create, {}),
        ("description-only replacement", describe, {}),
        ("stateful", stateless, {}),
        ("address group + new group referencing another", addresses, {}),
        ("deletes", deletes, {"purge_groups": True}),
    ]


def check_then_apply(runner, module, args):
    checked = runner.run_task(module, dict(args, cloud="netsec-admin-counted"), check=True, diff=True)
    check_writes = runner.last_requests["writes"]
    real = runner.run_task(module, dict(args, cloud="netsec-admin-counted"), diff=True)
    return checked, check_writes, real, runner.last_requests["writes"]


def test_security_groups_check_equals_apply_over_the_corpus(runner, admin, scratch_project, names):
    project_id = scratch_project.id
    for step, declaration, options in corpus(names):
        args = dict(declaration, project=project_id, **options)
        checked = runner.run_task(GROUPS, dict(args, cloud="netsec-admin-counted"), check=True, diff=True)
        assert runner.last_requests["writes"] == 0, step
        group_names, address_group_names = names_in(checked["diff_data"])
        before = observed_view(admin, project_id, group_names, address_group_names)
        real = runner.run_task(GROUPS, dict(args, cloud="netsec-admin-counted"), diff=True)
        after = observed_view(admin, project_id, group_names, address_group_names)
        assert checked["plan"], "step %r changes nothing: the corpus proves nothing" % step
        assert (runner.last_requests["writes"] > 0) is bool(real["plan"]), step
        # The same operations, in the same order.
        assert masked(checked["plan"]) == masked(real["plan"]), step
        assert [op["action"] for op in checked["plan"]] == [op["action"] for op in real["plan"]], step
        # The same diff, and it is the truth: before = observed before, after = observed after.
        assert checked["diff"] == real["diff"], step
        assert texts(checked["diff_data"]["before"]) == texts(before), step
        assert texts(real["diff_data"]["after"]) == texts(after), step
        assert texts(checked["diff_data"]["after"]) == texts(after), step
        # And the apply converged: a check afterwards plans nothing.
        again = runner.run_task(GROUPS, dict(args, cloud="netsec-admin"), check=True)
        assert again["changed"] is False and again["plan"] == [], (step, again["plan"])


@pytest.fixture
def one_server(admin, names):
    servers = boot_servers(admin, [names("cea")])
    yield servers[0]
    delete_servers(admin, servers)


def port_view(conn, server_id):
    names = dict((g.id, g.name) for g in conn.network.security_groups())
    return dict((p.id, sorted(names[g] for g in p.security_group_ids)) for p in conn.network.ports(device_id=server_id))


def test_attachments_check_equals_apply(runner, admin, one_server, names):
    web, ssh = names("web"), names("ssh")
    runner.run_task(
        GROUPS,
        dict(
            cloud="netsec-admin",
            groups=[
                {"name": web, "rules": [{"protocol": "tcp", "port": 443}]},
                {"name": ssh, "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}]},
            ],
        ),
    )
    steps = [
        dict(security_groups=[web, ssh]),
        dict(security_groups=["default"], mode="add"),
        dict(security_groups=[web], mode="remove"),
        dict(security_groups=[ssh]),
    ]
    for step in steps:
        args = dict(step, server=one_server.name)
        before = port_view(admin, one_server.id)
        checked, check_writes, real, real_writes = check_then_apply(runner, ATTACH, args)
        after = port_view(admin, one_server.id)
        assert check_writes == 0 and real_writes == len(real["plan"]) > 0, step
        assert masked(checked["plan"]) == masked(real["plan"]) and checked["diff"] == real["diff"], step
        for side, observed in (("before", before), ("after", after)):
            (server,) = checked["diff_data"][side]["servers"]
            assert dict((p["id"], p["security_groups"]) for p in server["ports"]) == observed, (step, side)
