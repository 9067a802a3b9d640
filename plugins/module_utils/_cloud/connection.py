# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting to the cloud, the run options and the start of every run (private).

``open_run`` is the one way a module starts talking to the cloud: connect,
count requests, scope the project; it returns a ``CloudRun``.  ``RunOptions``
holds the options of a run with their defaults and minimums, written once
(the modules' argument specs and docs read them from here).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import re
import threading
import time
import traceback
from dataclasses import dataclass, fields
from typing import Any, Dict, List, Mapping, Optional

try:
    import openstack

    HAS_OPENSTACKSDK = True
    OPENSTACKSDK_IMPORT_ERROR = None
except ImportError:
    HAS_OPENSTACKSDK = False
    OPENSTACKSDK_IMPORT_ERROR = traceback.format_exc()

from urllib.parse import urlsplit

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls

# Neutron's API lives under /v2.0; an endpoint without it means version discovery failed.
VERSIONED_NETWORK_ENDPOINT = re.compile(r"/v2(\.0)?/?$")
# The common auth options whose names differ between the modules and openstacksdk.
SDK_OPTION_NAMES = {"validate_certs": "verify", "ca_cert": "cacert", "client_cert": "cert", "client_key": "key"}


@dataclass
class RunOptions:
    """How a run behaves; the defaults and minimums of the modules' run options."""

    project: Optional[str] = None
    lock: bool = True
    lock_timeout: int = 600
    concurrency: int = 4

    MINIMUMS = {"lock_timeout": 1, "concurrency": 1, "api_timeout": 1}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "RunOptions":
        values = dict((f.name, options[f.name]) for f in fields(cls) if options.get(f.name) is not None)
        return cls(**values)


def below_minimum(params: Mapping[str, Any]) -> List[str]:
    """Errors for numeric options below their minimum, naming the option."""
    found = []
    for name, minimum in sorted(RunOptions.MINIMUMS.items()):
        value = params.get(name)
        if value is not None and not isinstance(value, bool) and value < minimum:
            found.append("%s: %s is below its minimum %d" % (name, value, minimum))
    return found


class RequestCounter(object):
    """Counts HTTP requests the session sends, by method."""

    def __init__(self):
        self.by_method = {}
        self.total = 0
        self.lock = threading.Lock()

    def wrap(self, session):
        original = session.request

        def request(url, method, *args, **kwargs):
            with self.lock:
                self.total += 1
                self.by_method[method.upper()] = self.by_method.get(method.upper(), 0) + 1
            return original(url, method, *args, **kwargs)

        session.request = request

    def as_dict(self):
        writes = sum(v for k, v in self.by_method.items() if k not in ("GET", "HEAD"))
        return {"total": self.total, "writes": writes, "by_method": dict(sorted(self.by_method.items()))}


def sdk_options(auth_options: Mapping[str, Any]) -> Dict[str, Any]:
    """The modules' auth options as openstacksdk's ``connect`` takes them (``cloud`` kept apart)."""
    options = dict((k, v) for k, v in auth_options.items() if v is not None)
    cloud = options.pop("cloud", None)
    if isinstance(cloud, dict):
        options.update(cloud)
        cloud = None
    for ours, theirs in SDK_OPTION_NAMES.items():
        if ours in options:
            options[theirs] = options.pop(ours)
    options.setdefault("app_name", "netsec.openstack")
    options["cloud"] = cloud
    return options


def endpoint_of(url: Optional[str]) -> Optional[str]:
    """host:port of a URL (not a secret, unlike the rest of the auth options)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return "%s:%d" % (parts.hostname, port) if parts.hostname else None


def _auth_url_of(options: Mapping[str, Any], connection: Any = None) -> Optional[str]:
    url = (options.get("auth") or {}).get("auth_url") if isinstance(options.get("auth"), dict) else None
    if url is None and connection is not None:
        url = auth_url(connection)
    return url


def auth_url(connection: Any) -> Optional[str]:
    try:
        return (connection.config.get_auth_args() or {}).get("auth_url")
    except Exception:  # pragma: no cover - configs without auth args
        return None


def connection_error(exc: Exception, url: Optional[str]) -> errors.CloudError:
    """A connect failure naming the identity endpoint (host:port) but no credential.

    Ansible hides every value of a no_log option (the ``auth`` dict, auth_url
    included) wherever it appears, so the full URL is replaced by the word
    auth_url and the endpoint is named as host:port.
    """
    text = calls.error_text(exc) if isinstance(exc, calls.CLOUD_EXCEPTIONS) else str(exc)
    if url:
        text = text.replace(url.rstrip("/"), "auth_url")
    where = endpoint_of(url)
    place = " (identity endpoint %s, from auth_url)" % where if where else ""
    return errors.CloudError("connecting to the cloud failed%s: %s: %s" % (place, type(exc).__name__, text))


def connect(auth_options: Mapping[str, Any]) -> Any:
    """An openstacksdk connection from the common auth options."""
    if not HAS_OPENSTACKSDK:
        raise errors.CloudError("the python library openstacksdk is required")
    options = sdk_options(auth_options)
    connection = None
    try:
        connection = openstack.connect(**options)
        connection.authorize()
    except Exception as exc:  # keystoneauth raises its own exception types
        raise connection_error(exc, _auth_url_of(options, connection))
    discover_network(connection)
    return connection


def discover_network(connection: Any, delays: Any = calls.RETRY_DELAYS, sleep: Any = time.sleep) -> str:
    """Build the network proxy now, and again until its version discovery worked.

    openstacksdk finds Neutron's versioned endpoint with a GET on the
    endpoint's root.  When that one request fails (a 5xx, a dropped
    connection, a timeout), it quietly falls back to the unversioned
    endpoint: every later request of the run then goes to ``/security-groups``
    instead of ``/v2.0/security-groups`` and gets a 404, which reads as
    "not found" (or, for a delete, as "already gone").  So the proxy is built
    before any other call, and rebuilt after a backoff while its endpoint has
    no version.
    """
    endpoint, error = None, None
    for attempt in range(len(delays) + 1):
        if attempt:
            sleep(delays[attempt - 1] * (0.75 + random.random() / 2))
            del connection.network  # drops the cached proxy; the next access discovers again
        try:
            endpoint = connection.network.get_endpoint() or ""
        except calls.CLOUD_EXCEPTIONS as exc:
            endpoint, error = None, exc
            continue
        if VERSIONED_NETWORK_ENDPOINT.search(endpoint):
            return endpoint
    reason = calls.error_text(error) if error is not None else "its root answered no version (endpoint %s)" % endpoint
    raise errors.CloudError("discovering the network API (Neutron) version failed %d times: %s" % (len(delays) + 1, reason))


class CloudRun(object):
    """What a run holds: the connection, its request counter, the reads and writes, the project."""

    def __init__(self, connection, counter, reads, writes, project_id, options):
        self.connection = connection
        self.counter = counter
        self.reads = reads
        self.writes = writes
        self.project_id = project_id
        self.options = options

    @property
    def retried(self) -> List[str]:
        return self.reads.calls.retried

    def api_requests(self) -> Dict[str, Any]:
        return dict(self.counter.as_dict(), retried=len(self.retried))

    def retry_warnings(self) -> List[str]:
        if not self.retried:
            return []
        return ["%d request(s) were repeated after transient faults: %s" % (len(self.retried), "; ".join(self.retried))]


def open_run(auth: Mapping[str, Any], options: Mapping[str, Any], connect: Any = connect, scoped: bool = True) -> CloudRun:
    """connect -> request counter -> reads/writes -> project scope, once for every module."""
    from ansible_collections.netsec.openstack.plugins.module_utils._cloud import reads as reads_module
    from ansible_collections.netsec.openstack.plugins.module_utils._cloud import writes as writes_module

    run_options = RunOptions.from_options(options)
    counter = RequestCounter()
    connection = connect(auth)
    counter.wrap(connection.session)
    shared = calls.Calls()
    reads = reads_module.Reads(connection, shared)
    writes = writes_module.Writes(connection, shared)
    project_id = reads.scope_project(run_options.project) if scoped else None
    return CloudRun(connection, counter, reads, writes, project_id, run_options)
