"""Pure quota arithmetic (_quota), the operation table's quota steps, and the cloud layer's one call wrapper
(_cloud.calls: what is retried, how long it waits, how SDK errors are translated) and connect errors."""

import types

import pytest
from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils import _operations as operations
from ansible_collections.netsec.openstack.plugins.module_utils import _quota as quota
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import connection

RULES = "security_group_rule"


def details(limit, used, reserved=0, groups=(10, 1)):
    return {RULES: {"limit": limit, "used": used, "reserved": reserved}, "security_group": {"limit": groups[0], "used": groups[1], "reserved": 0}}


def test_peak_follows_the_order_of_the_steps():
    steps = [{RULES: -1}, {RULES: -1}, {RULES: 1}, {RULES: 1}, {RULES: 1}]
    assert quota.peaks(details(100, 50), steps)[RULES] == (50, 51)
    assert quota.peaks(details(100, 50), list(reversed(steps)))[RULES] == (50, 53)


def test_refusal_names_quota_need_and_room():
    message = quota.check(details(100, 95, reserved=2), [{RULES: 1}] * 6)
    assert message == (
        "quota security_group_rule: the plan needs 6 more at its peak but only 3 are free (limit 100, used 95, reserved 2); raise the quota or split the change"
    )
    assert quota.check(details(100, 95, reserved=2), [{RULES: 1}] * 3) is None


def test_unlimited_and_unknown_resources_never_refuse():
    assert quota.check(details(-1, 10**6), [{RULES: 1}] * 1000) is None
    assert quota.check({}, [{RULES: 1}] * 1000) is None


def test_only_a_plan_that_raises_usage_needs_the_quota():
    assert not quota.needs_quota([{RULES: -1}, {"security_group": -1, RULES: -3}])
    assert quota.needs_quota([{RULES: -1}, {RULES: 1}])


def test_operation_kinds_say_their_quota_steps():
    plan = [
        {"action": "delete_rule"},
        {"action": "create_group", "initial_rules": [{}, {}]},
        {"action": "replace_rule"},
        {"action": "create_rule"},
        {"action": "update_group"},
        {"action": "delete_group", "rules": 4},
    ]
    assert operations.quota_steps(plan) == [
        {RULES: -1},
        {"security_group": 1, RULES: 2},
        {RULES: -1},
        {RULES: 1},
        {RULES: 1},
        {"security_group": -1, RULES: -4},
    ]


def http(status, message, headers=None, neutron_type=""):
    exc = sdk_exceptions.HttpException(message=message)
    exc.status_code = status
    body = {"NeutronError": {"type": neutron_type, "message": message}}
    exc.response = types.SimpleNamespace(status_code=status, headers=headers or {}, json=lambda: body)
    return exc


@pytest.mark.parametrize(
    "exc,kind",
    [
        (http(409, "Security group rule already exists. Rule id is 0b5a4f5e-7a2e-4d4c-9f8f-2a1b3c4d5e6f."), errors.DuplicateRule),
        (http(409, "Quota exceeded for resources: ['security_group_rule'].", neutron_type="OverQuota"), errors.OverQuota),
        (http(409, "Security Group 1 in use.", neutron_type="SecurityGroupInUse"), errors.InUse),
        (http(409, "something else"), errors.Conflict),
        (http(404, "gone"), errors.NotFound),
        (http(403, "no"), errors.Forbidden),
        (http(500, "boom"), errors.CloudError),
    ],
)
def test_translation_names_the_kind_and_says_once_what_failed(exc, kind):
    error = calls.translate(exc, "creating rule x in group web")
    assert error.__class__ is kind
    assert str(error).startswith("creating rule x in group web failed: ") and str(error).count("failed") == 1
    if kind is errors.DuplicateRule:
        assert error.existing_id == "0b5a4f5e-7a2e-4d4c-9f8f-2a1b3c4d5e6f"


@pytest.mark.parametrize(
    "headers,expected", [({}, None), ({"Retry-After": "3"}, 3.0), ({"Retry-After": "900"}, 20.0), ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None)]
)
def test_retry_after_is_honoured_up_to_a_cap(headers, expected):
    assert calls.retry_after(http(429, "slow down", headers)) == expected


def test_throttled_calls_wait_at_least_what_the_cloud_asked():
    sleeps, attempts = [], []

    def func():
        attempts.append(1)
        if len(attempts) < 3:
            raise http(429, "slow down", {"Retry-After": "5"})
        return "ok"

    call = calls.Calls(sleep=sleeps.append)
    assert call.call("listing", func) == "ok"
    assert len(sleeps) == 2 and all(s >= 5 for s in sleeps) and len(call.retried) == 2


def test_a_translated_transient_error_is_retried_by_an_outer_retry():
    sleeps, attempts = [], []
    call = calls.Calls(sleep=sleeps.append)

    def create():
        attempts.append(1)
        if len(attempts) == 1:
            raise call_error(503)
        return "made"

    def call_error(status):
        return calls.translate(http(status, "busy"), "creating group g")

    assert call.retrying("creating group g", create) == "made" and len(attempts) == 2


def test_connect_errors_name_the_endpoint_but_not_the_url_or_a_secret():
    url = "http://keystone.example:5999/v3"
    exc = ksa_exceptions.ConnectFailure("Unable to establish connection to %s/auth/tokens: refused" % url)
    error = connection.connection_error(exc, url)
    text = str(error)
    assert "identity endpoint keystone.example:5999" in text and "ConnectFailure" in text
    assert url not in text  # Ansible would mask the whole no_log auth_url value as ********


def test_numeric_options_below_their_minimum_are_named():
    assert connection.below_minimum({"concurrency": 0, "lock_timeout": 0, "api_timeout": None, "lock": False}) == [
        "concurrency: 0 is below its minimum 1",
        "lock_timeout: 0 is below its minimum 1",
    ]
    assert connection.below_minimum({"concurrency": 1, "lock_timeout": 1, "api_timeout": 1}) == []
