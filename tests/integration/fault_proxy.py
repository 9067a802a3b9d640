"""A fault-injecting reverse proxy on loopback, for the fault tests and the campaign.

An aiohttp server on 127.0.0.1 (random port) forwards every request to one
upstream (Neutron, or Nova) and can fail chosen requests.  It runs in a
background thread with its own event loop; the pytest process controls it:

    proxy = FaultProxy("http://127.0.0.1:9696").start()
    proxy.arm("503", at=1, match="GET")            # the first GET after arming gets a 503
    proxy.arm("drop_after", at=2, match=is_write)  # the 2nd write is applied upstream, then the connection drops
    proxy.latency = 0.05                           # every request waits 50 ms first
    proxy.log                                      # what went through, and what was done to it
    proxy.reset()                                  # no faults, no latency, empty log

Fault kinds (``KINDS``):

- ``500``, ``503``: answer with that status and a Neutron-style error body, without
  forwarding (nothing happens upstream).  ``500_after``, ``503_after``: forward first
  (the change happens), then answer with the error anyway.
- ``drop`` (= ``drop_before``): close the connection without a response, without forwarding.
  ``drop_after``: forward (the change happens), then close without a response.
- ``timeout``: forward (the change happens), then hold the response for ``hold`` seconds
  (longer than the client's timeout) and close without answering.
- ``late``: hold the request ``hold`` seconds (past the client's timeout) and only then
  forward it: the client gave up, and the change lands afterwards (a slow, queued server).
  The log entry's ``status`` becomes ``late-done`` when it has landed.
- ``409``: a spurious 409 Conflict, without forwarding; ``404``: a spurious 404 Not Found.
- ``latency``: forward after waiting ``delay`` seconds (the request succeeds).
- ``429``: Too Many Requests without forwarding (a throttling public cloud), no Retry-After;
  ``429_retry_after``: the same with ``Retry-After: <delay>`` (seconds, rounded up).
- ``409_overquota``: Neutron's quota refusal (409, type OverQuota, "Quota exceeded for
  resources: [...]"), without forwarding.

An older Neutron is imitated with ``proxy.extensions`` (an ``ExtensionHider``, see there):

    proxy.extensions.hide_release("stein")         # what Stein lacks disappears from the API
    proxy.extensions.hide("address-group")         # or chosen extensions
    proxy.extensions.clear()

``match`` chooses which requests count towards ``at``: None (all), a method
("GET", "POST"...), a tuple of methods, or a callable ``(method, path) -> bool``.
Counting starts when the fault is armed; a fault fires on the ``at``-th matching
request and the ``times - 1`` matching requests after it (default: once).
"""

import asyncio
import json
import threading
import time
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiohttp import web

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
}
KINDS = (
    "500",
    "503",
    "500_after",
    "503_after",
    "drop",
    "drop_before",
    "drop_after",
    "timeout",
    "late",
    "409",
    "404",
    "latency",
    "429",
    "429_retry_after",
    "409_overquota",
)
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def is_write(method, path):
    return method in WRITE_METHODS


def _matcher(match):
    if match is None:
        return lambda method, path: True
    if callable(match):
        return match
    if isinstance(match, str):
        match = (match,)
    wanted = tuple(m.upper() for m in match)
    return lambda method, path: method in wanted


class Fault(object):
    def __init__(self, kind, at, match, hold, delay, times=1):
        if kind not in KINDS:
            raise ValueError("unknown fault kind %r (one of %s)" % (kind, ", ".join(KINDS)))
        self.kind = "drop_before" if kind == "drop" else kind
        self.at = at
        self.match = _matcher(match)
        self.hold = hold
        self.delay = delay
        self.times = times
        self.seen = 0
        self.fired = None  # the log entry of the first request it hit
        self.hits = []  # the log entries of every request it hit

    def __repr__(self):
        return "Fault(%s at %d, fired=%s)" % (self.kind, self.at, bool(self.fired))


