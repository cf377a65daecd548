from __future__ import annotations

import io

import fsspec
import numpy as np
import pytest
from PIL import Image

import hyperloader._config as config
from hyperloader.dataview import DataView
from hyperloader.io import Cache, default_cache
from hyperloader.model import SingleFrame
from hyperloader.store import Dataset, DatasetVersion
from hyperloader.torch import FrameIterableDataset, LoaderOptions

N = 8


@pytest.fixture()
def s3_view(s3_server, s3_bucket, s3_options):
    config.set_storage_options("s3://", **s3_options)
    fs = fsspec.filesystem("s3", endpoint_url=s3_server, key="testing", secret="testing")
    frames = []
    for i in range(N):
        buf = io.BytesIO()
        Image.fromarray(np.full((8, 12, 3), i * 20, np.uint8)).save(buf, "JPEG")
        fs.pipe_file(f"{s3_bucket}/img{i}.jpg", buf.getvalue())
        frames.append(SingleFrame(f"s3://{s3_bucket}/img{i}.jpg", id=f"r{i}"))
    Dataset.create("remote")
    DatasetVersion.get_version(dataset_name="remote").add_frames(frames)
    view = DataView(iteration_order="random", random_seed=3)
    view.add_query(dataset_name="remote")
    return view


def test_remote_frames_read_ahead_through_the_cache_in_shard_order(s3_view, monkeypatch):
    orders = []
    original = Cache.set_future_order
    monkeypatch.setattr(Cache, "set_future_order",
                        lambda self, uris: (orders.append(list(uris)), original(self, orders[-1])))
    ds = FrameIterableDataset(s3_view, loader_options=LoaderOptions(prefetch_items=3,
                                                                    prefetch_threads=2))
    got = [t["frame_id"] for _, t in ds]
    plan_uris = [f.source for f in s3_view.get_entries(s3_view.plan(0))]
    assert got == [f.id for f in s3_view.get_entries(s3_view.plan(0))]
    assert orders == [plan_uris]  # the cache knows the shard's future order (Belady)
    stats = default_cache().stats()
    assert (stats["misses"], stats["hits"]) == (N, 0)
    assert ds.stats.frames == N and ds.stats.bytes_read > 0 and ds.stats.stall_seconds >= 0
    assert [t["frame_id"] for _, t in ds] == got
    assert default_cache().stats()["hits"] == N  # the second pass reads local copies


def test_remote_frames_without_the_cache(s3_view):
    ds = FrameIterableDataset(s3_view, loader_options=LoaderOptions(use_cache=False,
                                                                    prefetch_items=0))
    assert sorted(t["frame_id"] for _, t in ds) == [f"r{i}" for i in range(N)]
    assert default_cache().stats()["misses"] == 0


def test_fully_cached_epoch_is_read_in_place(s3_view, monkeypatch):
    import hyperloader.io as hio

    started: list[int] = []
    real = hio.Prefetcher

    def counting(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hio, "Prefetcher", counting)
    ds = FrameIterableDataset(s3_view, loader_options=LoaderOptions(prefetch_items=3,
                                                                    prefetch_threads=2))
    first = [t["frame_id"] for _, t in ds]
    assert started == [1]  # cold: read ahead on threads
    assert [t["frame_id"] for _, t in ds] == first
    assert started == [1]  # every URI cached: no thread hand-off
    default_cache().invalidate(s3_view.get_entries(s3_view.plan(0)[:1])[0].source)
    assert [t["frame_id"] for _, t in ds] == first
    assert started == [1, 1]  # one missing again: read ahead again
