"""security_groups.run without Ansible, on the in-memory cloud: the AnsibleModule stand-in, the wiring, two declarations."""

from fake_cloud import FakeCloud

from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler
from ansible_collections.netsec.openstack.plugins.modules import security_groups

DECLARATION = {
    "groups": [
        {
            "name": "web",
            "description": "web tier",
            "rules": [
                {"protocol": "tcp", "port": 443, "remote_ip_prefix": "0.0.0.0/0"},
                {"protocol": "tcp", "port": 22, "remote_group": "bastion", "description": "ssh"},
                {"direction": "egress"},
            ],
        },
        {"name": "bastion", "rules": [{"protocol": "tcp", "port": "22", "remote_ip_prefix": ["203.0.113.0/24", "2001:db8::/32"]}]},
    ],
}
WITH_ADDRESS_GROUPS = {  # the fake cloud does not create address groups: check mode only
    "address_groups": [{"name": "clients", "addresses": ["10.0.1.0/24", "10.0.2.7"]}],
    "groups": [{"name": "db", "rules": [{"protocol": "tcp", "port": 5432, "remote_address_group": "clients"}]}],
}


class Module(object):
    """What security_groups.run reads of an AnsibleModule."""

    def __init__(self, check_mode=False, diff=True, **params):
        self.params = dict((name, spec.get("default")) for name, spec in dict(security_groups.ARGUMENT_SPEC, cloud={}, auth={}).items())
        self.params.update(lock=False, concurrency=1, lockout_guard="ignore")
        self.params.update(params)
        self.check_mode = check_mode
        self._diff = diff


def fake_cloud(monkeypatch):
    """A fresh FakeCloud that every run talks to; its ``seen`` lists the (cloud, project) each run opened."""
    fake = FakeCloud()
    fake.seen = []

    def open_run(auth, options, connect):
        fake.seen.append((auth.get("cloud"), options.get("project")))
        return fake.cloud_run(options)

    monkeypatch.setattr(reconciler, "open_run", open_run)
    return fake


def writes(cloud):
    """The write calls the fake cloud logged."""
    return [entry for entry in cloud.log if not entry[0].startswith("read_")]