def _error_body(status):
    kinds = {500: "HTTPInternalServerError", 503: "HTTPServiceUnavailable", 409: "Conflict", 404: "NotFound", 429: "HTTPTooManyRequests"}
    messages = {
        500: "Request Failed: internal server error while processing your request.",
        503: "The server is currently unavailable. Please try again at a later time.",
        409: "Injected conflict: the resource is busy, try again.",
        404: "Injected: the resource could not be found.",
        429: "Too many requests: slow down.",
    }
    return {"NeutronError": {"type": kinds[status], "message": messages[status], "detail": ""}}


def _over_quota_body(path):
    resource = "security_group_rule" if "security-group-rules" in path else "rbac_policy" if "rbac-policies" in path else "security_group"
    return {"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['%s']." % resource, "detail": ""}}


# --- imitating an older Neutron (issue 15) ---------------------------------------------

# What each optional extension adds to the security-group API: paths it owns, fields it adds.
EXTENSION_SURFACE = {
    "address-group": {"paths": ("/v2.0/address-groups",)},
    "rbac-address-group": {},
    "rbac-security-groups": {},
    "security-groups-remote-address-group": {"fields": ("remote_address_group_id",)},
    "stateful-security-group": {"fields": ("stateful",)},
    "standard-attr-tag": {"paths": ("/tags",), "fields": ("tags",)},
    "security-groups-default-rules": {"paths": ("/v2.0/default-security-group-rules",)},
    "security-groups-normalized-cidr": {"fields": ("normalized_cidr",)},
    "security-groups-rules-belongs-to-default-sg": {"fields": ("belongs_to_default_sg",)},
    "security-groups-shared-filtering": {"fields": ("shared",)},
    "tag-creation": {},
    "security-groups-default-statefulness": {},
}
# Security-group extensions each release lacks, compared with the newest (Neutron's release notes;
# docs/neutron-releases.md). Stein..Zed do not install on Python 3.11: this is how they are tested.
_NEWER_THAN_2023_1 = ("security-groups-default-rules", "security-groups-rules-belongs-to-default-sg", "tag-creation", "security-groups-default-statefulness")
_NEWER_THAN_WALLABY = _NEWER_THAN_2023_1 + ("security-groups-shared-filtering",)
_NEWER_THAN_VICTORIA = _NEWER_THAN_WALLABY + ("security-groups-remote-address-group", "rbac-address-group", "security-groups-normalized-cidr")
_NEWER_THAN_USSURI = _NEWER_THAN_VICTORIA + ("address-group",)
_NEWER_THAN_TRAIN = _NEWER_THAN_USSURI + ("stateful-security-group",)
RELEASES_LACK = {
    "stein": _NEWER_THAN_TRAIN,
    "train": _NEWER_THAN_TRAIN,
    "ussuri": _NEWER_THAN_USSURI,
    "victoria": _NEWER_THAN_VICTORIA,
    "wallaby": _NEWER_THAN_WALLABY,
    "xena": _NEWER_THAN_WALLABY,
    "yoga": _NEWER_THAN_2023_1,
    "zed": _NEWER_THAN_2023_1,
    "2023.1": _NEWER_THAN_2023_1,
}
# Bodies whose fields an extension adds (other resources are left alone).
SG_KEYS = ("security_group", "security_groups", "security_group_rule", "security_group_rules")


def _strip(value, fields):
    if isinstance(value, dict):
        return dict((k, _strip(v, fields)) for k, v in value.items() if k not in fields)
    if isinstance(value, list):
        return [_strip(v, fields) for v in value]
    return value


def _neutron_error(status, kind, message):
    return status, {"NeutronError": {"type": kind, "message": message, "detail": ""}}


