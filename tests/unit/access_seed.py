"""Shared unit-test data: Neutron rules as the cloud layer returns them, and the access seed in both shapes.

The seed: group A admits all UDP from group B, tcp/21 from anywhere and tcp/4443 only from B.
``SEED`` is it as a declaration, ``INVENTORY`` as the live model reads it (rule ids r1-r3, plus r4
from a group of another project; ports pa wears A, pb wears B, pn wears nothing).
"""

SEED_GROUPS = [
    {
        "name": "A",
        "rules": [
            {"protocol": "udp", "remote_group": "B"},
            {"protocol": "tcp", "port": 21},
            {"protocol": "tcp", "port": 4443, "remote_group": "B"},
        ],
    },
    {"name": "B"},
]
SEED = {"groups": SEED_GROUPS, "servers": [{"server": "web-1", "security_groups": ["A"]}, {"server": "db-1", "security_groups": ["B"]}]}


def neutron_rule(rule_id, **fields):
    """A security group rule as Neutron returns it: ingress IPv4, every other field empty unless ``fields`` say."""
    base = {
        "id": rule_id,
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": None,
        "port_range_min": None,
        "port_range_max": None,
        "remote_ip_prefix": None,
        "remote_group_id": None,
        "remote_address_group_id": None,
        "description": "",
    }
    base.update(fields)
    return base


INVENTORY = {
    "project_id": "p1",
    "groups": [
        {
            "id": "ga",
            "name": "A",
            "project_id": "p1",
            "stateful": True,
            "tags": [],
            "rules": [
                neutron_rule("r1", protocol="udp", remote_group_id="gb"),
                neutron_rule("r2", protocol="tcp", port_range_min=21, port_range_max=21),
                neutron_rule("r3", protocol="tcp", port_range_min=4443, port_range_max=4443, remote_group_id="gb"),
                neutron_rule("r4", protocol="tcp", port_range_min=8080, port_range_max=8080, remote_group_id="foreign-id"),
            ],
        },
        {"id": "gb", "name": "B", "project_id": "p1", "stateful": True, "tags": [], "rules": []},
    ],
    "address_groups": [],
    "ports": [
        {"id": "pa", "device_id": "sa", "fixed_ips": ["10.250.0.10"], "security_group_ids": ["ga"], "project_id": "p1"},
        {"id": "pb", "device_id": "sb", "fixed_ips": ["10.250.0.11", "fd00::11"], "security_group_ids": ["gb"], "project_id": "p1"},
        {"id": "pn", "device_id": "sn", "fixed_ips": ["10.250.0.12"], "security_group_ids": [], "project_id": "p1"},
    ],
    "servers": [],
}
