"""Decoding entries from the store: datetime meta comes back as the datetimes stored."""

from __future__ import annotations

import datetime as dt

import pytest

from hyperloader.dataview import DataView
from hyperloader.model import SingleFrame, TimestampKeys
from hyperloader.store import Dataset, DatasetVersion

UTC = dt.timezone.utc
WHEN = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ISO = "2024-05-01T12:00:00+00:00"
STORE_FIELDS = ("dataset", "saved", "saved_in_version")


def stamped(fid: str) -> SingleFrame:
    f = SingleFrame(f"s3://data/{fid}.jpg", width=8, height=8, id=fid, metadata={
        "when": WHEN, "naive": dt.datetime(2024, 5, 1, 12, 30), "day": dt.date(2024, 5, 3),
        "iso": ISO})
    f.add_annotation(box2d_xywh=[0, 0, 2, 2], labels=["car"], metadata={"seen": WHEN})
    f.add_annotation(box2d_xywh=[1, 1, 2, 2], labels=["tree"], metadata={"note": ISO})
    return f


@pytest.fixture()
def originals() -> list[SingleFrame]:
    frames = [stamped("a"), stamped("b")]
    Dataset.create("dated").get_current().add_frames(frames)
    DatasetVersion.create_snapshot("dated", publish_name="v1")
    return frames


def _view(**query) -> DataView:
    dv = DataView()
    dv.add_query(dataset_name="dated", version_name="v1", **query)
    return dv


def _content(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in STORE_FIELDS}


def test_entries_and_entry_dicts_hold_the_stored_datetimes(originals):
    dv = _view()
    want = [_content(f.to_dict()) for f in originals]
    assert [_content(f.to_dict()) for f in dv.get_entries([0, 1])] == want
    dicts = dv.get_entry_dicts([0, 1])
    assert [_content(d) for d in dicts] == want
    meta = dicts[0]["meta"]
    assert meta["when"] == WHEN and meta["when"].tzinfo is not None
    assert meta["naive"].tzinfo is None and type(meta["day"]) is dt.date
    assert meta["iso"] == ISO  # a string key: never parsed
    assert [r["meta"] for r in dicts[0]["rois"]] == [{"seen": WHEN}, {"note": ISO}]


def test_frame_per_roi_entries_hold_the_stored_datetimes(originals):
    dv = _view(roi_query="car")
    dv.output_rois = "frame_per_roi"
    (d, _) = dv.get_entry_dicts([0, 1])
    assert d["meta"]["when"] == WHEN and [r["meta"] for r in d["rois"]] == [{"seen": WHEN}]


def test_entries_re_add_into_a_child_version(originals):
    child = DatasetVersion.get_current("dated")
    frames = _view().get_entries([0, 1])
    frames[0].rois[0].labels = ["truck"]
    assert child.add_frames(frames) == []
    diff = child.diff(DatasetVersion.get_version("dated", "v1"))
    assert (diff.added, diff.modified, diff.removed) == ([], ["a"], [])


def test_versions_without_timestamp_meta_skip_the_restore(monkeypatch):
    Dataset.create("plain").get_current().add_frames(
        [SingleFrame("s3://data/p.jpg", id="p", metadata={"iso": ISO})])

    def refuse(self, d):
        raise AssertionError("restore called without timestamp keys")

    monkeypatch.setattr(TimestampKeys, "restore", refuse)
    dv = DataView()
    dv.add_query(dataset_name="plain")
    assert dv.get_entry_dicts([0])[0]["meta"] == {"iso": ISO}
