"""A moto server on 127.0.0.1 for the tests that need a real HTTP endpoint (test-only: not part of the package)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, urlsplit

from readiness.targets.base import is_read_only
from readiness.targets.services import free_port


class ForwardingHandler(BaseHTTPRequestHandler):
    """What the test proxies share: quiet, an answer to ``Expect: 100-continue``, and forwarding one request
    to ``upstream`` as it came (the answer's body re-framed with its length)."""

    def log_message(self, *_: object) -> None:
        pass

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.headers.get("Expect", "").lower() == "100-continue":
            # botocore sends S3 uploads with Expect: 100-continue and waits a second for this answer
            # (http.server gives it only under HTTP/1.1): each template upload would cost that second
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def forward(self, upstream: SplitResult, body: bytes) -> None:
        conn = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            conn.close()


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto's threaded server on a free loopback port with an empty account; yield its URL; stop it.

    moto keeps its accounts in module globals, so a second server in the same process would see the
    first one's resources: the account is reset on start.
    """
    import logging
    import urllib.request

    from moto.server import ThreadedMotoServer

    # werkzeug logs every request and the traceback of every call moto does not implement: that is
    # expected here (it becomes UNVERIFIABLE), not something to print.
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.CRITICAL)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30).close()
        yield url
    finally:
        server.stop()
        werkzeug.setLevel(level)


WRITE_METHODS = {"PUT", "DELETE", "PATCH"}


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """Best-effort AWS operation name of one HTTP request (JSON, query, RPC-v2 and REST protocols)."""
    target = headers.get("x-amz-target", "")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[-1].split("?")[0]
    for part in body.decode("utf-8", "replace").split("&"):
        if part.startswith("Action="):
            return part[len("Action="):]
    return f"{method} {path.split('?')[0]}"


def is_write_request(method: str, operation: str) -> bool:
    """True when a request may change the account: REST writes, and any named non-read operation."""
    if method in WRITE_METHODS:
        return True
    if method in ("GET", "HEAD"):  # HEAD: S3's HeadBucket/HeadObject
        return False
    return not is_read_only(operation)


@contextmanager
def recording_proxy(upstream: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A loopback HTTP proxy to upstream that records (method, operation) of every request it forwards."""
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()
    up = urlsplit(upstream)

    class Handler(ForwardingHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                seen.append((self.command, operation_of(self.command, self.path, headers, body)))
            self.forward(up, body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
