"""Every error and warning names the group it is about, by name, in every module (issue 14)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

from fake_cloud import FakeCloud  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _default_rules as default_rules  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._group_paths import declared_names, name_groups  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError  # noqa: E402

OPTIONS = {"state": "present", "purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "ignore"}
NAMES = ["web", "db"]


@pytest.mark.parametrize(
    "message,many,one",
    [
        ("groups[1].rules[0].port: no", "groups[1].rules[0].port (group db): no", "rules[0].port (group db): no"),
        ("groups[0]: default kept", "groups[0] (group web): default kept", "group web: default kept"),
        (
            "groups[1].rules[1]: as groups[1].rules[0]",
            "groups[1].rules[1] (group db): as groups[1].rules[0] (group db)",
            "rules[1] (group db): as rules[0] (group db)",
        ),
        # Other lists' paths are not groups.
        ("address_groups[0].addresses[1]: bad", "address_groups[0].addresses[1]: bad", "address_groups[0].addresses[1]: bad"),
        (
            "servers[0].security_groups[1]: group 'x' not found",
            "servers[0].security_groups[1]: group 'x' not found",
            "servers[0].security_groups[1]: group 'x' not found",
        ),
        ("groups[7].name: out of range", "groups[7].name: out of range", "name: out of range"),
    ],
)
def test_name_groups(message, many, one):
    assert name_groups([message], NAMES) == [many]
    assert name_groups([message], NAMES, single=True) == [one]


def test_declared_names_skip_what_has_no_usable_name():
    assert declared_names({"groups": [{"name": "web"}, {"name": " "}, "x", {}]}) == ["web", None, None, None]
    assert declared_names({"groups": "nope"}) == [] and declared_names(None) == []


@pytest.fixture
def cloud(monkeypatch):
    fake = FakeCloud()
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    return fake


def test_security_groups_errors_and_warnings_name_the_group(cloud):
    with pytest.raises(DeclarationError) as refused:
        reconciler.reconcile({"groups": [{"name": "web"}, {"name": "db", "rules": [{"protocol": "icmp", "port": 22}]}]}, OPTIONS, {}, False)
    assert refused.value.errors[0].startswith("groups[1].rules[0].port (group db): ")
    with pytest.raises(errors.PlanError) as refused:
        reconciler.reconcile({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 22, "remote_group": "nowhere"}]}]}, OPTIONS, {}, True)
    assert refused.value.errors[0].startswith("groups[0].rules[0].remote_group (group web): ")
    result = reconciler.reconcile({"groups": [{"name": "web"}, {"name": "default"}]}, dict(OPTIONS, state="absent"), {}, True)
    assert "groups[1] (group default): the project's default group is never deleted; it was left as it is" in result["warnings"]


def test_security_group_errors_warnings_and_reasons_name_the_group_never_groups_0(cloud):
    one = reconciler.reconcile_one_group
    with pytest.raises(DeclarationError) as refused:
        one({"name": "web", "rules": [{"protocol": "icmp", "port": 22}]}, OPTIONS, {}, False)
    assert refused.value.errors == ["rules[0].port (group web): ports do not apply to icmp; use icmp_type and icmp_code"]
    with pytest.raises(DeclarationError) as refused:
        one(
            {"name": "web", "rules": [{"protocol": "tcp", "port": 80, "description": "a"}, {"protocol": "tcp", "port": 80, "description": "b"}]},
            OPTIONS,
            {},
            False,
        )
    text = str(refused.value)
    assert "rules[1] (group web): the same rule as rules[0] (group web) with another description" in text
    assert "groups[0]" not in text and "(group)" not in text
    result = one({"name": "default"}, dict(OPTIONS, state="absent"), {}, True)
    assert result["warnings"] == ["group default: the project's default group is never deleted; it was left as it is"]
    result = one({"name": "web", "rules": [{"protocol": "tcp", "port": 22}]}, OPTIONS, {}, True)
    reasons = [op["reason"] for op in result["plan"]]
    assert "declared at rules[0] (group web); not present" in reasons and not any("groups[0]" in r for r in reasons), reasons


def test_default_rule_templates_errors_name_rules_not_a_made_up_group():
    """Templates are validated as the rules of one made-up group: no message may show it."""
    for bad in (
        [{"protocol": "icmp", "port": 22}],
        [{"protocl": "tcp"}],
        [{"remote_group": "PARENT", "remote_ip_prefix": "10.0.0.0/8"}],
        [{"icmp_type": 8, "protocol": "icmp", "ethertype": "IPv6"}],
        [{"protocol": "tcp", "port": 80, "description": "a"}, {"protocol": "tcp", "port": 80, "description": "b"}],
    ):
        with pytest.raises(DeclarationError) as refused:
            default_rules.parse_templates(bad)
        assert refused.value.errors[0].startswith("rules[") and "groups[" not in str(refused.value) and "templates" not in str(refused.value), bad
