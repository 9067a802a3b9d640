"""A loopback HTTP proxy that counts the requests a run sends to one endpoint.

Tests point a clouds.yaml endpoint override (``network_endpoint_override``)
at it, so request counts come from outside the module under test.
"""

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade"}


class CountingProxy(object):
    def __init__(self, upstream):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.lock = threading.Lock()
        self.requests = []  # (method, path)
        self.upstream_intervals = []  # (start, end) of each request upstream: the benchmark's "Neutron s"
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    proxy.requests.append((self.command, self.path))
                headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP)
                started = time.perf_counter()
                upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=120)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                finally:
                    upstream.close()
                    with proxy.lock:
                        proxy.upstream_intervals.append((started, time.perf_counter()))
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

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
