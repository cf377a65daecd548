"""Streaming a version's frames: same frames, same order as the whole-version resolution."""

from __future__ import annotations

import operator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hyperloader.errors import StoreError
from hyperloader.model import TimestampKeys
from hyperloader.store import Dataset, DatasetVersion, _resolve, _scan, _segments

from ._helpers import frame, frame_dict, group


def _materialised(version: DatasetVersion) -> list[dict]:
    """The frames as ``get_frames()`` built them before it streamed: from frame_tables()."""
    tables = version.frame_tables()
    frames, stamps = tables.frames, TimestampKeys.from_tables(tables)
    return [version._frame(d, s, v, stamps).to_dict() for d, s, v in zip(
        frames["doc"].to_pylist(), frames["saved"].to_pylist(),
        frames["saved_in_version"].to_pylist(), strict=True)]


def _streamed(version: DatasetVersion) -> list[dict]:
    return [f.to_dict() for f in version.get_frames()]


@pytest.fixture()
def forbid_materialising(monkeypatch):
    """Call it (after writing) to make the whole-version resolution fail, cache emptied."""
    def refuse(*args, **kwargs):
        raise AssertionError("the whole version was materialised")

    def forbid() -> None:
        _resolve.clear_cache()
        monkeypatch.setattr(DatasetVersion, "frame_tables", refuse)
        monkeypatch.setattr(_resolve, "resolve_chain", refuse)
        monkeypatch.setattr(_resolve, "merge", refuse)

    return forbid


@pytest.fixture()
def small_batches(monkeypatch):
    """Tiny read and output batches, so every scan crosses many batches and segments."""
    monkeypatch.setattr(_scan, "BATCH_ROWS", 4)
    monkeypatch.setattr(_scan, "_READ_ROWS", 3)


def _family() -> tuple[DatasetVersion, DatasetVersion, DatasetVersion]:
    """A published parent, a published child and a draft grandchild, copy-on-write.

    Ids arrive out of order, interleave across segments, repeat inside one batch (last
    wins), are deleted and re-added; a FrameGroup and dict frames are among them.
    """
    Dataset.create("cars")
    parent = DatasetVersion.get_current("cars")
    parent.add_frames([frame(i, n=i) for i in (7, 3, 11, 1, 9, 5)])
    parent.add_frames([frame(i, n=i) for i in (2, 10, 4, 8, 0, 6)] + [group("g1")])
    parent.add_frames([frame_dict(i) for i in (3, 1, 2)] + [frame(3, n=33), frame(12, n=12)])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    child.update_frames([frame(5, n=50), frame(0, n=0.5)])
    child.delete_frames(["f0003", "g1", "f0012", "nope"])
    child.add_frames([frame(13, n=13), frame(3, n=300), frame(13, n=1300)])
    DatasetVersion.create_snapshot("cars", publish_name="v2")
    grandchild = DatasetVersion.get_current("cars")
    grandchild.delete_frames(["f0007", "d0001"])
    grandchild.add_frames([group("g1"), frame(7, n=70), frame(14, n=14)])
    grandchild.update_frames([frame(1, n=10)])
    return (DatasetVersion.get_version("cars", "v1"), DatasetVersion.get_version("cars", "v2"),
            grandchild)


def test_streamed_frames_equal_the_materialised_ones(backend):
    versions = _family()
    want = [_materialised(v) for v in versions]
    _resolve.clear_cache()
    got = [_streamed(v) for v in versions]
    assert got == want
    ids = [[f["id"] for f in frames] for frames in got]
    assert all(i == sorted(i) for i in ids)
    assert ids[2] == ["d0002", "d0003", "f0000", "f0001", "f0002", "f0003", "f0004", "f0005",
                      "f0006", "f0007", "f0008", "f0009", "f0010", "f0011", "f0013", "f0014",
                      "g1"]
    grandchild = {f["id"]: f for f in got[2]}
    assert grandchild["f0003"]["meta"] == {"n": 300}
    assert grandchild["f0013"]["meta"] == {"n": 1300}
    assert grandchild["f0001"]["meta"] == {"n": 10}
    assert grandchild["f0000"]["saved_in_version"] == versions[1].id
    assert grandchild["f0002"]["saved_in_version"] == versions[0].id
    assert grandchild["g1"]["saved_in_version"] == versions[2].id