class ExtensionHider(object):
    """Makes the Neutron behind the proxy look like one without some extensions.

    Hidden extensions leave ``GET /v2.0/extensions`` (and ``/extensions/<alias>`` is a 404);
    their paths answer 404; their fields are stripped from security-group bodies, and a request
    that sends one (in the body or as a filter) gets the 400 an older Neutron gives.
    """

    def __init__(self):
        self.hidden = frozenset()

    def hide(self, *aliases):
        unknown = [a for a in aliases if a not in EXTENSION_SURFACE]
        if unknown:
            raise ValueError("no surface known for %s (one of %s)" % (unknown, ", ".join(sorted(EXTENSION_SURFACE))))
        self.hidden = self.hidden | frozenset(aliases)

    def hide_release(self, release):
        self.hidden = frozenset(RELEASES_LACK[release])

    def clear(self):
        self.hidden = frozenset()

    def _paths(self):
        return [p for a in self.hidden for p in EXTENSION_SURFACE[a].get("paths", ())]

    def _fields(self):
        return set(f for a in self.hidden for f in EXTENSION_SURFACE[a].get("fields", ()))

    def refuse(self, method, path_qs, body):
        """``(status, body)`` for a request an older Neutron would refuse, else None."""
        if not self.hidden:
            return None
        parts = urlsplit(path_qs)
        path = parts.path.rstrip("/")
        if path.startswith("/v2.0/extensions/") and path.rsplit("/", 1)[1] in self.hidden:
            return _neutron_error(404, "ExtensionNotFound", "Extension %s could not be found." % path.rsplit("/", 1)[1])
        for owned in self._paths():
            if path.startswith(owned) or (owned == "/tags" and ("/tags/" in path + "/")):
                return _neutron_error(404, "HTTPNotFound", "The resource could not be found.")
        fields = self._fields()
        filters = set(k for k, _v in parse_qsl(parts.query) if k in fields) if "security-group" in path else set()
        if filters:
            return _neutron_error(400, "HTTPBadRequest", "[%s] is invalid attribute for filtering" % ", ".join(sorted(filters)))
        if body and method in ("POST", "PUT"):
            try:
                sent = json.loads(body)
            except ValueError:
                return None
            resources = [sent.get(k) for k in SG_KEYS if isinstance(sent, dict)]
            items = [r for res in resources for r in (res if isinstance(res, list) else [res]) if isinstance(r, dict)]
            bad = sorted(set(k for item in items for k in item if k in fields))
            if bad:
                return _neutron_error(400, "HTTPBadRequest", "Unrecognized attribute(s) '%s'" % ", ".join(bad))
        return None

    def rewrite(self, path_qs, status, payload):
        """The upstream's answer as an older Neutron would give it."""
        if not self.hidden or status >= 300 or not payload:
            return payload
        path = urlsplit(path_qs).path.rstrip("/")
        try:
            data = json.loads(payload)
        except ValueError:
            return payload
        if path == "/v2.0/extensions" and isinstance(data, dict):
            data["extensions"] = [e for e in data.get("extensions") or [] if e.get("alias") not in self.hidden]
        elif isinstance(data, dict) and any(k in data for k in SG_KEYS):
            data = _strip(data, self._fields())
        else:
            return payload
        return json.dumps(data).encode()


