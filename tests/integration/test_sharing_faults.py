"""Faults on share / unshare (issue 17), through the fault-injecting proxy (tests/integration/fault_proxy.py).

A fault is armed on one POST or DELETE of /v2.0/rbac-policies of a real run (the admin working in a scratch
project through ``netsec-admin-faulty``); the policies are then read with openstacksdk straight from Neutron.
The faulted run either succeeds with the cloud as declared, or fails with a clear message whose
``completed`` / ``not_completed`` are exactly what the cloud holds; a project that keeps access in the
declaration never loses it; a clean re-run converges.  An older Neutron without the RBAC extensions is
imitated by hiding them: sharing is refused before any write.
"""

import os

import pytest

import fault_campaign
from fault_campaign import is_clear_failure, run_inprocess
from fault_proxy import WRITE_METHODS
from test_gitops import sharing_projects

RBAC = "/v2.0/rbac-policies"
SSH = {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"}

# The fault proxies and their clouds.yaml, as fixtures of this module.
fault_proxy = fault_campaign.fault_proxy
nova_fault_proxy = fault_campaign.nova_fault_proxy
faulty_clouds_file = fault_campaign.faulty_clouds_file


@pytest.fixture
def faults(fault_proxy, faulty_clouds_file):
    fault_proxy.reset()
    fault_proxy.extensions.clear()
    yield fault_proxy
    fault_proxy.reset()
    fault_proxy.extensions.clear()


@pytest.fixture(scope="module")
def projects(admin):
    """An owner and four projects to share with (module scope: each test uses groups of its own names)."""
    with sharing_projects(admin, 5) as made:
        yield made


def request_to(method, path, exact=True):
    def match(request_method, request_path):
        bare = request_path.split("?")[0]
        return request_method == method and (bare == path if exact else bare.startswith(path + "/"))

    return match


def targets(admin, object_id, object_type="security_group"):
    return sorted(p.target_project_id for p in admin.network.rbac_policies(object_id=object_id, object_type=object_type, action="access_as_shared"))


def declaration(name, shared_with):
    return {"groups": [{"name": name, "rules": [SSH], "shared_with": list(shared_with)}]}


def apply_clean(owner, name, shared_with, admin, **options):
    outcome = run_inprocess(declaration(name, shared_with), dict(project=owner.id, **options))
    assert outcome.ok, outcome.msg
    found = [g for g in admin.network.security_groups(project_id=owner.id) if g.name == name]
    assert len(found) == 1
    return found[0]


def assert_result_is_the_truth(outcome, admin, group_id, before):
    """A failed run's completed / not_completed say exactly which policies changed."""
    assert not outcome.crashed, outcome.msg
    assert is_clear_failure(outcome.msg), outcome.msg
    done, pending = outcome.result["completed"], outcome.result["not_completed"]
    expected = set(before)
    for op in done:
        (expected.add if op["action"] == "share" else expected.discard)(op["target_project"])
    assert targets(admin, group_id) == sorted(expected), (outcome.msg, done, pending)
    for op in pending:
        if op["action"] == "share":
            assert op["target_project"] not in expected
        else:
            assert op["target_project"] in expected


# Every fault kind runs in `make sharing-faults` (NETSEC_SHARING_FAULTS=all); `make test` runs the kinds that
# reach each distinct path (an error before the write, a lost answer after it, a refusal) to stay within its time.
ALL_KINDS = os.environ.get("NETSEC_SHARING_FAULTS") == "all"
SHARE_FAULTS = ["500", "503_after", "drop_before", "drop_after", "timeout", "409", "409_overquota"] if ALL_KINDS else ["500", "drop_after", "409"]
UNSHARE_FAULTS = ["500", "500_after", "drop_after", "409"] if ALL_KINDS else ["500_after", "409"]


@pytest.mark.parametrize("kind", SHARE_FAULTS)
def test_fault_on_a_share(faults, admin, projects, names, kind):
    owner, alpha, beta = projects[:3]
    name = names("shared")
    group = apply_clean(owner, name, [], admin)
    faults.arm(kind, at=2, match=request_to("POST", RBAC))
    api_timeout = fault_campaign.FAULT_TIMEOUT if kind == "timeout" else fault_campaign.CLEAN_TIMEOUT
    outcome = run_inprocess(declaration(name, [alpha.id, beta.id]), {"project": owner.id}, api_timeout=api_timeout)
    assert faults.fired(), "the fault was not reached"
    if outcome.ok:
        assert targets(admin, group.id) == sorted([alpha.id, beta.id]), "reported success, but the cloud differs"
        assert kind not in ("409", "409_overquota"), "a refused share reported as done"
    else:
        assert_result_is_the_truth(outcome, admin, group.id, [])
    faults.reset()
    apply_clean(owner, name, [alpha.id, beta.id], admin)
    assert targets(admin, group.id) == sorted([alpha.id, beta.id])


@pytest.mark.parametrize("kind", UNSHARE_FAULTS)
def test_fault_on_an_unshare_halfway_through_a_multi_project_change(faults, admin, projects, names, kind):
    """[alpha, beta, gamma] -> [delta]: share delta, then unshare alpha, beta, gamma one at a time; the 2nd
    DELETE fails.  Whatever is left shared is what not_completed says; delta has access before anyone loses it."""
    owner, alpha, beta, gamma, delta = projects
    name = names("multi")
    group = apply_clean(owner, name, [alpha.id, beta.id, gamma.id], admin)
    faults.arm(kind, at=2, match=request_to("DELETE", RBAC, exact=False))
    outcome = run_inprocess(declaration(name, [delta.id]), {"project": owner.id})
    assert faults.fired(), "the fault was not reached"
    if outcome.ok:
        assert targets(admin, group.id) == [delta.id]
        assert kind != "409", "a refused unshare reported as done"
    else:
        assert_result_is_the_truth(outcome, admin, group.id, [alpha.id, beta.id, gamma.id])
        assert delta.id in targets(admin, group.id)
        # every project that still has access although undeclared is listed as an unshare not carried out
        still = set(targets(admin, group.id)) - {delta.id}
        assert still and still <= {alpha.id, beta.id, gamma.id}
        pending = set(op["target_project"] for op in outcome.result["not_completed"] if op["action"] == "unshare")
        assert pending == still, (pending, still)
    faults.reset()
    apply_clean(owner, name, [delta.id], admin)
    assert targets(admin, group.id) == [delta.id]


def test_a_failed_share_never_takes_access_from_the_project_it_replaces(faults, admin, projects, names):
    """[alpha] -> [beta] and [alpha] -> ["*"]: the share fails (a 409 that is not a duplicate): alpha keeps access."""
    owner, alpha, beta = projects[:3]
    for replacement in (beta.id, "*"):
        name = names("replace-%s" % ("star" if replacement == "*" else "beta"))
        group = apply_clean(owner, name, [alpha.id], admin)
        faults.arm("409", at=1, match=request_to("POST", RBAC))
        outcome = run_inprocess(declaration(name, [replacement]), {"project": owner.id}, api_timeout=fault_campaign.CLEAN_TIMEOUT)
        assert faults.fired() and not outcome.ok
        assert_result_is_the_truth(outcome, admin, group.id, [alpha.id])
        assert targets(admin, group.id) == [alpha.id]
        assert [op["action"] for op in outcome.result["not_completed"]] == ["share", "unshare"]
        faults.reset()
        apply_clean(owner, name, [replacement], admin)
        assert targets(admin, group.id) == [replacement]


@pytest.mark.parametrize("alias, item", [("rbac-security-groups", "groups"), ("rbac-address-group", "address_groups")])
def test_an_older_neutron_without_the_rbac_extension_refuses_before_any_write(faults, admin, projects, names, alias, item):
    owner, alpha = projects[:2]
    faults.extensions.hide(alias)
    if item == "groups":
        declared = declaration(names("old"), [alpha.id])
    else:
        declared = {"address_groups": [{"name": names("old"), "addresses": ["192.0.2.1"], "shared_with": [alpha.id]}]}
    for check_mode in (True, False):
        outcome = run_inprocess(declared, {"project": owner.id}, check_mode=check_mode)
        assert not outcome.ok and not outcome.crashed
        assert "%s[0].shared_with" % item in outcome.msg and alias in outcome.msg and "nothing was changed" in outcome.msg, outcome.msg
    assert [e for e in faults.requests() if e["method"] in WRITE_METHODS] == []
    assert not [g for g in admin.network.security_groups(project_id=owner.id) if g.name == names("old")]
