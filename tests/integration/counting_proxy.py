"""Loopback HTTP proxies that count the requests a run sends, so counts come from outside the module under test.

``CountingProxy(upstream)`` forwards everything to one endpoint (tests point a
clouds.yaml endpoint override, ``network_endpoint_override``, at it; the
benchmark uses it too).  ``MuxProxy(upstreams)`` serves many clouds.yaml
entries at once: ``http://proxy/<case>/<service>/<path>`` goes to the
service's ``/<path>`` and is counted under the case, so requests are
attributed per case whatever runs concurrently (test_bad_input.py).
"""

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade"}


class _ForwardingProxy(object):
    """Forwards each request to where ``route`` says and hands it to ``record``; the subclasses say both."""

    # Request headers not passed on (a proxy that rewrites paths drops Host too).
    DROPPED_HEADERS = HOP_BY_HOP

    def __init__(self):
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                proxy._forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, path):
        """``(host, port, upstream path, key)`` of a request; ``key`` goes to ``record``."""
        raise NotImplementedError

    def record(self, key, method, started, ended):
        """Note one request (called under ``lock``): ``started`` before it went upstream, ``ended`` None then."""
        raise NotImplementedError

    def _forward(self, handler):
        host, port, path, key = self.route(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        started = time.perf_counter()
        with self.lock:
            self.record(key, handler.command, started, None)
        headers = dict((k, v) for k, v in handler.headers.items() if k.lower() not in self.DROPPED_HEADERS)
        upstream = http.client.HTTPConnection(host, port, timeout=120)
        try:
            upstream.request(handler.command, path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
        finally:
            upstream.close()
            with self.lock:
                self.record(key, handler.command, started, time.perf_counter())
        handler.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(payload)
        handler.close_connection = True

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class CountingProxy(_ForwardingProxy):
    """Counts the requests to one endpoint, and how long they spent upstream."""

    def __init__(self, upstream):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.requests = []  # (method, path)
        self.upstream_intervals = []  # (start, end) of each request upstream: the benchmark's "Neutron s"
        super(CountingProxy, self).__init__()

    def route(self, path):
        return self.upstream_host, self.upstream_port, path, path

    def record(self, key, method, started, ended):
        if ended is None:
            self.requests.append((method, key))
        else:
            self.upstream_intervals.append((started, ended))

    def reset(self):
        with self.lock:
            self.requests = []
            self.upstream_intervals = []

    def counts(self):
        with self.lock:
            requests = list(self.requests)
            intervals = sorted(self.upstream_intervals)
        by_method = {}
        for method, _path in requests:
            by_method[method] = by_method.get(method, 0) + 1
        writes = sum(v for k, v in by_method.items() if k not in ("GET", "HEAD"))
        busy, end = 0.0, None  # wall time with at least one request upstream (concurrent requests overlap)
        for start, stop in intervals:
            if end is None or start > end:
                busy += stop - start
                end = stop
            elif stop > end:
                busy += stop - end
                end = stop
        return {
            "total": len(requests),
            "writes": writes,
            "by_method": by_method,
            "requests": requests,
            "upstream_s": round(sum(stop - start for start, stop in intervals), 3),
            "upstream_busy_s": round(busy, 3),
        }


class MuxProxy(_ForwardingProxy):
    """Counts requests per case: ``http://proxy/<case>/<service>/<path>`` -> the service's ``/<path>``.

    ``upstreams`` maps a service name (identity, network, compute) to its ``(host, port)``.
    """

    DROPPED_HEADERS = HOP_BY_HOP | {"host"}

    def __init__(self, upstreams):
        self.upstreams = dict(upstreams)
        self.requests = {}  # case -> [(service, method, path)]
        super(MuxProxy, self).__init__()

    def route(self, path):
        parts = path.split("/", 3)  # "", case, service, rest
        case, service = parts[1], parts[2]
        rest = "/" + (parts[3] if len(parts) > 3 else "")
        host, port = self.upstreams[service]
        return host, port, rest, (case, service, rest)

    def record(self, key, method, started, ended):
        if ended is None:
            case, service, path = key
            self.requests.setdefault(case, []).append((service, method, path))

    def of(self, case):
        with self.lock:
            return list(self.requests.get(case, []))
