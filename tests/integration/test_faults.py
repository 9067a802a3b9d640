"""One test per fault class, through the fault-injecting proxy (tests/integration/fault_proxy.py).

Each arms one fault at a chosen request of a real run against the local
cloud, then checks with openstacksdk what the cloud holds: the faulted run
either succeeds with the cloud as declared (after a safe retry) or fails with
a message that says what failed and what had been done; a clean re-run
converges; nothing is created twice, nothing undeclared is deleted.
"""

import time

import pytest

from fault_campaign import FAULT_TIMEOUT, OWNER, is_clear_failure, mismatches, project_snapshot, run_inprocess, run_playbook
import fault_campaign
from conftest import boot_servers, delete_servers
from fault_proxy import WRITE_METHODS

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as adapter
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile_attachments

GROUPS = "/v2.0/security-groups"
RULES = "/v2.0/security-group-rules"

# The fault proxies and their clouds.yaml, as fixtures of this module.
fault_proxy = fault_campaign.fault_proxy
nova_fault_proxy = fault_campaign.nova_fault_proxy
faulty_clouds_file = fault_campaign.faulty_clouds_file


def request_to(method, path, exact=True):
    """Matches ``method`` requests to ``path`` (exactly, query aside; or any path under it)."""

    def match(request_method, request_path):
        bare = request_path.split("?")[0]
        return request_method == method and (bare == path if exact else bare.startswith(path + "/"))

    return match


def after_first_write(method="GET"):
    """Matches ``method`` requests once the run has sent its first write."""
    state = {"written": False}

    def match(request_method, request_path):
        if request_method in WRITE_METHODS:
            state["written"] = True
            return False
        return state["written"] and request_method == method

    return match


@pytest.fixture
def faults(fault_proxy, faulty_clouds_file):
    fault_proxy.reset()
    yield fault_proxy
    fault_proxy.reset()


