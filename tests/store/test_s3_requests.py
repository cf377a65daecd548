"""Reading a store on S3 sends no request it does not need (no HEAD before each GET)."""

from __future__ import annotations

import uuid

import pytest

import hyperloader
from hyperloader.dataview import DataView
from hyperloader.model import SingleFrame
from hyperloader.store import Dataset, DatasetVersion
from tests.io.faulty_proxy import FaultyProxy


@pytest.fixture()
def proxied_root(s3_server, store_bucket):
    """A store root on S3 reached through a request-counting proxy: ``(proxy, root)``."""
    with FaultyProxy(s3_server) as proxy:
        root = f"s3://127.0.0.1:{proxy.port}/{store_bucket}/{uuid.uuid4().hex[:10]}"
        hyperloader.set_root(root, key="testing", secret="testing")
        yield proxy, root


def test_querying_a_version_on_s3_sends_no_head_requests(proxied_root):
    proxy, root = proxied_root
    Dataset.create("heads")
    draft = DatasetVersion.get_version(dataset_name="heads")
    draft.add_frames([SingleFrame(f"s3://b/{i}.jpg", id=f"f{i}", metadata={"i": i})
                      for i in range(5)])
    DatasetVersion.create_snapshot("heads", publish_name="v1")
    hyperloader.set_root(root, key="testing", secret="testing")  # drop what was cached
    proxy.reset()
    view = DataView(iteration_order="sequential")
    view.add_query(dataset_name="heads", version_name="v1", frame_query="meta.i:>=2")
    assert [f.id for f in view.get_entries(view.plan(0))] == ["f2", "f3", "f4"]
    segments = [p for m, p in proxy.requests if m == "GET" and p.endswith(".parquet")]
    assert segments and proxy.count("HEAD") == 0


def test_streaming_a_version_on_s3_asks_each_segment_size_once(proxied_root):
    proxy, root = proxied_root
    Dataset.create("sizes")
    draft = DatasetVersion.get_version(dataset_name="sizes")
    for batch in range(3):  # three segments
        draft.add_frames([SingleFrame(f"s3://b/{batch}-{i}.jpg", id=f"f{batch}{i}")
                          for i in range(4)])
    DatasetVersion.create_snapshot("sizes", publish_name="v1")
    hyperloader.set_root(root, key="testing", secret="testing")
    proxy.reset()
    version = DatasetVersion.get_version(dataset_name="sizes", version_name="v1")
    assert len(list(version.get_frames())) == 12
    heads = [p for m, p in proxy.requests if m == "HEAD"]
    assert len(heads) == len(set(heads)) == 3  # one per segment, though read twice
    proxy.reset()
    assert len(list(version.get_frames())) == 12
    assert proxy.count("HEAD") == 0
