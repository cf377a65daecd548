"""A scan of a few rows reads only the row groups that hold them, and gives the same rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from hyperloader.store import (
    Dataset,
    DatasetVersion,
    VersionDiff,
    _resolve,
    _scan,
    _scan_cache,
    _segments,
)
from hyperloader.store._arrow import sorted_order
from hyperloader.store._diff import diff_tables

from ._helpers import frame, frame_dict
from ._spies import ALL, ReadSpy

COLUMNS = ("id", "doc", "saved", "saved_in_version")


def _forget() -> None:
    _resolve.clear_cache()
    _scan_cache.clear_plans()


def _version() -> DatasetVersion:
    """A draft over a published parent: big segments, a tiny one, interleaved ids, edits."""
    Dataset.create("cars")
    parent = DatasetVersion.get_current("cars")
    parent.add_frames([frame_dict(i) for i in range(0, 300, 2)][::-1])
    parent.add_frames([frame(i, n=i) for i in range(1, 300, 2)])
    parent.add_frames([frame_dict(i) for i in (5, 7)])  # a tiny segment, read whole
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    child.add_frames([frame(i, n=-i) for i in range(0, 300, 37)])
    child.delete_frames([f"d{i:04d}" for i in range(10, 300, 50)])
    child.add_frames([frame_dict(i) for i in range(300, 340)])
    return child


@pytest.mark.parametrize("unsorted", [False, True], ids=["sorted", "unsorted-segments"])
@pytest.mark.parametrize("sizes", [(16_384, 1024, 256), (8, 1024, 16), (8, 5, 3), (32, 7, 2)],
                         ids=["default", "small-groups", "small-batches", "long-groups"])
def test_scans_of_subsets_equal_the_resolved_rows(monkeypatch, unsorted, sizes):
    """Rows per row group, per scan batch and per batch read (a segment of fewer is read
    whole): as written, segments that a sparse scan skips, or jumps through."""
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", sizes[0])
    if unsorted:  # write segments as writers did before they sorted them
        monkeypatch.setattr(_segments, "sorted_order",
                            lambda ids: np.arange(len(ids), dtype=np.int64))
    version = _version()
    monkeypatch.setattr(_segments, "sorted_order", sorted_order)
    monkeypatch.setattr(_scan, "BATCH_ROWS", sizes[1])
    monkeypatch.setattr(_scan, "_READ_ROWS", sizes[2])
    frames = version.frame_tables().frames.select(list(COLUMNS))
    repo = version._repo
    plan = _scan.plan_chain(repo.store, repo.id, repo.chain(version.id))
    assert len(plan) == frames.num_rows and bool(plan.in_order.all()) != unsorted
    rng = np.random.default_rng(7)
    n = len(plan)
    subsets = [np.arange(n), np.array([0]), np.array([n - 1]), np.arange(0, n, 40),
               np.arange(100, 120), np.array([3, 4, n // 2, n - 2])]
    subsets += [np.sort(rng.choice(n, size, replace=False)) for size in (2, 9, 60, n // 2)]
    for positions in subsets:
        got = pa.concat_tables(_scan.scan(repo.store, repo.id, plan.subset(positions), COLUMNS))
        assert got.equals(frames.take(pa.array(positions))), positions


@pytest.fixture()
def sparse(monkeypatch):
    """A parent of one segment of 400 frames in 25 row groups, and a child of a few edits."""
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 16)
    Dataset.create("cars")
    DatasetVersion.get_current("cars").add_frames([frame_dict(i) for i in range(400)])
    parent = DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    return parent, child


def test_a_sparse_diff_reads_only_the_row_groups_of_changed_rows(sparse, monkeypatch):
    parent, child = sparse
    # d0200 is written again as it was: compared, and not modified
    child.add_frames([frame_dict(i) | {"meta": {"n": -i}} for i in (5, 390)] + [frame_dict(200)])
    child.add_frames([frame_dict(999)])
    child.delete_frames(["d0100"])
    want = diff_tables(child.frame_tables(), parent.frame_tables())
    assert want == VersionDiff(["d0999"], ["d0005", "d0390"], ["d0100"])
    [(_, segment)] = parent._repo.state(parent.id).segments
    _forget()
    len(parent), len(child)  # plan both; from now on only frame rows are read
    spy = ReadSpy(monkeypatch)
    assert child.diff(parent) == want
    compared = ("saved_in_version", "saved", "doc")
    # rows 5, 200 and 390 are in row groups 0, 12 and 24 of the parent's segment
    assert [r for r in spy.reads if r[0] == segment] == [(segment, compared, (0, 12, 24))]
    assert (compared, (0, 12, 24)) in spy.decoded
    assert {r[2] for r in spy.reads if r[0] != segment} == {ALL}  # the child's tiny segments
    assert len(spy.decoded) == 2  # nothing else: the added and deleted rows are not read


def test_a_dense_diff_reads_every_row_group_as_before(sparse, monkeypatch):
    parent, child = sparse
    child.add_frames([frame_dict(i) | {"meta": {"n": -i}} for i in range(1, 400, 7)])
    want = diff_tables(child.frame_tables(), parent.frame_tables())
    _forget()
    len(parent), len(child)
    spy = ReadSpy(monkeypatch)
    assert child.diff(parent) == want and len(want.modified) == len(range(1, 400, 7))
    assert {g for _, g in spy.decoded} == {ALL}  # no row group to skip: read straight


def test_a_whole_scan_skips_row_groups_of_overwritten_rows(sparse, monkeypatch):
    parent, child = sparse
    child.add_frames([frame_dict(i) | {"meta": {"n": -i}} for i in range(16, 48)])
    [(_, segment)] = parent._repo.state(parent.id).segments
    want = [f.to_dict() for f in child.get_frames()]
    _forget()
    spy = ReadSpy(monkeypatch)
    assert [f.to_dict() for f in child.get_frames()] == want
    frames_read = [r for r in spy.reads if r[1] != ("id", "_tombstone")]
    assert (segment, ("doc", "saved", "saved_in_version"),
            tuple(g for g in range(25) if g not in (1, 2))) in frames_read


def test_a_sparse_scan_skips_the_rest_of_a_row_group(monkeypatch):
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 64)
    monkeypatch.setattr(_scan, "_READ_ROWS", 4)
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame_dict(i) for i in range(256)])  # four row groups of 64 rows
    [(_, segment)] = v._repo.state(v.id).segments
    frames = v.frame_tables().frames.select(["doc"])
    repo = v._repo
    plan = _scan.plan_chain(repo.store, repo.id, repo.chain(v.id))
    spy = ReadSpy(monkeypatch)
    positions = np.array([1, 130, 140, 250])
    got = pa.concat_tables(_scan.scan(repo.store, repo.id, plan.subset(positions), ["doc"]))
    assert got.equals(frames.take(pa.array(positions)))
    # group 1 holds no wanted row; after row 1 the rest of group 0 is skipped, and so is
    # the rest of group 2 after row 140. Batches of 4 rows decoded: one for row 1, four
    # for rows 130 to 140 (from row 128), fifteen for row 250 (from row 192)
    assert spy.reads == [(segment, ("doc",), (0, 2, 3)), (segment, ("doc",), (2, 3)),
                         (segment, ("doc",), (3,))]
    assert spy.rows == 4 + 16 + 60
