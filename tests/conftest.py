"""Shared fixtures: a real S3 API server (moto) on 127.0.0.1, and a clean store root."""

from __future__ import annotations

import logging
import os
import socket
import uuid

import pytest

import hyperloader._config as config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """Start moto's S3 server on 127.0.0.1 for the whole session; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def s3_options(s3_server):
    """Storage options for s3fs pointing at the test server."""
    return {"endpoint_url": s3_server, "key": "testing", "secret": "testing"}


@pytest.fixture()
def s3_bucket(s3_server, s3_options):
    """A fresh, empty bucket on the test server; yields its name."""
    import s3fs

    name = f"test-{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_server}, key="testing",
                           secret="testing", skip_instance_cache=True)
    fs.mkdir(name)
    s3fs.S3FileSystem.clear_instance_cache()
    return name


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """Give every test its own store root and cache dir, and restore the config after."""
    saved_root, saved_opts = config._CONFIG.root, dict(config._CONFIG.options)
    monkeypatch.setenv("HYPERLOADER_ROOT", str(tmp_path / "store"))
    monkeypatch.setenv("HYPERLOADER_CACHE_DIR", str(tmp_path / "cache"))
    config._CONFIG.root = None
    config._CONFIG.options = {}
    yield
    config._CONFIG.root, config._CONFIG.options = saved_root, saved_opts


@pytest.fixture(autouse=True)
def _isolated_logging():
    """Undo what an in-process CLI run (``logging.basicConfig(force=True)``) does to logging."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


def pytest_sessionfinish(session, exitstatus):
    """Kill child processes a failed test left behind: exit would otherwise wait on them."""
    import multiprocessing

    for child in multiprocessing.active_children():
        child.kill()
