"""Datetime meta survives a store round trip, and a frame read back can be added again."""

from __future__ import annotations

import datetime as dt
import uuid

import fsspec
import pytest

import hyperloader
from hyperloader.model import FrameGroup, SingleFrame
from hyperloader.store import Dataset, DatasetVersion, _resolve

UTC = dt.timezone.utc
WHEN = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
STORE_FIELDS = ("dataset", "saved", "saved_in_version")


@pytest.fixture(autouse=True)
def memory_store():
    """The bug was seen on memory://; the timestamp logic does not depend on the backend."""
    name = f"hl-{uuid.uuid4().hex[:10]}"
    hyperloader.set_root(f"memory://{name}/store")
    yield
    fsspec.filesystem("memory").rm(f"/{name}", recursive=True)


def _content(f) -> dict:
    return {k: v for k, v in f.to_dict().items() if k not in STORE_FIELDS}


def stamped(fid: str, **meta) -> SingleFrame:
    """A frame with datetime meta of every flavour, and a dated ROI."""
    f = SingleFrame(f"s3://data/{fid}.jpg", width=8, height=8, id=fid, metadata={
        "when": WHEN,
        "local": dt.datetime(2024, 5, 1, 14, 0, 0, 123456,
                             tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "naive": dt.datetime(2024, 5, 1, 12, 30),
        "day": dt.date(2024, 5, 3),
        "city": "bremen", **meta})
    f.add_annotation(box2d_xywh=[0, 0, 2, 2], labels=["car"], metadata={"seen": WHEN, "n": 1})
    f.add_annotation(box2d_xywh=[1, 1, 2, 2], labels=["tree"])
    return f


def _publish(frames) -> DatasetVersion:
    Dataset.create("cars")
    assert DatasetVersion.get_current("cars").add_frames(frames) == []
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    return DatasetVersion.get_version("cars", "v1")


def _check_types(f) -> None:
    assert type(f.meta["when"]) is dt.datetime and f.meta["when"].tzinfo is not None
    assert type(f.meta["day"]) is dt.date
    assert f.meta["naive"].tzinfo is None  # stored as given; the columns read it as UTC
    assert f.rois[0].meta["seen"] == WHEN


def test_get_frame_returns_the_datetimes_it_stored():
    original = stamped("a")
    got = _publish([original]).get_frame("a")
    _check_types(got)
    assert got.meta["when"] == WHEN
    assert _content(got) == _content(original)


@pytest.mark.parametrize("warm", [False, True], ids=["streamed", "cached"])
def test_get_frames_returns_the_datetimes_it_stored(warm):
    originals = [stamped("a"), stamped("b", when=WHEN + dt.timedelta(days=1))]
    version = _publish(originals)
    _resolve.clear_cache()
    if warm:
        version.frame_tables()
    got = list(version.get_frames())
    for f in got:
        _check_types(f)
    assert [_content(f) for f in got] == [_content(f) for f in originals]


def test_a_frame_read_back_edits_and_re_adds_in_a_child_version():
    v1 = _publish([stamped("a"), stamped("b")])
    child = DatasetVersion.get_current("cars")
    edited = child.get_frame("a")
    edited.rois[0].labels = ["truck"]
    streamed = list(child.get_frames())
    assert child.add_frames([edited]) == []
    assert child.add_frames(streamed[1:]) == []  # unchanged: stored exactly as before
    diff = child.diff(v1)
    assert (diff.added, diff.modified, diff.removed) == ([], ["a"], [])
    again = child.get_frame("a")
    _check_types(again)
    assert [r.labels for r in again.rois] == [["truck"], ["tree"]]
    assert child.frame_tables().frames["meta.when"].to_pylist() == [WHEN, WHEN]


def test_a_string_that_looks_like_a_date_stays_a_string():
    iso = "2024-05-01T12:00:00+00:00"
    f = SingleFrame("s3://data/s.jpg", id="s", metadata={"iso": iso, "day": "2024-05-01",
                                                         "when": WHEN})
    f.add_annotation(labels=["x"], metadata={"when": iso})  # ROI meta types on its own
    version = _publish([f])
    for got in (version.get_frame("s"), next(version.get_frames())):
        assert got.meta == {"iso": iso, "day": "2024-05-01", "when": WHEN}
        assert got.rois[0].meta == {"when": iso}
    child = DatasetVersion.get_current("cars")
    assert child.add_frames([child.get_frame("s")]) == []


def test_nested_and_source_meta_have_no_column_and_keep_their_iso_string():
    f = SingleFrame("s3://data/n.jpg", id="n", metadata={"trip": {"start": WHEN}},
                    source_meta={"shot": WHEN})
    group = FrameGroup({"left": SingleFrame("s3://data/l.jpg", metadata={"shot": WHEN})},
                       id="g")
    version = _publish([f, group])
    got, got_group = version.get_frame("n"), version.get_frame("g")
    assert got.meta == {"trip": {"start": WHEN.isoformat()}}
    assert got.source_meta == {"shot": WHEN.isoformat()}
    assert got_group["left"].metadata == {"shot": WHEN.isoformat()}
    child = DatasetVersion.get_current("cars")
    assert child.add_frames([got, got_group]) == []
    assert not child.diff(version)
