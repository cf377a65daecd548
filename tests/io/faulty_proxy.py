"""A tiny HTTP reverse proxy on 127.0.0.1 that injects faults and latency in front of a server.

Used by the io tests (and the benchmarks) to put a flaky, slow network in front of the
moto S3 server: point an ``s3://127.0.0.1:PORT/bucket/key`` URI (or ``endpoint_url``) at
``proxy.url`` instead of the server.

    with FaultyProxy(upstream, fail_first=2, mode="503", latency_s=0.01) as proxy:
        ...
        proxy.count("GET")
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["FaultyProxy"]

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
               "trailer", "upgrade", "content-length"}
_MODES = ("503", "403", "redirect", "reset", "truncate")
#: mode -> (status, reason, S3 error code, extra headers) of the injected answer
_ANSWERS = {
    "503": (503, "Service Unavailable", "ServiceUnavailable", []),
    "403": (403, "Forbidden", "AccessDenied", []),
    "redirect": (301, "Moved Permanently", "PermanentRedirect",
                 [("x-amz-bucket-region", "eu-west-1")]),
}


def _error_body(code: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>injected by FaultyProxy</Message></Error>").encode()


class FaultyProxy:
    """Forward every request to ``upstream``; fail the first ``fail_first`` of them.

    Args:
        upstream: ``http://host:port`` of the real server.
        fail_first: how many requests (counted from start or ``reset``) to fail.
        mode: ``"503"`` answers ``503 Service Unavailable`` with an S3 error body;
            ``"403"`` answers ``403 AccessDenied``; ``"redirect"`` answers S3's
            ``301 PermanentRedirect`` with ``x-amz-bucket-region: eu-west-1``;
            ``"reset"`` drops the connection without answering (TCP RST);
            ``"truncate"`` forwards the request but sends only the first half of the
            response body (with the full ``Content-Length``) and closes the connection.
        latency_s: a delay added before forwarding each request.

    Attributes:
        requests: ``(method, path)`` of every request received, failed ones included.
        failures: how many requests were failed on purpose.
    """

    def __init__(self, upstream: str, fail_first: int = 0, mode: str = "503",
                 latency_s: float = 0.0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset(fail_first=fail_first, mode=mode, latency_s=latency_s)

    def reset(self, fail_first: int = 0, mode: str = "503", latency_s: float = 0.0) -> None:
        """Set new faults and clear the request log."""
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        with self._lock:
            self.fail_first, self.mode, self.latency_s = fail_first, mode, latency_s
            self.requests: list[tuple[str, str]] = []
            self.failures = 0

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        if self._server is None:
            raise RuntimeError("FaultyProxy is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, to use as an endpoint."""
        return f"http://127.0.0.1:{self.port}"

    def count(self, method: str | None = None, path_contains: str = "") -> int:
        """Return how many requests matched ``method`` and contained ``path_contains``."""
        with self._lock:
            return sum(1 for m, p in self.requests
                       if (method is None or m == method) and path_contains in p)

    def _admit(self, method: str, path: str) -> tuple[bool, str, float]:
        with self._lock:
            self.requests.append((method, path))
            fail = len(self.requests) <= self.fail_first
            self.failures += fail
            return fail, self.mode, self.latency_s

    def start(self) -> FaultyProxy:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        handler = type("_BoundHandler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and wait for the serving thread."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: FaultyProxy

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep tests quiet
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        fail, mode, latency = self.proxy._admit(self.command, self.path)
        if fail and mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if fail and mode != "truncate":
            status, reason, code, extra = _ANSWERS[mode]
            body = _error_body(code)
            self._reply(status, reason, [("Content-Type", "application/xml"), *extra], body,
                        len(body))
            return
        if latency:
            time.sleep(latency)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.proxy.upstream_host, self.proxy.upstream_port,
                                          timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            upstream_len = resp.getheader("Content-Length")
            length_out = int(upstream_len) if self.command == "HEAD" and upstream_len else len(data)
            kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
            cut = fail and self.command != "HEAD"  # mode "truncate"
            self._reply(resp.status, resp.reason, kept, data[:len(data) // 2] if cut else data,
                        length_out if not cut else len(data))
            if cut:
                self.close_connection = True
        finally:
            conn.close()

    def _reply(self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes,
               length: int) -> None:
        self.send_response_only(status, reason)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle
