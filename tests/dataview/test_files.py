"""DataView.get_uris / prefetch_files against a real store and the default cache."""

from __future__ import annotations

import fsspec

from hyperloader.dataview import DataView
from hyperloader.io import Cache
from hyperloader.model import SingleFrame
from hyperloader.store import Dataset, DatasetVersion


def _store_view(n: int = 5) -> DataView:
    fs = fsspec.filesystem("memory")
    Dataset.create("files")
    version = DatasetVersion.get_current("files")
    frames = []
    for i in range(n):
        fs.pipe(f"/pf/img{i}.jpg", b"x" * (10 + i))
        fs.pipe(f"/pf/mask{i}.png", b"m" * (3 + i))
        frames.append(SingleFrame(f"memory://pf/img{i}.jpg", mask_source=f"memory://pf/mask{i}.png",
                                  context_id=f"c{i}", id=f"f{i}"))
    assert version.add_frames(frames) == []
    view = DataView(iteration_order="sequential")
    view.add_query("files", version.name)
    return view


def test_get_uris_lists_sources_and_masks_in_read_order():
    view = _store_view(3)
    assert view.get_uris() == ["memory://pf/img0.jpg", "memory://pf/mask0.png",
                               "memory://pf/img1.jpg", "memory://pf/mask1.png",
                               "memory://pf/img2.jpg", "memory://pf/mask2.png"]
    assert view.get_uris(masks=False) == [f"memory://pf/img{i}.jpg" for i in range(3)]


def test_prefetch_files_warms_the_cache_then_everything_hits(tmp_path):
    view = _store_view(4)
    cache = Cache(tmp_path / "c", max_bytes=10_000)
    summary = view.prefetch_files(num_workers=2, cache=cache, progress=False)
    assert (summary.fetched, summary.hits, summary.failed) == (8, 0, 0)
    again = view.prefetch_files(num_workers=2, wait=False, cache=cache, progress=False).result()
    assert (again.fetched, again.hits) == (0, 8)
    for uri in view.get_uris():
        cache.get(uri)
    assert cache.stats()["misses"] == 8
