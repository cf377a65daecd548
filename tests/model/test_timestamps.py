"""TimestampKeys: the ISO strings of timestamp meta columns parsed back, nothing else."""

from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

from hyperloader.model import SingleFrame, TimestampKeys, frames_to_tables

UTC = dt.timezone.utc


def _stored(frame: SingleFrame) -> tuple[TimestampKeys, dict]:
    """The keys of a one-frame table and the frame dict its ``doc`` column holds."""
    tables = frames_to_tables([frame])
    return TimestampKeys.from_tables(tables), json.loads(tables.frames["doc"][0].as_py())


@pytest.mark.parametrize("value", [
    dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    dt.datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(2024, 5, 1, 12, 30),  # naive: the column reads it as UTC, the JSON keeps it
    dt.datetime(2024, 5, 1),
    dt.date(2024, 5, 1),
    dt.datetime(1, 1, 1, tzinfo=UTC),
])
def test_a_stored_value_comes_back_equal_and_of_its_type(value):
    f = SingleFrame("s3://b/a.jpg", id="a", metadata={"t": value})
    f.add_annotation(labels=["x"], metadata={"t": value})
    keys, d = _stored(f)
    assert keys == TimestampKeys(frozenset({"t"}), frozenset({"t"}))
    keys.restore(d)
    for got in (d["meta"]["t"], d["rois"][0]["meta"]["t"]):
        assert got == value and type(got) is type(value)
        assert getattr(got, "tzinfo", None) == getattr(value, "tzinfo", None)


def test_only_timestamp_keys_of_their_own_table_are_parsed():
    iso = "2024-05-01T12:00:00+00:00"
    f = SingleFrame("s3://b/a.jpg", id="a", metadata={
        "when": dt.datetime(2024, 5, 1, tzinfo=UTC), "iso": iso, "day": "2024-05-01",
        "nested": {"when": iso}})
    f.add_annotation(labels=["x"], metadata={"when": iso})
    keys, d = _stored(f)
    assert keys == TimestampKeys(frozenset({"when"}))
    keys.restore(d)
    assert d["meta"]["iso"] == iso and d["meta"]["day"] == "2024-05-01"
    assert d["meta"]["nested"] == {"when": iso} and d["rois"][0]["meta"] == {"when": iso}


def test_from_kinds_reads_a_version_schema():
    keys = TimestampKeys.from_kinds({"frames": {"a": "timestamp", "b": "string"},
                                     "rois": {"c": "timestamp"}})
    assert keys == TimestampKeys(frozenset({"a"}), frozenset({"c"}))
    assert not TimestampKeys.from_kinds({"frames": {"b": "int"}})
    assert not TimestampKeys() and keys


def test_restore_tolerates_missing_null_and_unparsable_values():
    keys = TimestampKeys(frozenset({"t"}), frozenset({"t"}))
    d = {"meta": {"t": None}, "rois": [{"id": "r"}, {"meta": {"t": "not a date"}}]}
    assert keys.restore(d) == {"meta": {"t": None},
                               "rois": [{"id": "r"}, {"meta": {"t": "not a date"}}]}
    assert keys.restore({"id": "no meta"}) == {"id": "no meta"}


def test_keys_pickle():
    keys = TimestampKeys(frozenset({"a"}), frozenset({"b"}))
    assert pickle.loads(pickle.dumps(keys)) == keys
