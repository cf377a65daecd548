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
    orders, options = [], []
    original = Cache.set_future_order
    monkeypatch.setattr(Cache, "set_future_order",
                        lambda self, uris, positions=None, **kw: (
                            orders.append(list(uris)), options.append(kw),
                            original(self, orders[-1], positions, **kw))[2])
    ds = FrameIterableDataset(s3_view, loader_options=LoaderOptions(prefetch_items=3,
                                                                    prefetch_threads=2))
    got = [t["frame_id"] for _, t in ds]
    plan_uris = [f.source for f in s3_view.get_entries(s3_view.plan(0))]
    assert got == [f.id for f in s3_view.get_entries(s3_view.plan(0))]
    assert orders == [plan_uris]  # the cache knows the shard's future order (Belady)
    # ... and that epochs repeat it: a read of epoch e at place p is at e * 2**32 + p
    assert options == [{"order_start": 0, "period": 2**32}]
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


@pytest.fixture()
def prefetchers_started(monkeypatch) -> list[int]:
    """Count the read-ahead Prefetchers the loaders start (one entry each)."""
    import hyperloader.io as hio

    started: list[int] = []
    real = hio.Prefetcher

    def counting(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hio, "Prefetcher", counting)
    return started


def test_fully_cached_epoch_is_read_in_place(s3_view, prefetchers_started):
    started = prefetchers_started
    ds = FrameIterableDataset(s3_view, loader_options=LoaderOptions(prefetch_items=3,
                                                                    prefetch_threads=2))
    first = [t["frame_id"] for _, t in ds]
    assert started == [1]  # cold: read ahead on threads
    assert [t["frame_id"] for _, t in ds] == first
    assert started == [1]  # every URI cached: no thread hand-off
    default_cache().invalidate(s3_view.get_entries(s3_view.plan(0)[:1])[0].source)
    assert [t["frame_id"] for _, t in ds] == first
    assert started == [1, 1]  # one missing again: read ahead again


class _CacheCounters:
    """collate_frames plus this worker's cache counters (workers restart every epoch)."""

    def __call__(self, batch):
        from torch.utils.data import get_worker_info

        from hyperloader.torch import collate_frames

        collate_frames(batch)
        return get_worker_info().id, default_cache().stats()


@pytest.mark.parametrize("eviction, most_misses", [("belady", 21), ("lru", 40)])
def test_two_workers_share_one_belady_order(s3_server, s3_bucket, s3_options, monkeypatch,
                                             eviction, most_misses):
    """A cache half the size of a sequential dataset keeps half of it across epochs.

    Belady's optimum is 20 misses in the second epoch; two workers racing may cost one
    more (a worker that starts the epoch ahead of the other costs nothing: each entry
    read last epoch is expected back at its place in this one). LRU misses everything on
    a sequential scan larger than the cache.
    """
    torch = pytest.importorskip("torch")
    config.set_storage_options("s3://", **s3_options)
    fs = fsspec.filesystem("s3", endpoint_url=s3_server, key="testing", secret="testing")
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(buf, "PNG")
    size = len(buf.getvalue())
    n = 40
    fs.pipe({f"{s3_bucket}/seq/{i:03d}.png": buf.getvalue() for i in range(n)})
    Dataset.create("seq")
    DatasetVersion.get_version(dataset_name="seq").add_frames(
        [SingleFrame(f"s3://{s3_bucket}/seq/{i:03d}.png", id=f"s{i:03d}") for i in range(n)])
    view = DataView(iteration_order="sequential")
    view.add_query(dataset_name="seq")
    monkeypatch.setenv("HYPERLOADER_CACHE_MAX_BYTES", str(n // 2 * size))
    monkeypatch.setenv("HYPERLOADER_CACHE_EVICTION", eviction)
    ds = FrameIterableDataset(view, loader_options=LoaderOptions(prefetch_items=2,
                                                                    prefetch_threads=1))
    misses = []
    for epoch in range(2):
        ds.set_epoch(epoch)
        loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2,
                                             collate_fn=_CacheCounters())
        last = dict(loader)  # worker id -> its counters after its last batch
        misses.append(sum(s["misses"] for s in last.values()))
        assert max(s["bytes_cached"] for s in last.values()) <= n // 2 * size
    assert misses[0] == n and misses[1] <= most_misses
    if eviction == "lru":
        assert misses[1] == n


def test_the_parent_imports_the_remote_filesystem_before_workers_fork(tmp_path):
    """Forked workers inherit s3fs instead of importing it on every epoch's first fetch."""
    import subprocess
    import sys

    code = f"""
import sys
import hyperloader
from hyperloader.dataview import DataView
from hyperloader.torch import FrameIterableDataset
hyperloader.set_root({str(tmp_path / "store")!r})
hyperloader.set_storage_options("s3://", endpoint_url="http://127.0.0.1:9")
assert "s3fs" not in sys.modules
hyperloader.Dataset.create("d")
view = DataView()
view.add_query(dataset_name="d")
FrameIterableDataset(view)
print("s3fs" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_a_revalidating_cache_keeps_reading_ahead_when_warm(s3_view, monkeypatch,
                                                            prefetchers_started):
    monkeypatch.setenv("HYPERLOADER_CACHE_REVALIDATE_S", "0")  # every hit asks the server
    started = prefetchers_started
    ds = FrameIterableDataset(s3_view, loader_options=LoaderOptions(prefetch_items=3,
                                                                    prefetch_threads=2))
    first = [t["frame_id"] for _, t in ds]
    assert [t["frame_id"] for _, t in ds] == first
    assert started == [1, 1]  # the checks are requests: they stay on the read-ahead threads
    stats = default_cache().stats()
    assert (stats["misses"], stats["hits"], stats["revalidated"], stats["stale"]) == (N, N, N, 0)
