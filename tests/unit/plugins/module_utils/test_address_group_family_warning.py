"""security_groups warns, before any write, when an address-group rule leaves out the group's other family (issue 14)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

from fake_cloud import FakeCloud  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402

OPTIONS = {"state": "present", "purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "ignore"}
OFFICE = {"name": "office", "addresses": ["203.0.113.0/24", "2001:db8:100::/48"]}


@pytest.fixture
def cloud(monkeypatch):
    fake = FakeCloud()
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    return fake


def family_warnings(result):
    return [w for w in result["warnings"] if "address group office" in w]


def test_a_rule_without_ethertype_on_a_dual_stack_address_group_warns_naming_the_left_out_addresses(cloud):
    declaration = {"address_groups": [OFFICE], "groups": [{"name": "ssh", "rules": [{"protocol": "tcp", "port": 22, "remote_address_group": "office"}]}]}
    result = reconciler.reconcile(declaration, OPTIONS, {}, True)
    (warning,) = family_warnings(result)
    assert warning.startswith("groups[0].rules[0] (group ssh): rule ingress/IPv4/tcp/22/address-group=office of group ssh admits only the IPv4")
    assert "2001:db8:100::/48 are not admitted" in warning and "add {" in warning and "IPv6" in warning


def test_no_warning_with_the_other_family_declared_or_a_single_family_group(cloud):
    both = [
        {"protocol": "tcp", "port": 22, "remote_address_group": "office"},
        {"protocol": "tcp", "port": 22, "remote_address_group": "office", "ethertype": "IPv6"},
    ]
    result = reconciler.reconcile({"address_groups": [OFFICE], "groups": [{"name": "ssh", "rules": both}]}, OPTIONS, {}, True)
    assert family_warnings(result) == []
    v4 = dict(OFFICE, addresses=["203.0.113.0/24"])
    result = reconciler.reconcile({"address_groups": [v4], "groups": [{"name": "ssh", "rules": both[:1]}]}, OPTIONS, {}, True)
    assert family_warnings(result) == []