def test_streaming_never_materialises_the_version(forbid_materialising, small_batches):
    Dataset.create("cars")
    parent = DatasetVersion.get_current("cars")
    for start in range(0, 60, 20):
        parent.add_frames([frame(i, n=i) for i in range(start, start + 20)][::-1])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    child.add_frames([frame(i, n=-i) for i in range(5, 60, 7)])
    child.delete_frames([f"f{i:04d}" for i in range(0, 60, 9)])
    forbid_materialising()
    frames = list(child.get_frames())
    ids = [f.id for f in frames]
    gone = {f"f{i:04d}" for i in range(0, 60, 9)}
    assert ids == [f"f{i:04d}" for i in range(60) if f"f{i:04d}" not in gone]
    changed = {f"f{i:04d}" for i in range(5, 60, 7)}
    assert all(f.meta["n"] == (-int(f.id[1:]) if f.id in changed else int(f.id[1:]))
               for f in frames)


@pytest.mark.usefixtures("small_batches")
def test_small_batches_give_the_same_frames():
    versions = _family()
    want = [_materialised(v) for v in versions]
    _resolve.clear_cache()
    assert [_streamed(v) for v in versions] == want


def test_a_warm_cache_is_used_and_agrees(monkeypatch):
    *_, grandchild = _family()
    want = _materialised(grandchild)  # leaves the resolution cached
    monkeypatch.setattr(_scan, "plan_chain", lambda *a: pytest.fail("planned a cached version"))
    assert _streamed(grandchild) == want


def test_segments_are_written_sorted_in_bounded_row_groups(local_store, monkeypatch):
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 5)
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(i, n=i) for i in (4, 2, 9, 0, 7, 1, 8, 3, 6, 5, 2)])
    [(_, segment_id)] = v._repo.state(v.id).segments
    reader = _segments.SegmentReader(v._repo.store, v._repo.id, segment_id)
    with reader:
        ids = reader.read(["id"])["id"].to_pylist()
    assert ids == sorted(ids) and ids.count("f0002") == 2
    assert pq.ParquetFile(reader.path).metadata.num_row_groups == 3
    assert v.get_frame("f0002").meta["n"] == 2 and len(v) == 10


def test_unsorted_segments_from_older_writers_still_stream(monkeypatch, small_batches):
    identity = lambda ids: np.arange(len(ids), dtype=np.int64)  # noqa: E731
    monkeypatch.setattr(_segments, "sorted_order", identity)  # write as older versions did
    versions = _family()
    monkeypatch.undo()
    monkeypatch.setattr(_scan, "BATCH_ROWS", 4)
    monkeypatch.setattr(_scan, "_READ_ROWS", 3)
    repo = versions[2]._repo
    plan = _scan.plan_chain(repo.store, repo.id, repo.chain(versions[2].id))
    assert not plan.in_order.all()
    want = [_materialised(v) for v in versions]
    _resolve.clear_cache()
    assert [_streamed(v) for v in versions] == want


def test_iteration_is_lazy_and_hints_its_length():
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(i) for i in range(5)])
    frames = v.get_frames()
    v.add_frames([frame(9)])  # nothing was read yet: the new frame is seen
    assert operator.length_hint(frames) == 6
    assert next(frames).id == "f0000" and operator.length_hint(frames) == 5
    frames.close()
    assert list(frames) == [] and operator.length_hint(frames) == 0
    assert list(DatasetVersion.create_version("cars", "empty").get_frames()) == []


def test_scan_holds_a_fraction_of_the_version(monkeypatch):
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 128)  # a decoded page is the unit
    monkeypatch.setattr(_scan, "BATCH_ROWS", 64)
    monkeypatch.setattr(_scan, "_READ_ROWS", 64)
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    for start in range(4):  # every segment holds every 4th id: all four are open at once
        v.add_frames([frame_dict(i) for i in range(start, 10_000, 4)])
    repo = v._repo
    plan = _scan.plan_chain(repo.store, repo.id, repo.chain(v.id))
    base = pa.total_allocated_bytes()
    peak = total = rows = 0
    for table in _scan.scan(repo.store, repo.id, plan, ["doc"]):
        peak = max(peak, pa.total_allocated_bytes() - base)
        total += table["doc"].nbytes
        rows += table.num_rows
    assert rows == 10_000
    assert peak < total / 5, (peak, total)


def test_a_missing_segment_is_a_store_error(local_store, forbid_materialising):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(1)])
    [(_, segment_id)] = v._repo.state(v.id).segments
    forbid_materialising()
    with _segments.SegmentReader(v._repo.store, v._repo.id, segment_id) as reader:
        path = reader.path
    v._repo.store.fs.rm_file(path)
    with pytest.raises(StoreError, match=segment_id):
        list(v.get_frames())
