"""Fixtures for the io tests: objects on the S3 server, a faulty proxy, fast retries."""

from __future__ import annotations

import fsspec
import pytest

import hyperloader._config as config
from hyperloader.io import RetryPolicy
from tests.io.faulty_proxy import FaultyProxy

# botocore and s3fs retry on their own; switch that off so the proxy counts our attempts.
NO_LOWER_RETRIES = {"config_kwargs": {"retries": {"total_max_attempts": 1}}}


@pytest.fixture()
def fast_retry() -> RetryPolicy:
    """Four attempts with millisecond backoff, so fault tests stay fast."""
    return RetryPolicy(max_attempts=4, base=0.001, cap=0.005)


@pytest.fixture()
def s3_put(s3_server, s3_bucket):
    """Return ``put(key, data, public=False) -> "s3://bucket/key"`` writing to the server.

    ``public=True`` makes the object readable anonymously over plain ``http://``.
    """
    fs = fsspec.filesystem("s3", endpoint_url=s3_server, key="testing", secret="testing")

    def put(key: str, data: bytes, public: bool = False) -> str:
        fs.pipe_file(f"{s3_bucket}/{key}", data, **({"ACL": "public-read"} if public else {}))
        return f"s3://{s3_bucket}/{key}"

    return put


@pytest.fixture()
def s3_configured(s3_options):
    """Route every ``s3://`` URI to the test server (no lower-layer retries)."""
    config.set_storage_options("s3://", **s3_options, **NO_LOWER_RETRIES)
    return s3_options


@pytest.fixture(params=["direct", "fsspec"])
def s3_get_path(request, monkeypatch) -> str:
    """Run the test once per S3 GET path: signed URL + urllib3 (default), and s3fs."""
    monkeypatch.setenv("HYPERLOADER_S3_DIRECT", "1" if request.param == "direct" else "0")
    return request.param


@pytest.fixture()
def proxy(s3_server, s3_get_path):
    """A FaultyProxy in front of the S3 server; ``s3://127.0.0.1:PORT/...`` URIs go through it.

    Every test using it runs over both S3 GET paths (see ``s3_get_path``).
    """
    with FaultyProxy(s3_server) as p:
        config.set_storage_options(f"s3://127.0.0.1:{p.port}/", key="testing", secret="testing",
                                   **NO_LOWER_RETRIES)
        yield p


@pytest.fixture()
def mem_put():
    """Return ``put(path, data) -> "memory://..."`` and wipe what it wrote afterwards."""
    fs = fsspec.filesystem("memory")
    written: list[str] = []

    def put(path: str, data: bytes) -> str:
        fs.pipe_file(path, data)
        written.append(path)
        return f"memory://{path.lstrip('/')}"

    yield put
    for path in written:
        if fs.exists(path):
            fs.rm(path)
