"""len, ids and diff from plans and streams: the answers of the resolved version, cheaper."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest

from hyperloader.errors import FrameNotFoundError
from hyperloader.store import (
    Dataset,
    DatasetVersion,
    VersionDiff,
    _scan,
    _segments,
)
from hyperloader.store._diff import diff_tables

from ._helpers import forget_caches, frame, frame_dict, group


def _chains() -> dict[str, DatasetVersion]:
    """Versions of one dataset covering copy-on-write, deletes, re-adds and empty versions.

    ``v1`` (published, three segments) <- ``v2`` (published: edits, deletes, a re-add of
    the same doc) <- ``v3`` (draft: a frame deleted in v2 re-added, more edits); ``same``
    is a child of v2 without commits; ``empty`` has no frames, ``cleared`` deleted all of
    v1's; ``many`` is a root of many small segments overlapping v1's ids.
    """
    Dataset.create("cars")
    v1 = DatasetVersion.get_current("cars")
    v1.add_frames([frame(i, n=i) for i in (7, 3, 11, 1, 9, 5)] + [frame_dict(i) for i in (4, 2)])
    v1.add_frames([frame(i, n=i) for i in (2, 10, 4, 8, 0, 6)] + [group("g1"), frame_dict(0)])
    v1.add_frames([frame_dict(i) for i in (3, 1)] + [frame(3, n=33), frame(12, n=12)])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    v2 = DatasetVersion.get_current("cars")
    v2.update_frames([frame(5, n=50), frame(0, n=0.5)])
    v2.delete_frames(["f0003", "g1", "f0012", "d0004", "nope"])
    v2.add_frames([frame(13, n=13), frame_dict(4), frame_dict(2), frame(13, n=1300)])
    DatasetVersion.create_snapshot("cars", publish_name="v2")
    v3 = DatasetVersion.get_current("cars")
    v3.delete_frames(["f0007", "d0001"])
    v3.add_frames([group("g1"), frame(3, n=3), frame(14, n=14), frame_dict(1)])
    v3.update_frames([frame(1, n=10)])
    same = DatasetVersion.create_version("cars", "same", ["v2"])
    empty = DatasetVersion.create_version("cars", "empty", [])
    cleared = DatasetVersion.create_version("cars", "cleared", ["v1"])
    cleared.delete_frames(DatasetVersion.get_version("cars", "v1").get_frame_ids())
    many = DatasetVersion.create_version("cars", "many", [])
    for i in range(0, 24, 2):  # d ids as in v1 (same docs, written apart) and f ids
        many.add_frames([frame_dict(i), frame(i, n=i), frame_dict(i + 1)])
        if i % 6 == 4:
            many.delete_frames([f"d{i - 3:04d}", f"f{i - 2:04d}"])
    return {"v1": DatasetVersion.get_version("cars", "v1"),
            "v2": DatasetVersion.get_version("cars", "v2"),
            "v3": v3, "same": same, "empty": empty, "cleared": cleared, "many": many}


def _resolved(versions: dict[str, DatasetVersion]) -> dict:
    """len, ids and every diff the old way: from frame_tables()."""
    tables = {k: v.frame_tables() for k, v in versions.items()}
    out: dict = {(k, "len"): t.num_frames for k, t in tables.items()}
    out |= {(k, "ids"): t.frames["id"].to_pylist() for k, t in tables.items()}
    out |= {(a, b): diff_tables(tables[a], tables[b])
            for a, b in itertools.product(tables, repeat=2)}
    return out


def _streamed(versions: dict[str, DatasetVersion]) -> dict:
    out: dict = {(k, "len"): len(v) for k, v in versions.items()}
    out |= {(k, "ids"): v.get_frame_ids() for k, v in versions.items()}
    out |= {(a, b): versions[a].diff(versions[b])
            for a, b in itertools.product(versions, repeat=2)}
    return out


@pytest.fixture()
def columns_read(monkeypatch):
    """Record the columns of every segment read: ``[(segment path, columns), ...]``."""
    reads: list[tuple[str, tuple[str, ...]]] = []
    read, batches = _segments.SegmentReader.read, _segments.SegmentReader.iter_batches

    def spy_read(self, columns):
        reads.append((self.path, tuple(columns)))
        return read(self, columns)

    def spy_batches(self, columns, batch_rows, **kwargs):
        reads.append((self.path, tuple(columns)))
        return batches(self, columns, batch_rows, **kwargs)

    monkeypatch.setattr(_segments.SegmentReader, "read", spy_read)
    monkeypatch.setattr(_segments.SegmentReader, "iter_batches", spy_batches)
    return reads


def test_len_ids_and_diffs_equal_the_resolved_ones(backend, refuse_resolving):
    versions = _chains()
    want = _resolved(versions)
    refuse_resolving()
    assert _streamed(versions) == want
    # d0004 deleted and d0002 re-added by v2 as v1 had them: written apart, not modified
    assert want[("v2", "v1")] == VersionDiff(added=["f0013"], modified=["f0000", "f0005"],
                                             removed=["f0003", "f0012", "g1"])
    assert want[("v3", "v2")] == VersionDiff(added=["f0003", "f0014", "g1"],
                                             modified=["f0001"], removed=["f0007"])
    assert want[("empty", "v1")].removed == want[("v1", "ids")]
    assert not want[("same", "v2")] and not want[("cleared", "empty")]
    assert want[("v1", "many")].modified  # written apart, some docs differ, some do not


@pytest.mark.parametrize("unsorted", [False, True], ids=["sorted", "unsorted-segments"])
def test_small_batches_and_unsorted_segments_agree(monkeypatch, unsorted, refuse_resolving):
    sorted_order = _segments.sorted_order
    if unsorted:  # write segments as writers did before they sorted them
        monkeypatch.setattr(_segments, "sorted_order",
                            lambda ids: np.arange(len(ids), dtype=np.int64))
    versions = _chains()
    monkeypatch.setattr(_segments, "sorted_order", sorted_order)
    want = _resolved(versions)
    monkeypatch.setattr(_scan, "BATCH_ROWS", 4)
    monkeypatch.setattr(_scan, "_READ_ROWS", 3)
    refuse_resolving()
    repo = versions["v3"]._repo
    plan = _scan.plan_chain(repo.store, repo.id, repo.chain(versions["v3"].id))
    assert bool(plan.in_order.all()) != unsorted
    assert _streamed(versions) == want


def test_len_and_ids_read_only_ids_and_tombstones(columns_read):
    versions = _chains()
    for v in versions.values():
        forget_caches()
        columns_read.clear()
        n, ids = len(v), v.get_frame_ids()
        assert n == len(ids)
        assert {c for _, c in columns_read} <= {("id", "_tombstone")}
        assert len(columns_read) == sum(len(link.segments) for link in v._repo.chain(v.id))


def test_diff_reads_only_frames_written_apart(columns_read):
    Dataset.create("cars")
    parent = DatasetVersion.get_current("cars")
    for start in range(0, 40, 10):  # four parent segments
        parent.add_frames([frame_dict(i) for i in range(start, start + 10)])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    child.add_frames([frame_dict(12), frame_dict(15) | {"meta": {"n": -1}}, frame_dict(99)])
    child.delete_frames(["d0031"])
    parent = DatasetVersion.get_version("cars", "v1")
    forget_caches()
    len(child), len(parent)  # plan both; now only frame rows are read
    columns_read.clear()
    assert child.diff(parent) == VersionDiff(["d0099"], ["d0015"], ["d0031"])
    # d0012 and d0015 only: from the child's upserts and the parent's second segment
    upserts, _ = (s for _, s in child._repo.state(child.id).segments)
    second = parent._repo.state(parent.id).segments[1][1]
    read = {p.rsplit("/", 1)[1] for p, _ in columns_read}
    assert read == {f"{upserts}.parquet", f"{second}.parquet"}
    assert {c for _, c in columns_read} == {("saved_in_version", "saved", "doc")}
    columns_read.clear()
    assert not child.diff(child) and columns_read == []  # the same rows: nothing to read


def test_plans_are_cached_per_segments(monkeypatch):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(i) for i in range(3)])
    planned = []
    plan_chain = _scan.plan_chain
    monkeypatch.setattr(_scan, "plan_chain", lambda *a: planned.append(1) or plan_chain(*a))
    forget_caches()
    assert len(v) == 3 and v.get_frame_ids() == ["f0000", "f0001", "f0002"]
    assert len(planned) == 1
    v.set_metadata({"k": 1})  # a commit without a segment: the plan holds
    assert len(v) == 3 and len(planned) == 1
    writer = DatasetVersion.get_version("cars", version_id=v.id)  # another handle writes
    writer.add_frames([frame(7)])
    writer.delete_frames(["f0000"])  # plans the version with f0007's segment, to find f0000
    assert len(planned) == 2
    assert v.get_frame_ids() == ["f0001", "f0002", "f0007"] and len(planned) == 3
    published = DatasetVersion.create_snapshot("cars", publish_name="v1")
    assert len(published) == 3 and len(planned) == 3


def test_a_warm_resolution_answers_without_planning(monkeypatch):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(i) for i in range(3)])
    tables = v.frame_tables()
    monkeypatch.setattr(_scan, "plan_chain", lambda *a: pytest.fail("planned"))
    assert len(v) == 3 and v.get_frame_ids() == tables.frames["id"].to_pylist()
    assert not v.diff(v)


def test_a_small_version_is_scanned_once(monkeypatch, columns_read):
    monkeypatch.setattr(_scan, "BATCH_ROWS", 4)
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(i, n=i) for i in range(4)])
    forget_caches()
    first = [f.to_dict() for f in v.get_frames()]
    columns_read.clear()
    assert [f.to_dict() for f in v.get_frames()] == first and columns_read == []
    v.add_frames([frame(1, n=10)])  # a new segment: read again, and seen
    assert [f.meta["n"] for f in v.get_frames()] == [0, 10, 2, 3] and columns_read
    v.add_frames([frame(9)])  # five frames: more than one batch, streamed every time
    list(v.get_frames())
    columns_read.clear()
    assert len(list(v.get_frames())) == 5 and columns_read


class _Peak:
    """The most Arrow memory allocated above ``base``, sampled at every batch read."""

    def __init__(self, monkeypatch) -> None:
        self.base = self.peak = 0
        batches = _segments.SegmentReader.iter_batches

        def sampled(reader, columns, batch_rows, **kwargs):
            for batch in batches(reader, columns, batch_rows, **kwargs):
                self.peak = max(self.peak, pa.total_allocated_bytes() - self.base)
                yield batch

        monkeypatch.setattr(_segments.SegmentReader, "iter_batches", sampled)

    def start(self) -> None:
        self.base, self.peak = pa.total_allocated_bytes(), 0


@pytest.fixture()
def bounded(monkeypatch):
    """Small pages and batches, and a sampler of the memory a scan holds."""
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 128)
    monkeypatch.setattr(_scan, "BATCH_ROWS", 64)
    monkeypatch.setattr(_scan, "_READ_ROWS", 64)
    return _Peak(monkeypatch)


def test_a_diff_holds_a_fraction_of_the_versions(bounded):
    n = 16_000
    Dataset.create("cars")
    a = DatasetVersion.create_version("cars", "a", [])
    b = DatasetVersion.create_version("cars", "b", [])
    for start in range(4):  # written apart: every frame of both is compared
        a.add_frames([frame_dict(i) for i in range(start, n, 4)])
        b.add_frames([frame_dict(i) | {"meta": {"n": i % 3}} for i in range(start, n, 4)])
    forget_caches()
    len(a), len(b)
    bounded.start()
    diff = a.diff(b)
    assert diff.modified == sorted(f"d{i:04d}" for i in range(3, n))  # meta n: i vs i % 3
    docs = sum(t.frames["doc"].nbytes for t in (a.frame_tables(), b.frame_tables()))
    assert 0 < bounded.peak < docs / 5, (bounded.peak, docs)


def test_a_diff_of_a_few_changes_skips_the_rows_between(bounded):
    n = 16_000
    Dataset.create("cars")
    DatasetVersion.get_current("cars").add_frames([frame_dict(i) for i in range(n)])
    parent = DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    changed = range(0, n, 97)  # one row in 97 of the parent's one segment is read back
    child.add_frames([frame_dict(i) | {"meta": {"n": -1}} for i in changed])
    want = diff_tables(child.frame_tables(), parent.frame_tables())
    docs = parent.frame_tables().frames["doc"].nbytes
    forget_caches()
    len(parent), len(child)
    bounded.start()
    assert child.diff(parent) == want
    assert want.modified == sorted(f"d{i:04d}" for i in changed)
    assert 0 < bounded.peak < docs / 10, (bounded.peak, docs)


def test_update_and_delete_check_ids_without_building_the_version(refuse_resolving):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(i) for i in range(5)])
    refuse_resolving()
    edited = frame(2)
    edited.metadata["edited"] = True
    assert v.update_frames([edited]) == []
    with pytest.raises(FrameNotFoundError, match="f0009"):
        v.update_frames([frame(9)])
    assert v.delete_frames(["f0000", "f0009"]) == 1  # the unknown id is ignored
    assert v.get_frame_ids() == ["f0001", "f0002", "f0003", "f0004"]
