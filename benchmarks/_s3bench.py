"""Helpers for the remote-data benchmark: images, a moto S3 server and a latency proxy.

The S3 server and the proxy each run in their own process (``python _s3bench.py moto`` /
``proxy``), so they never share a GIL with the loop being measured. Each prints its URL on
its first stdout line and serves until its stdin closes.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import REPO  # this directory's helper module

CREDENTIALS = {"key": "testing", "secret": "testing"}

log = logging.getLogger("bench_remote")


def configure_client() -> None:
    """Set up a benchmark's own process: INFO progress on stderr, quiet hyperloader, and
    the test credentials for botocore (which s3fs and the direct GET both read)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("hyperloader").setLevel(logging.WARNING)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, CREDENTIALS["key"] if name.endswith("KEY_ID")
                              else CREDENTIALS["secret"])
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


# -- data ----------------------------------------------------------------------------------------

def s3_client(endpoint: str) -> Any:
    """A boto3 S3 client for ``endpoint`` with the test credentials."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=CREDENTIALS["key"],
                        aws_secret_access_key=CREDENTIALS["secret"])


def upload(endpoint: str, bucket: str, files: Sequence[Path], prefix: str = "images/",
           threads: int = 8) -> list[str]:
    """Create ``bucket`` and put ``files`` under ``prefix``; return their keys."""
    client = s3_client(endpoint)
    client.create_bucket(Bucket=bucket)
    keys = [prefix + f.name for f in files]

    def put(key: str, path: Path) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, keys, files))
    return keys


# -- server processes ------------------------------------------------------------------------------

def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Service:
    """A server subprocess of this module (``moto`` or ``proxy``), stopped on exit."""

    def __init__(self, *args: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
        self._proc = subprocess.Popen([sys.executable, __file__, *args], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline().strip() if self._proc.stdout else ""
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"{args[0]} did not start (said {line!r})")
        self.url = line
        _wait_for_port(int(line.rsplit(":", 1)[1]))

    @property
    def pid(self) -> int:
        """The server process id (for CPU accounting)."""
        return self._proc.pid

    def stop(self) -> None:
        """Close the server's stdin (it exits), then make sure it is gone."""
        proc = self._proc
        if proc.poll() is None:
            if proc.stdin:
                proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _serve_moto() -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on stderr
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        _announce_and_wait(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def _serve_proxy(upstream: str, latency_ms: float) -> None:
    from tests.io.faulty_proxy import FaultyProxy  # PYTHONPATH=REPO, set by Service

    with FaultyProxy(upstream, latency_s=latency_ms / 1e3) as proxy:
        _announce_and_wait(proxy.url)


def _announce_and_wait(url: str) -> None:
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes our stdin (or dies)


def main() -> None:
    """Entry point of the server subprocesses."""
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("moto")
    proxy = sub.add_parser("proxy")
    proxy.add_argument("--upstream", required=True)
    proxy.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args()
    if args.what == "moto":
        _serve_moto()
    else:
        _serve_proxy(args.upstream, args.latency_ms)


if __name__ == "__main__":
    main()