def two_groups(names, rules_web=None):
    return {
        "groups": [
            {
                "name": names("web"),
                "description": "web tier",
                "rules": rules_web
                if rules_web is not None
                else [
                    {"protocol": "tcp", "port": 443, "remote_ip_prefix": "0.0.0.0/0"},
                    {"protocol": "tcp", "port": 22, "remote_group": names("bastion")},
                    {"protocol": "udp", "port": "8000-8100", "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]},
                ],
            },
            {
                "name": names("bastion"),
                "description": "bastion",
                "rules": [{"protocol": "tcp", "port": 22, "remote_ip_prefix": "203.0.113.0/24", "description": "office"}],
            },
        ]
    }


def differs(admin, project_id, declaration, options):
    """mismatches(); the check for unpurged groups only where the run purges (a scratch project)."""
    return mismatches(admin, project_id, declaration, purge=bool(options.get("purge_groups")))


def snapshot(admin, project_id, names):
    return project_snapshot(admin, project_id, prefix=names("") if names else "")


def apply_clean(declaration, options, project_id, admin):
    outcome = run_inprocess(declaration, options)
    assert outcome.ok, outcome.msg
    assert differs(admin, project_id, declaration, options) == []
    return outcome


def assert_faulted_run_is_honest(outcome, admin, project_id, declaration, before, names):
    """Success with the cloud as declared, or a clear failure (and 'nothing changed' only when true)."""
    assert not outcome.crashed, outcome.msg
    if outcome.ok:
        assert differs(admin, project_id, declaration, {}) == [], "reported success, but the cloud differs"
    else:
        assert is_clear_failure(outcome.msg), outcome.msg
        if "nothing had been changed" in outcome.msg:
            assert snapshot(admin, project_id, names) == before, "said nothing had been changed: %s" % outcome.msg


def assert_rerun_converges(admin, project_id, declaration, options):
    rerun = run_inprocess(declaration, options)
    assert rerun.ok, rerun.msg
    assert differs(admin, project_id, declaration, options) == []


# --- reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["503", "drop_before"])
def test_fault_on_version_discovery_is_retried(faults, admin, names, kind):
    """F1: a lost answer to Neutron's version discovery (GET /) made openstacksdk fall back to the
    unversioned endpoint, and every request of the run got a 404 ('listing security groups failed:
    404 Not Found').  The discovery is now repeated until it finds /v2.0."""
    declaration = two_groups(names)
    faults.arm(kind, at=1, match=request_to("GET", "/"))
    outcome = run_inprocess(declaration, {})
    assert faults.fired(), "the fault was not reached"
    assert outcome.ok, outcome.msg
    assert all(entry["path"].startswith("/v2.0/") for entry in faults.requests() if entry["path"] != "/"), faults.requests()
    assert differs(admin, admin.current_project_id, declaration, {}) == []


def test_one_503_on_the_list_read_is_retried(faults, admin, names):
    declaration = two_groups(names)
    project_id = admin.current_project_id
    faults.arm("503", at=1, match=request_to("GET", GROUPS))
    outcome = run_inprocess(declaration, {})
    assert faults.fired(), "the fault was not reached"
    assert outcome.ok, outcome.msg
    assert any("repeated" in w for w in outcome.result["warnings"]), outcome.result["warnings"]
    assert differs(admin, project_id, declaration, {}) == []


def test_persistent_503_on_the_list_read_fails_and_never_purges(faults, admin, scratch_project):
    """A failed observation must not look like an empty project: nothing created, nothing purged."""
    options = {"project": scratch_project.id, "purge_groups": True}
    old = {"groups": [{"name": "old", "rules": []}, {"name": "kept", "rules": [{"protocol": "tcp", "port": 22}]}]}
    apply_clean(old, options, scratch_project.id, admin)
    declaration = {"groups": [{"name": "kept", "rules": [{"protocol": "tcp", "port": 22}]}, {"name": "new", "rules": []}]}
    before = project_snapshot(admin, scratch_project.id)
    faults.arm("503", at=1, match=request_to("GET", GROUPS), times=20)
    outcome = run_inprocess(declaration, options)
    faults.disarm()
    assert not outcome.ok and not outcome.crashed, outcome.msg
    assert "listing security groups" in outcome.msg and "nothing had been changed" in outcome.msg, outcome.msg
    assert project_snapshot(admin, scratch_project.id) == before
    assert_rerun_converges(admin, scratch_project.id, declaration, options)
    assert "old" not in [g.name for g in admin.network.security_groups(project_id=scratch_project.id)]


def test_fault_on_the_verifying_read_says_the_changes_were_made(faults, admin, names):
    """After the writes, a failed re-read must not claim 'nothing had been changed'."""
    declaration = two_groups(names)
    project_id = admin.current_project_id
    apply_clean(declaration, {}, project_id, admin)
    declaration["groups"][0]["rules"].append({"protocol": "tcp", "port": 8443, "remote_ip_prefix": "192.0.2.0/24"})
    faults.arm("503", at=1, match=after_first_write("GET"), times=20)
    outcome = run_inprocess(declaration, {})
    faults.disarm()
    assert faults.fired(), "the fault was not reached"
    assert not outcome.ok and not outcome.crashed, outcome.msg
    assert "nothing had been changed" not in outcome.msg, outcome.msg
    assert outcome.result["changed"] is True
    assert is_clear_failure(outcome.msg), outcome.msg
    # The write did happen: the cloud already matches, the re-run has nothing to do.
    assert differs(admin, project_id, declaration, {}) == []
    assert_rerun_converges(admin, project_id, declaration, {})


# --- group creates --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop_after", "timeout", "503"])
def test_lost_answer_of_a_group_create_makes_no_duplicate(faults, admin, names, kind):
    """The create happened (or not) but the answer was lost: never two groups of one name."""
    declaration = two_groups(names)
    project_id = admin.current_project_id
    before = snapshot(admin, project_id, names)
    faults.arm(kind, at=1, match=request_to("POST", GROUPS))
    outcome = run_inprocess(declaration, {}, api_timeout=FAULT_TIMEOUT)
    faults.disarm()
    assert faults.fired(), "the fault was not reached"
    for name in (names("web"), names("bastion")):
        copies = list(admin.network.security_groups(name=name, project_id=project_id))
        assert len(copies) <= 1, "%s: %d groups after a %s on the create" % (name, len(copies), kind)
    assert_faulted_run_is_honest(outcome, admin, project_id, declaration, before, names)
    assert_rerun_converges(admin, project_id, declaration, {})
    for name in (names("web"), names("bastion")):
        copies = list(admin.network.security_groups(name=name, project_id=project_id))
        assert len(copies) == 1 and OWNER in copies[0].tags


# --- rule creates ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["timeout", "drop_after"])
def test_lost_answer_of_the_bulk_rule_post_adopts(faults, admin, names, kind):
    declaration = two_groups(names, rules_web=[])
    project_id = admin.current_project_id
    apply_clean(declaration, {}, project_id, admin)
    declaration = two_groups(names)
    before = snapshot(admin, project_id, names)
    faults.arm(kind, at=1, match=request_to("POST", RULES))
    outcome = run_inprocess(declaration, {}, api_timeout=FAULT_TIMEOUT)
    faults.disarm()
    assert faults.fired(), "the fault was not reached"
    assert_faulted_run_is_honest(outcome, admin, project_id, declaration, before, names)
    assert_rerun_converges(admin, project_id, declaration, {})
    web = list(admin.network.security_groups(name=names("web"), project_id=project_id))[0]
    assert len(list(admin.network.security_group_rules(security_group_id=web.id))) == 4


def test_spurious_409_on_the_bulk_rule_post(faults, admin, names):
    """A 409 that is not 'rule exists': one by one, and the run ends as declared or fails clearly."""
    declaration = two_groups(names, rules_web=[])
    project_id = admin.current_project_id
    apply_clean(declaration, {}, project_id, admin)
    declaration = two_groups(names)
    before = snapshot(admin, project_id, names)
    faults.arm("409", at=1, match=request_to("POST", RULES))
    outcome = run_inprocess(declaration, {})
    faults.disarm()
    assert faults.fired()
    assert_faulted_run_is_honest(outcome, admin, project_id, declaration, before, names)
    assert_rerun_converges(admin, project_id, declaration, {})


# --- deletes --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop_after", "404"])
def test_fault_on_a_rule_delete(faults, admin, names, kind):
    """drop_after: the retried DELETE meets a real 404, which means done; a spurious 404 leaves the
    rule there, which the verifying read must notice and fix."""
    declaration = two_groups(names)
    project_id = admin.current_project_id
    apply_clean(declaration, {}, project_id, admin)
    declaration["groups"][0]["rules"].pop(0)
    before = snapshot(admin, project_id, names)
    faults.arm(kind, at=1, match=request_to("DELETE", RULES, exact=False))
    outcome = run_inprocess(declaration, {})
    faults.disarm()
    assert faults.fired()
    assert outcome.ok, outcome.msg
    assert differs(admin, project_id, declaration, {}) == []
    assert snapshot(admin, project_id, names) != before


def test_fault_on_a_purged_group_delete(faults, admin, scratch_project):
    """The DELETE happened, its answer was lost: the retried DELETE's 404 means done."""
    options = {"project": scratch_project.id, "purge_groups": True}
    apply_clean({"groups": [{"name": "a", "rules": []}, {"name": "b", "rules": []}]}, options, scratch_project.id, admin)
    declaration = {"groups": [{"name": "a", "rules": []}]}
    faults.arm("drop_after", at=1, match=request_to("DELETE", GROUPS, exact=False))
    outcome = run_inprocess(declaration, options)
    faults.disarm()
    assert faults.fired()
    assert outcome.ok, outcome.msg
    assert differs(admin, scratch_project.id, declaration, options) == []


# --- what users see -------------------------------------------------------------------------


def test_failure_message_through_ansible_playbook(faults, admin, names, tmp_path, faulty_clouds_file):
    """Persistent 503s on the rule POST: the task fails saying what failed and what had been done."""
    declaration = two_groups(names)
    project_id = admin.current_project_id
    faults.arm("503", at=1, match=request_to("POST", RULES), times=50)
    outcome = run_playbook(str(tmp_path), faulty_clouds_file, declaration, {})
    faults.disarm()
    assert not outcome.ok and not outcome.crashed, outcome.msg
    assert "creating" in outcome.msg and "rule" in outcome.msg, outcome.msg
    assert "had completed" in outcome.msg and "run again" in outcome.msg, outcome.msg
    assert "nothing had been changed" not in outcome.msg
    assert outcome.result["changed"] is True  # the groups were created
    assert [op["action"] for op in outcome.result["completed"]].count("create_group") == 2
    assert len(list(admin.network.security_groups(name=names("web"), project_id=project_id))) == 1
    assert_rerun_converges(admin, project_id, declaration, {})


def test_persistent_503_on_the_nova_server_list(nova_fault_proxy, faulty_clouds_file, admin, names):
    """server_security_groups: Nova failing on every read ends in a clean failure, nothing changed."""
    nova_fault_proxy.reset()
    nova_fault_proxy.arm("503", at=1, match=lambda method, path: method == "GET" and "/servers" in path, times=50)
    try:
        _reconcile_attachments.reconcile_attachments(
            [{"server": names("nowhere"), "security_groups": ["default"]}], {}, {"cloud": "netsec-admin-faulty", "api_timeout": 60}, False
        )
        raise AssertionError("expected a CloudError")
    except adapter.CloudError as exc:
        message = str(exc)
        assert "listing servers" in message and "503" in message, message
        assert not getattr(exc, "done", None)
    finally:
        nova_fault_proxy.reset()
    assert nova_fault_proxy is not None


def wait_for_late_requests(proxy, seconds=30):
    """Until every 'late' request has been forwarded upstream."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not [entry for entry in proxy.requests() if entry.get("status") == "late"]:
            return
        time.sleep(0.2)
    raise AssertionError("a late request never landed: %s" % proxy.requests())


def test_group_create_that_lands_after_the_client_gave_up(faults, admin, names):
    """F2: the create POST is slow: the client times out, looks, finds nothing, creates again, tags its group
    and finishes; then the first create lands, as an untagged group of the same name (Neutron takes no tags
    in the POST).  Every later run failed with "name is ambiguous ... rename or delete the extra ones".
    Now the tagged copy is the group and the untagged one is left alone, with a warning naming it."""
    declaration = two_groups(names)
    project_id = admin.current_project_id
    faults.arm("late", at=1, match=request_to("POST", GROUPS), hold=FAULT_TIMEOUT + 3)
    outcome = run_inprocess(declaration, {}, api_timeout=FAULT_TIMEOUT)
    wait_for_late_requests(faults)
    faults.disarm()
    assert not outcome.crashed, outcome.msg
    assert outcome.ok or is_clear_failure(outcome.msg), outcome.msg
    copies = list(admin.network.security_groups(name=names("web"), project_id=project_id))
    assert len(copies) == 2, "the late create did not land: the test proves nothing"
    (late,) = [g for g in copies if OWNER not in (g.tags or [])]
    late_rules = sorted(r["id"] for r in late.security_group_rules)
    rerun = run_inprocess(declaration, {})
    assert rerun.ok, rerun.msg
    assert any(late.id in warning and "left alone" in warning for warning in rerun.result["warnings"]), rerun.result["warnings"]
    (ours,) = [g for g in rerun.result["security_groups"] if g["name"] == names("web")]
    assert ours["id"] != late.id
    # Ours is exactly as declared; the untagged copy is untouched.
    (tagged,) = [g for g in admin.network.security_groups(name=names("web"), project_id=project_id) if OWNER in (g.tags or [])]
    assert tagged.id == ours["id"] and len(tagged.security_group_rules) == 4
    assert sorted(r["id"] for r in admin.network.get_security_group(late.id).security_group_rules) == late_rules
    assert len(list(admin.network.security_groups(name=names("bastion"), project_id=project_id))) == 1
    again = run_inprocess(declaration, {})
    assert again.ok and again.result["changed"] is False, again.msg


def test_fault_on_the_port_update_of_an_attachment(faults, nova_fault_proxy, admin, names):
    """server_security_groups (Nova through its own fault proxy): the port PUT is carried out but its answer
    is lost; the PUT of the whole list is repeated, and the port wears exactly the declared group."""
    kind = "drop_after"
    group = admin.network.create_security_group(name=names("attach"))
    (server,) = boot_servers(admin, [names("srv")])
    try:
        nova_fault_proxy.reset()
        faults.arm(kind, at=1, match=request_to("PUT", "/v2.0/ports", exact=False))
        result = _reconcile_attachments.reconcile_attachments(
            [{"server": server.id, "security_groups": [group.id]}], {"lockout_guard": "ignore"}, {"cloud": "netsec-admin-faulty", "api_timeout": 60}, False
        )
        faults.disarm()
        assert faults.fired(), "the fault was not reached"
        assert result["changed"] is True and any("repeated" in w for w in result["warnings"]), result["warnings"]
        (port,) = list(admin.network.ports(device_id=server.id))
        assert port.security_group_ids == [group.id]
        again = _reconcile_attachments.reconcile_attachments(
            [{"server": server.id, "security_groups": [group.id]}], {"lockout_guard": "ignore"}, {"cloud": "netsec-admin-faulty", "api_timeout": 60}, False
        )
        assert again["changed"] is False
    finally:
        delete_servers(admin, [server])
