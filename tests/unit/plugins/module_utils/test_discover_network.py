"""adapter.discover_network: the network proxy is rebuilt until version discovery found /v2.0 (finding F1)."""

import pytest
from keystoneauth1 import exceptions as ksa_exceptions

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as adapter


class FakeProxy(object):
    def __init__(self, endpoint):
        self.endpoint = endpoint

    def get_endpoint(self):
        if isinstance(self.endpoint, Exception):
            raise self.endpoint
        return self.endpoint


class FakeConnection(object):
    """``network`` is built on first access from the next endpoint in line; ``del`` drops it."""

    def __init__(self, endpoints):
        self.endpoints = list(endpoints)
        self.built = 0
        self._proxy = None

    @property
    def network(self):
        if self._proxy is None:
            self._proxy = FakeProxy(self.endpoints[min(self.built, len(self.endpoints) - 1)])
            self.built += 1
        return self._proxy

    @network.deleter
    def network(self):
        self._proxy = None


def test_a_versioned_endpoint_is_kept():
    connection = FakeConnection(["http://neutron:9696/v2.0/"])
    sleeps = []
    assert adapter.discover_network(connection, sleep=sleeps.append) == "http://neutron:9696/v2.0/"
    assert connection.built == 1 and sleeps == []


@pytest.mark.parametrize("first", ["http://neutron:9696/", "http://neutron:9696", ksa_exceptions.ConnectFailure("dropped")])
def test_a_failed_discovery_is_repeated(first):
    connection = FakeConnection([first, "http://neutron:9696/v2.0"])
    sleeps = []
    assert adapter.discover_network(connection, sleep=sleeps.append) == "http://neutron:9696/v2.0"
    assert connection.built == 2 and len(sleeps) == 1


def test_discovery_that_never_works_fails_clearly():
    connection = FakeConnection(["http://neutron:9696/"])
    with pytest.raises(adapter.CloudError) as failure:
        adapter.discover_network(connection, delays=(0.1, 0.1), sleep=lambda seconds: None)
    assert connection.built == 3
    assert "discovering the network API (Neutron) version failed 3 times" in str(failure.value)
    assert "http://neutron:9696/" in str(failure.value)
