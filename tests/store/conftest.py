"""The store contract runs against memory://, a local directory and the S3 API server."""

from __future__ import annotations

import uuid

import fsspec
import pytest

import hyperloader
from hyperloader.store import DatasetVersion, _resolve
from hyperloader.store._repo import DatasetRepo

from ._helpers import forget_caches

BACKENDS = ["memory", "local", "s3"]


class Backend:
    """The store root a test runs against, plus a place for upload destinations."""

    def __init__(self, kind: str, root: str, scratch: str) -> None:
        self.kind = kind
        self.root = root
        self.scratch = scratch  # a URL on the same backend, outside the store


@pytest.fixture(scope="session")
def store_bucket(s3_server):
    """One bucket for the whole store suite; each test takes its own prefix in it.

    A fresh bucket (and a fresh s3fs client) per test costs seconds; a prefix costs nothing.
    """
    import s3fs

    name = f"store-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem(endpoint_url=s3_server, key="testing", secret="testing").mkdir(name)
    return name


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    kind = request.param
    if kind == "memory":
        name = f"hl-{uuid.uuid4().hex[:10]}"
        root, scratch = f"memory://{name}/store", f"memory://{name}/scratch"
        hyperloader.set_root(root)
    elif kind == "local":
        root, scratch = str(tmp_path / "store"), str(tmp_path / "scratch")
        hyperloader.set_root(root)
    else:
        bucket = request.getfixturevalue("store_bucket")
        options = request.getfixturevalue("s3_options")
        prefix = f"s3://{bucket}/{uuid.uuid4().hex[:10]}"
        root, scratch = f"{prefix}/store", f"{prefix}/scratch"
        hyperloader.set_root(root, **options)
    yield Backend(kind, root, scratch)
    if kind == "memory":
        fsspec.filesystem("memory").rm(f"/{name}", recursive=True)


@pytest.fixture()
def local_store(tmp_path):
    root = str(tmp_path / "store")
    hyperloader.set_root(root)
    return root


@pytest.fixture()
def refuse_resolving(monkeypatch):
    """Call it to make building a whole version (or reading a whole segment) fail."""
    def refuse(*args, **kwargs):
        raise AssertionError("the whole version was resolved")

    def forbid() -> None:
        forget_caches()
        monkeypatch.setattr(DatasetRepo, "tables", refuse)
        monkeypatch.setattr(DatasetVersion, "frame_tables", refuse)
        monkeypatch.setattr(_resolve, "merge", refuse)
        monkeypatch.setattr(_resolve, "read_segment", refuse)

    return forbid
