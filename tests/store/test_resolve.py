"""Resolving segment chains: last write wins, tombstones drop, and the process cache."""

from __future__ import annotations

import pyarrow as pa
import pytest

from hyperloader.model import frames_to_tables
from hyperloader.store import Dataset, DatasetVersion, _resolve
from hyperloader.store._resolve import merge
from hyperloader.store._segments import stamp, tombstones

from ._helpers import frame, group


def _seg(frames, version="v"):
    return stamp(frames_to_tables(frames), saved=1, version_id=version)


def test_merge_keeps_last_write_and_drops_tombstones():
    first = _seg([frame(3, n=1), frame(1, n=1), group("g")])
    second = _seg([frame(1, n=2), frame(2, n=2), frame(1, n=3)])  # f0001 twice: last wins
    gone = tombstones(["g", "nope"], saved=2, version_id="v")
    out = merge(None, [first, second, gone])
    assert out.frames["id"].to_pylist() == ["f0001", "f0002", "f0003"]
    assert out.frames["meta.n"].to_pylist() == [3, 2, 1]
    assert out.rois["frame_index"].to_pylist() == [0, 1, 2]
    assert out.sources["frame_index"].to_pylist() == [0, 1, 2]
    assert "_tombstone" not in out.frames.schema.names


def test_merge_is_associative():
    a = _seg([frame(i, n=i) for i in range(5)] + [group("g1")])
    b = _seg([frame(2, n=20), group("g0")])
    c = tombstones(["f0003"], saved=2, version_id="v")
    d = _seg([frame(3, n=30.5), frame(9, n=9)])
    once = merge(None, [a, b, c, d])
    stepwise = merge(merge(merge(None, [a]), [b, c]), [d])
    for name in ("frames", "rois", "sources"):
        assert getattr(once, name).equals(getattr(stepwise, name)), name
    assert once.frames["meta.n"].type == pa.float64()
    assert once.frames["id"].to_pylist() == sorted(once.frames["id"].to_pylist())


def test_merge_of_nothing_is_the_base():
    base = merge(None, [_seg([frame(1)])])
    assert merge(base, []) is base
    assert merge(None, []).num_frames == 0


def test_repeated_reads_hit_the_cache(monkeypatch):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(1)])
    v.add_frames([frame(2)])
    reads = []
    real = _resolve.read_segment
    monkeypatch.setattr(_resolve, "read_segment",
                        lambda *a: reads.append(a[2]) or real(*a))
    _resolve.clear_cache()
    first = v.frame_tables()
    assert len(reads) == 2
    assert v.frame_tables() is first and len(reads) == 2
    v.add_frames([frame(3)])  # a new commit: only its segment is read
    ids = v.frame_tables().frames["id"].to_pylist()
    assert ids == ["f0001", "f0002", "f0003"] and len(reads) == 3


def test_child_resolution_builds_on_the_cached_parent(monkeypatch):
    Dataset.create("cars")
    DatasetVersion.get_current("cars").add_frames([frame(i) for i in range(4)])
    parent = DatasetVersion.create_snapshot("cars", publish_name="v1")
    parent_tables = parent.frame_tables()
    child = DatasetVersion.get_current("cars")
    assert child.frame_tables() is parent_tables  # no own commits: the parent's view
    reads = []
    real = _resolve.read_segment
    monkeypatch.setattr(_resolve, "read_segment",
                        lambda *a: reads.append(a[2]) or real(*a))
    child.delete_frames(["f0000"])
    assert child.frame_tables().num_frames == 3 and len(reads) == 1
    assert parent.frame_tables() is parent_tables and parent_tables.num_frames == 4


@pytest.mark.parametrize("n", [0, 1, 7])
def test_frame_tables_match_a_fresh_flattening(n):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    frames = [frame(i, n=i) for i in range(n)]
    v.add_frames(frames)
    got = v.frame_tables()
    want = frames_to_tables(frames)
    assert got.frames["id"].equals(want.frames["id"])
    assert got.frames["doc"].equals(want.frames["doc"])
    assert got.rois.select(want.rois.column_names).equals(want.rois)
    assert got.sources.equals(want.sources)
