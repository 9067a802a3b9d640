"""Pure parts of the adapter and the run lock: when to retry, how a plan splits into phases."""

import threading

import pytest
from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from ansible_collections.netsec.openstack.plugins.module_utils import _operations as operations
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls as adapter
from ansible_collections.netsec.openstack.plugins.module_utils import _run_lock as run_lock


class Status(sdk_exceptions.HttpException):
    def __init__(self, status):
        super(Status, self).__init__(message="status %d" % status)
        self.status_code = status


def flaky(failures):
    calls = []

    def func():
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return "ok"

    return func, calls


@pytest.mark.parametrize("exc", [Status(500), Status(503), ksa_exceptions.ConnectFailure("dropped"), ksa_exceptions.ConnectTimeout("timed out")])
def test_transient_faults_are_retried(exc):
    func, calls = flaky([exc, exc])
    sleeps, notes = [], []
    assert adapter.with_retries(func, on_retry=lambda e, n: notes.append(n), sleep=sleeps.append) == "ok"
    assert len(calls) == 3 and notes == [1, 2] and len(sleeps) == 2


@pytest.mark.parametrize("exc", [Status(400), Status(404), Status(409), sdk_exceptions.ConflictException("exists"), ksa_exceptions.SSLError("bad certificate")])
def test_other_faults_are_not_retried(exc):
    func, calls = flaky([exc])
    with pytest.raises(type(exc)):
        adapter.with_retries(func, sleep=lambda s: None)
    assert len(calls) == 1


def test_retries_give_up_and_say_how_often():
    func, calls = flaky([Status(503)] * 10)
    with pytest.raises(Status) as raised:
        adapter.with_retries(func, sleep=lambda s: None)
    assert len(calls) == len(adapter.RETRY_DELAYS) + 1
    assert adapter.attempts_text(raised.value) == " (gave up after %d attempts)" % len(calls)


def test_phases_keep_order_and_group_bulk_creates():
    plan = [
        {"action": "create_group", "group": "a", "ref": "new:a"},
        {"action": "delete_rule", "group": "a", "group_ref": "x", "id": "r0"},  # a replacement: before creates
        {"action": "create_rule", "group": "a", "group_ref": "new:a"},
        {"action": "create_rule", "group": "a", "group_ref": "new:a"},
        {"action": "create_rule", "group": "b", "group_ref": "b"},
        {"action": "delete_rule", "group": "b", "group_ref": "b", "id": "r1"},
        {"action": "delete_rule", "group": "b", "group_ref": "b", "id": "r2"},
        {"action": "delete_group", "group": "c", "id": "c"},
    ]
    phases = operations.phases(plan)
    assert [action for action, units in phases] == ["create_group", "delete_rule", "create_rule", "delete_rule", "delete_group"]
    assert [[index for index, op in unit] for unit in phases[2][1]] == [[2, 3], [4]]
    assert [[index for index, op in unit] for unit in phases[3][1]] == [[5], [6]]


def test_run_lock_serializes(tmp_path):
    order = []
    first_in = threading.Event()

    def holder():
        with run_lock.run_lock("http://k", "p", timeout=10, directory=str(tmp_path)):
            first_in.set()
            order.append("first in")
            threading.Event().wait(0.5)
            order.append("first out")

    thread = threading.Thread(target=holder)
    thread.start()
    first_in.wait(5)
    with run_lock.run_lock("http://k", "p", timeout=10, directory=str(tmp_path)) as waited:
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"] and waited > 0.2


def test_run_lock_times_out_and_other_projects_do_not_wait(tmp_path):
    with run_lock.run_lock("http://k", "p", timeout=10, directory=str(tmp_path)):
        with run_lock.run_lock("http://k", "other", timeout=0, directory=str(tmp_path)) as waited:
            assert waited < 0.2
        with pytest.raises(run_lock.LockTimeout):
            with run_lock.run_lock("http://k", "p", timeout=0.3, directory=str(tmp_path)):
                pass