class FaultProxy(object):
    def __init__(self, upstream, hold=None):
        self.upstream = upstream.rstrip("/")
        self.extensions = ExtensionHider()
        self.default_hold = hold if hold is not None else 6.0
        self.lock = threading.Lock()
        self.latency = 0.0
        self.faults = []
        self.log = []
        self.loop = None
        self.port = None
        self.url = None
        self._ready = threading.Event()
        self._stopping = None
        self._thread = None
        self._startup_error = None

    # --- control, from the test process -------------------------------------

    def arm(self, kind, at=1, match=None, hold=None, delay=1.0, times=1):
        """Fail the ``at``-th matching request (1-based, counted from now) with ``kind``, and ``times - 1`` more."""
        fault = Fault(str(kind), at, match, self.default_hold if hold is None else hold, delay, times)
        with self.lock:
            self.faults.append(fault)
        return fault

    def disarm(self):
        with self.lock:
            self.faults = []

    def reset(self):
        with self.lock:
            self.faults = []
            self.log = []
            self.latency = 0.0

    def requests(self):
        with self.lock:
            return list(self.log)

    def fired(self):
        """Log entries of the requests a fault hit."""
        with self.lock:
            return [entry for entry in self.log if entry.get("fault")]

    # --- lifecycle -------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the fault proxy did not start")
        if self._startup_error:
            raise self._startup_error
        return self

    def stop(self):
        if self.loop is not None and self._stopping is not None:
            self.loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(15)

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self.loop.close()

    async def _serve(self):
        self._stopping = asyncio.Event()
        # Long client timeouts upstream: only the proxy decides when a request fails.
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300), auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        try:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]
            self.url = "http://127.0.0.1:%d" % self.port
        except Exception as exc:  # pragma: no cover - reported to start()
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await runner.cleanup()
            await self.session.close()

    # --- the proxy ------------------------------------------------------------

    def _pick_fault(self, method, path):
        with self.lock:
            chosen = None
            for fault in self.faults:
                if len(fault.hits) >= fault.times or not fault.match(method, path):
                    continue
                fault.seen += 1
                if fault.seen >= fault.at and chosen is None:
                    chosen = fault
            entry = {"n": len(self.log) + 1, "method": method, "path": path, "fault": chosen.kind if chosen else None, "status": None, "time": time.time()}
            if chosen is not None:
                chosen.fired = chosen.fired or entry
                chosen.hits.append(entry)
            self.log.append(entry)
            return chosen, entry, self.latency

    async def _forward(self, request, body):
        headers = dict((k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP)
        async with self.session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body if body else None, allow_redirects=False
        ) as upstream:
            payload = await upstream.read()
            response_headers = dict((k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP)
            return upstream.status, response_headers, payload

    @staticmethod
    def _drop(request):
        transport = request.transport
        if transport is not None:
            transport.abort()
        # Nothing can be written any more; aiohttp sees the closed transport.
        raise asyncio.CancelledError()

    async def _handle(self, request):
        body = await request.read()
        fault, entry, latency = self._pick_fault(request.method, request.path_qs)
        refused = self.extensions.refuse(request.method, request.path_qs, body)
        if refused:
            entry["status"] = refused[0]
            return web.json_response(refused[1], status=refused[0])
        if latency:
            await asyncio.sleep(latency)
        kind = fault.kind if fault else None
        if kind in ("500", "503", "409", "404", "429"):
            entry["status"] = int(kind)
            return web.json_response(_error_body(int(kind)), status=int(kind))
        if kind == "429_retry_after":
            entry["status"] = 429
            return web.json_response(_error_body(429), status=429, headers={"Retry-After": str(max(1, int(-(-fault.delay // 1))))})
        if kind == "409_overquota":
            entry["status"] = 409
            return web.json_response(_over_quota_body(request.path), status=409)
        if kind == "drop_before":
            entry["status"] = "dropped"
            self._drop(request)
        if kind == "latency":
            await asyncio.sleep(fault.delay)
        if kind == "late":
            entry["status"] = "late"
            await asyncio.sleep(fault.hold)
            status, headers, payload = await self._forward(request, body)
            entry["upstream_status"] = status
            entry["status"] = "late-done"
            self._drop(request)
        status, headers, payload = await self._forward(request, body)
        entry["upstream_status"] = status
        if kind in ("500_after", "503_after"):
            code = int(kind.split("_")[0])
            entry["status"] = code
            return web.json_response(_error_body(code), status=code)
        if kind == "drop_after":
            entry["status"] = "dropped"
            self._drop(request)
        if kind == "timeout":
            entry["status"] = "held"
            try:
                await asyncio.sleep(fault.hold)
            finally:
                if request.transport is not None:
                    request.transport.abort()
            raise asyncio.CancelledError()
        entry["status"] = status
        entry["t_end"] = time.time()
        payload = self.extensions.rewrite(request.path_qs, status, payload)
        return web.Response(status=status, headers=headers, body=payload)
