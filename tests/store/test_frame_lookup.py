"""get_frame reads one row group of one segment and answers as the whole version did."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow.compute as pc
import pytest

from hyperloader.errors import FrameNotFoundError
from hyperloader.model import SingleFrame, TimestampKeys
from hyperloader.store import Dataset, DatasetVersion, _repo, _resolve, _scan, _segments
from hyperloader.store._arrow import sorted_order

from ._helpers import forget_caches, frame, frame_dict, group
from ._spies import ALL, ReadSpy

UTC = dt.timezone.utc
WHEN = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
COLUMNS = ("doc", "saved", "saved_in_version")
PLAN = ("id", "_tombstone")


def stamped(fid: str, city: str = "bremen") -> SingleFrame:
    """A frame with datetime meta of each flavour, and a dated ROI."""
    f = SingleFrame(f"s3://data/{fid}.jpg", width=8, height=8, id=fid, metadata={
        "when": WHEN, "day": dt.date(2024, 5, 3), "naive": dt.datetime(2024, 5, 1, 12, 30),
        "local": dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "city": city})
    f.add_annotation(box2d_xywh=[0, 0, 2, 2], labels=["car"], metadata={"seen": WHEN})
    return f


def _family() -> dict[str, DatasetVersion]:
    """A published root, a published child and a draft grandchild, copy-on-write.

    ``v1`` (three segments) has a FrameGroup and datetime meta; ``v2`` edits frames
    (datetime ones too), deletes some and re-adds ``f0012`` after deleting it; ``v3``
    re-adds ``g1`` and ``t2``, which ``v2`` deleted, and deletes ``f0007`` and ``f0013``.
    """
    Dataset.create("cars")
    v1 = DatasetVersion.get_current("cars")
    v1.add_frames([frame(i, n=i) for i in (7, 3, 11, 1, 9, 5)] + [stamped("t1"), group("g1")])
    v1.add_frames([frame(i, n=i) for i in (2, 10, 4, 8, 0, 6)] + [frame_dict(0), stamped("t2")])
    v1.add_frames([frame_dict(i) for i in (3, 1)] + [frame(3, n=33), frame(12, n=12)])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    v2 = DatasetVersion.get_current("cars")
    v2.update_frames([frame(5, n=50), stamped("t1", city="kiel")])
    v2.delete_frames(["f0003", "g1", "t2", "f0012"])
    v2.add_frames([frame(13, n=13), frame(12, n=120)])
    DatasetVersion.create_snapshot("cars", publish_name="v2")
    v3 = DatasetVersion.get_current("cars")
    v3.add_frames([group("g1"), stamped("t2", city="ulm")])
    v3.delete_frames(["f0007", "f0013"])
    return {"v1": DatasetVersion.get_version("cars", "v1"),
            "v2": DatasetVersion.get_version("cars", "v2"), "v3": v3}


IDS = ["d0000", "d0001", "d0003", "f0000", "f0003", "f0005", "f0007", "f0012", "f0013",
       "g1", "t1", "t2", "nope"]


def _answer(get, version: DatasetVersion, frame_id: str) -> tuple:
    """What ``get(frame_id)`` gives: the frame's type and dict, or the error's details."""
    try:
        f = get(frame_id)
    except FrameNotFoundError as exc:
        return "missing", str(exc), exc.frame_id, exc.version_id
    return type(f).__name__, f.to_dict()


def _old_get_frame(version: DatasetVersion, frame_id: str):
    """``get_frame`` as it was: from the whole resolved version."""
    tables = version.frame_tables()
    frames = tables.frames
    row = pc.index(frames["id"], frame_id).as_py()
    if row < 0:
        raise FrameNotFoundError(f"frame {frame_id!r} is not in version {version.name!r} "
                                 f"({version.id}) of dataset {version.dataset_name!r}",
                                 frame_id=frame_id, version_id=version.id)
    return version._frame(frames["doc"][row].as_py(), frames["saved"][row].as_py(),
                          frames["saved_in_version"][row].as_py(),
                          TimestampKeys.from_tables(tables))


def _answers(versions: dict[str, DatasetVersion], old: bool = False) -> dict:
    return {(k, i): _answer((lambda f, v=v: _old_get_frame(v, f)) if old else v.get_frame, v, i)
            for k, v in versions.items() for i in IDS}


@pytest.fixture(params=["default", "tiny-row-groups", "unsorted-segments"])
def layout(request, monkeypatch):
    """How segments are written: as now, in row groups of 4 rows, or unsorted as before."""
    if request.param != "default":
        monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 4)
        monkeypatch.setattr(_scan, "_READ_ROWS", 3)
    if request.param == "unsorted-segments":
        monkeypatch.setattr(_segments, "sorted_order",
                            lambda ids: np.arange(len(ids), dtype=np.int64))
    return request.param


def test_get_frame_equals_the_resolved_frame(backend, layout, monkeypatch, refuse_resolving):
    versions = _family()
    monkeypatch.setattr(_segments, "sorted_order", sorted_order)  # written; now read
    want = _answers(versions, old=True)
    assert _answers(versions) == want  # the resolutions are cached: they answer
    refuse_resolving()
    assert _answers(versions) == want  # from the plans and single row groups
    assert want[("v3", "t2")][1]["meta"]["city"] == "ulm"
    assert want[("v2", "t1")][1]["meta"]["when"] == WHEN
    assert want[("v3", "t1")][1]["rois"][0]["meta"]["seen"] == WHEN
    assert want[("v3", "g1")][0] == "FrameGroup"
    assert want[("v2", "f0012")][1]["meta"] == {"n": 120}  # re-added after its delete
    assert want[("v2", "f0003")][0] == want[("v3", "f0013")][0] == "missing"
    assert want[("v3", "nope")][1].startswith("frame 'nope' is not in version 'Current'")
    assert want[("v1", "d0000")][1]["saved_in_version"] == versions["v1"].id
    assert want[("v3", "f0005")][1]["saved_in_version"] == versions["v2"].id


def test_get_single_frame_reads_no_whole_version(refuse_resolving):
    versions = _family()
    want = _answers(versions, old=True)
    refuse_resolving()
    for key in [("v2", "t1"), ("v2", "g1"), ("v1", "f0003")]:
        got = _answer(lambda f, v=key[0]: DatasetVersion.get_single_frame(
            f, dataset_name="cars", version_name=v), versions[key[0]], key[1])
        assert got == want[key]
    current = _answer(lambda f: DatasetVersion.get_single_frame(f, dataset_name="cars"),
                      versions["v3"], "t2")
    assert current == want[("v3", "t2")]
    by_id = DatasetVersion.get_single_frame("f0012", dataset_id=versions["v2"].dataset_id,
                                            version_id=versions["v2"].id)
    assert by_id.to_dict() == want[("v2", "f0012")][1]


def test_get_frame_reads_one_row_group_of_one_segment(monkeypatch):
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 16)
    monkeypatch.setattr(_scan, "_READ_ROWS", 4)  # a segment of one batch is read whole
    Dataset.create("cars")
    root = DatasetVersion.get_current("cars")
    root.add_frames([frame_dict(i) for i in range(100)])  # rows 0-99 of the first segment
    root.add_frames([frame_dict(i) for i in range(100, 200)][::-1])  # sorted when written
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    child.update_frames([frame_dict(150) | {"meta": {"n": -1}}])
    root = DatasetVersion.get_version("cars", "v1")
    first, second = (s for _, s in root._repo.state(root.id).segments)
    [(_, third)] = child._repo.state(child.id).segments
    forget_caches()
    spy = ReadSpy(monkeypatch)
    assert root.get_frame("d0037").meta == {"n": 37}
    # planning reads ids and tombstones; then one row group: row 37 is in group 37 // 16
    assert spy.reads == [(first, PLAN, ALL), (second, PLAN, ALL), (first, COLUMNS, (2,))]
    assert spy.decoded == [(PLAN, ALL), (PLAN, ALL), (COLUMNS, (2,))]
    assert spy.rows == 8  # row 5 of its row group: two batches of four rows
    for frame_id, segment, groups, n in [("d0150", third, ALL, -1), ("d0170", second, (4,), 170),
                                         ("d0099", first, (6,), 99)]:
        len(child)  # planned (and cached) before the spy looks
        spy.clear()
        assert child.get_frame(frame_id).meta == {"n": n}
        assert spy.reads == [(segment, COLUMNS, groups)]  # the child's one row: read whole
        assert spy.decoded == [(COLUMNS, groups)]
    spy.clear()
    with pytest.raises(FrameNotFoundError):
        child.get_frame("d0200")
    assert spy.reads == [] and spy.decoded == []
    child.frame_tables()  # an up-to-date resolution answers without reading
    spy.clear()
    assert child.get_frame("d0150").meta == {"n": -1} and spy.reads == []


def test_a_loop_of_lookups_resolves_the_version_once(monkeypatch):
    monkeypatch.setattr(_segments, "ROW_GROUP_ROWS", 16)
    Dataset.create("cars")
    version = DatasetVersion.get_current("cars")
    version.add_frames([frame_dict(i) for i in range(60)])
    forget_caches()
    merges = []
    merge = _resolve.merge
    monkeypatch.setattr(_resolve, "merge", lambda *a, **k: merges.append(1) or merge(*a, **k))
    spy = ReadSpy(monkeypatch)
    ids = version.get_frame_ids()
    threshold = _repo._LOOKUPS_BEFORE_RESOLVING
    for i, frame_id in enumerate(ids[:threshold]):  # a few lookups: one row group each
        assert version.get_frame(frame_id).id == frame_id
        assert not merges, f"resolved at lookup {i}"
    for frame_id in ids[threshold:]:  # a loop: resolved whole once, then answered from memory
        assert version.get_frame(frame_id).id == frame_id
    assert merges == [1]
    spy.clear()
    assert version.get_frame(ids[3]).id == ids[3] and spy.reads == []
