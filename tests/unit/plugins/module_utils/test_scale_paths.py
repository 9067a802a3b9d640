"""The engine's per-rule work stays linear (issue 17's scale case: 5,000 rules in one project).

Counts, never wall time: the Python function calls of a whole ``reconcile``
(parse, observe, plan, apply, verify, render) on the in-memory Neutron at
N and at 4N rules.  A linear engine makes about 4x the calls (less: fixed
costs); work per rule that grows with the number of rules or groups (a
rule compared with every rule, a group with every group) makes ~16x.
Also: each distinct prefix is parsed once, and the single jsonschema pass
leaves the cross-field checks exactly the rules the rule schema accepts.
"""

import importlib.util
import ipaddress
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from fake_cloud import FakeCloud  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _schema as schema  # noqa: E402

OPTIONS = {"state": "present", "purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "warn"}
# 4x the rules may cost at most this many times the calls (linear: <= 4; one quadratic term at these sizes: > 6).
GROWTH_LIMIT = 4.5


def declaration(groups, rules_per_group, salt=0):
    """groups x rules_per_group distinct rules; every tenth references the next group (a cycle), like bench/scale.py."""
    declared = []
    for g in range(groups):
        rules = []
        for j in range(rules_per_group):
            if j % 10 == 9:
                rules.append({"protocol": "tcp", "port": 5000 + j + salt, "remote_group": "g%03d" % ((g + 1) % groups)})
            else:
                rules.append({"protocol": "udp" if j % 3 == 0 else "tcp", "port": 1024 + j + salt, "remote_ip_prefix": "10.%d.%d.0/24" % (g % 250, j % 250)})
        declared.append({"name": "g%03d" % g, "description": "group %d" % g, "rules": rules})
    return {"groups": declared}


class CallCounter(object):
    """Python function calls while active (sys.setprofile), except those inside the fake Neutron's requests
    (``FakeCloud._neutron``): its duplicate check compares a bulk create's rules with each other, Neutron's
    work, not the engine's."""

    NEUTRON = FakeCloud._neutron.__code__

    def __init__(self):
        self.calls = 0
        self.in_fake = 0

    def __call__(self, frame, event, arg):
        fake = frame.f_code is self.NEUTRON
        if event == "call":
            if fake:
                self.in_fake += 1
            elif not self.in_fake:
                self.calls += 1
        elif event == "return" and fake:
            self.in_fake -= 1

    def __enter__(self):
        sys.setprofile(self)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)


@pytest.fixture
def cloud(monkeypatch):
    fake = FakeCloud()
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    return fake


def calls_of(monkeypatch, decl, runs):
    """Calls of the last of ``runs`` reconciles of ``decl`` on a fresh fake (the earlier ones set the state up)."""
    fake = FakeCloud()
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    for _index in range(runs - 1):
        reconciler.reconcile(decl, dict(OPTIONS), {}, False)
    model._parsed_network.cache_clear()
    model._prefix_facts.cache_clear()
    with CallCounter() as counter:
        result = reconciler.reconcile(decl, dict(OPTIONS), {}, False)
    assert result["changed"] is (runs == 1)
    return counter.calls


@pytest.mark.parametrize(
    "small, large",
    [
        ((5, 20), (20, 20)),  # more groups
        ((1, 60), (1, 240)),  # one bigger group
    ],
    ids=["groups", "rules-per-group"],
)
def test_noop_calls_grow_linearly_with_the_rules(monkeypatch, small, large):
    ratio = calls_of(monkeypatch, declaration(*large), 2) / float(calls_of(monkeypatch, declaration(*small), 2))
    assert ratio <= GROWTH_LIMIT, "no-op: 4x the rules cost %.1fx the calls" % ratio


def test_converge_calls_grow_linearly_with_the_groups(monkeypatch):
    ratio = calls_of(monkeypatch, declaration(20, 20), 1) / float(calls_of(monkeypatch, declaration(5, 20), 1))
    assert ratio <= GROWTH_LIMIT, "converge: 4x the rules cost %.1fx the calls" % ratio


def test_replacing_every_rule_of_a_group_grows_linearly(monkeypatch):
    def calls(rules):
        fake = FakeCloud()
        monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
        reconciler.reconcile(declaration(1, rules), dict(OPTIONS), {}, False)
        with CallCounter() as counter:
            result = reconciler.reconcile(declaration(1, rules, salt=1), dict(OPTIONS), {}, False)
        assert result["summary"]["create_rule"] == result["summary"]["delete_rule"] == rules
        return counter.calls

    ratio = calls(200) / float(calls(50))
    assert ratio <= GROWTH_LIMIT, "replace: 4x the rules cost %.1fx the calls" % ratio


def test_each_distinct_prefix_is_parsed_once_per_run(cloud, monkeypatch):
    decl = declaration(4, 30)
    reconciler.reconcile(decl, dict(OPTIONS), {}, False)
    distinct = set(r["remote_ip_prefix"] for g in decl["groups"] for r in g["rules"] if "remote_ip_prefix" in r)
    parsed = []
    real = ipaddress.ip_network

    def counting(*args, **kwargs):
        parsed.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(ipaddress, "ip_network", counting)
    model._parsed_network.cache_clear()
    model._prefix_facts.cache_clear()
    assert reconciler.reconcile(decl, dict(OPTIONS), {}, False)["changed"] is False
    # strict (host bits check of the declaration) and masked: at most two parses per distinct prefix.
    assert len(parsed) <= 2 * len(distinct), "%d prefix parses for %d distinct prefixes" % (len(parsed), len(distinct))


def test_canonical_prefixes_and_their_errors_are_unchanged_by_the_cache():
    for _twice in range(2):
        assert model.canonical_remote_prefix(" 10.1.2.3/24 ", None) == "10.1.2.0/24"
        assert model.canonical_remote_prefix("2001:db8::1", "IPv6") == "2001:db8::1/128"
        assert model.canonical_remote_prefix("0.0.0.0/0", "IPv4") is None
        assert model.has_host_bits("10.1.2.3/24") and not model.has_host_bits("10.1.2.0/24")
        with pytest.raises(model.ModelError, match=r"' 10.0.0.0/33' is not a valid IP address or CIDR"):
            model.canonical_remote_prefix(" 10.0.0.0/33", None)
        with pytest.raises(model.ModelError, match="is not an IPv6 prefix"):
            model.canonical_remote_prefix("10.0.0.0/8", "IPv6")


def _bad_input_declarations():
    table = os.path.join(HERE, "..", "..", "..", "integration", "bad_input_cases.py")
    spec = importlib.util.spec_from_file_location("bad_input_cases", table)
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    found = [case[2] for case in cases.CASES if case[1] == cases.SGS and isinstance(case[2], dict)]
    # Shape-invalid rules that the cross-field checks would also refuse, next to valid ones.
    found.append(
        {
            "groups": [
                {"name": "a", "rules": [{"protocol": "tcp", "port": 99999}, {"protocol": "tcp", "port": "30-20"}, "not a rule", {"bogus": 1, "port": 22}]},
                {"name": "b", "rules": [{"protocol": "icmp", "port": 22, "ethertype": "IPv5"}, {"protocol": "tcp", "port": 22}]},
                "not a group",
                {"name": "c", "rules": "not a list"},
            ]
        }
    )
    return found


def test_one_schema_pass_leaves_cross_field_checks_the_same_rules():
    declarations = _bad_input_declarations()
    assert len(declarations) > 20
    for decl in declarations:
        messages, invalid_rules = schema._shape_check(decl)
        assert messages == schema.schema_errors(decl)
        assert schema.cross_field_errors(decl, invalid_rules) == schema.cross_field_errors(decl), decl
    messages, invalid_rules = schema._shape_check(declarations[-1])
    assert invalid_rules == {(0, 0), (0, 2), (0, 3), (1, 0)}


_PORTS = st.one_of(st.none(), st.integers(min_value=0, max_value=70))
_KEYS = st.builds(
    model.RuleKey,
    direction=st.sampled_from(["ingress", "egress"]),
    ethertype=st.sampled_from(["IPv4", "IPv6"]),
    protocol=st.sampled_from([None, "tcp", "udp", "icmp", "47"]),
    port_min=_PORTS,
    port_max=_PORTS,  # inverted ranges too (an ICMP type above its code)
    remote_kind=st.just(None),
    remote=st.just(None),
)


@settings(max_examples=300, deadline=None)
@given(added=st.lists(_KEYS, max_size=12), deleted=st.lists(_KEYS, min_size=1, max_size=6))
def test_added_rules_index_answers_as_comparing_every_pair(added, deleted):
    index = planner.AddedRules(added)
    for key in deleted:
        assert index.overlap(key) == any(planner.overlaps(key, other) for other in added)
