"""FrameTables: the columnar form of a batch of frames (docs/design.md)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest

from hyperloader.errors import InvalidFrameError
from hyperloader.model import (
    FrameGroup,
    FrameTables,
    SingleFrame,
    frame_from_dict,
    frames_to_tables,
    meta_type_name,
)

TS = pa.timestamp("ms", tz="UTC")


def sample_frames() -> list:
    a = SingleFrame("s3://b/a.jpg", width=10, height=20, id="fa", timestamp=5,
                    metadata={"n": 1, "x": 0.5, "s": "hi", "ok": True, "nested": {"d": 1}},
                    preview_uri="s3://b/pa.jpg")
    a.masks_source = ["s3://b/m0.png", "s3://b/m1.png"]
    a.add_annotation(box2d_xywh=[0, 0, 2, 2], labels=["car", "red"], confidence=0.5,
                     metadata={"area": 4})
    a.add_annotation(labels=["day"])
    b = FrameGroup(id="gb", context_id="ctx-b", metadata={"n": 2, "x": 3})
    b["left"] = SingleFrame("s3://b/l.png")
    b["right"] = SingleFrame("s3://b/r.png", width=7, timestamp=9)
    b.add_global_annotation(labels=["road"], metadata={"area": 2.5, "lane": "L"})
    return [a, b]


def test_table_schemas_follow_the_design():
    t = frames_to_tables(sample_frames())
    assert isinstance(t, FrameTables)
    assert t.frames.schema == pa.schema([
        ("id", pa.string()), ("context_id", pa.string()), ("timestamp", pa.int64()),
        ("doc", pa.string()), ("meta.n", pa.int64()), ("meta.ok", pa.bool_()),
        ("meta.s", pa.string()), ("meta.x", pa.float64())])
    assert t.rois.schema == pa.schema([
        ("frame_index", pa.int32()), ("roi_index", pa.int32()), ("label", pa.list_(pa.string())),
        ("confidence", pa.float64()), ("meta.area", pa.float64()), ("meta.lane", pa.string())])
    assert t.sources.schema == pa.schema([
        ("frame_index", pa.int32()), ("id", pa.string()), ("uri", pa.string()),
        ("content_type", pa.string()), ("width", pa.int64()), ("height", pa.int64()),
        ("timestamp", pa.int64()), ("mask_uris", pa.list_(pa.string())),
        ("preview_uri", pa.string())])


def test_frames_rows_in_input_order():
    t = frames_to_tables(sample_frames())
    assert t.num_frames == 2
    assert t.frames.column("id").to_pylist() == ["fa", "gb"]
    assert t.frames.column("context_id").to_pylist() == ["s3://b/a.jpg", "ctx-b"]
    assert t.frames.column("timestamp").to_pylist() == [5, 0]
    assert t.frames.column("meta.n").to_pylist() == [1, 2]
    assert t.frames.column("meta.x").to_pylist() == [0.5, 3.0]
    assert t.frames.column("meta.s").to_pylist() == ["hi", None]
    assert t.frames.column("meta.ok").to_pylist() == [True, None]
    assert "meta.nested" not in t.frames.schema.names


def test_doc_holds_the_whole_frame_json():
    frames = sample_frames()
    t = frames_to_tables(frames)
    docs = [json.loads(d) for d in t.frames.column("doc").to_pylist()]
    assert docs == [f.to_dict() for f in frames]
    assert [frame_from_dict(d) for d in docs] == frames
    assert docs[0]["meta"]["nested"] == {"d": 1}


def test_rois_rows_grouped_by_frame():
    t = frames_to_tables(sample_frames())
    assert t.rois.column("frame_index").to_pylist() == [0, 0, 1]
    assert t.rois.column("roi_index").to_pylist() == [0, 1, 0]
    assert t.rois.column("label").to_pylist() == [["car", "red"], ["day"], ["road"]]
    assert t.rois.column("confidence").to_pylist() == [0.5, None, None]
    assert t.rois.column("meta.area").to_pylist() == [4.0, None, 2.5]
    assert t.rois.column("meta.lane").to_pylist() == [None, None, "L"]


def test_sources_rows():
    t = frames_to_tables(sample_frames())
    assert t.sources.to_pylist() == [
        {"frame_index": 0, "id": "default", "uri": "s3://b/a.jpg", "content_type": "image/jpeg",
         "width": 10, "height": 20, "timestamp": 5, "mask_uris": ["s3://b/m0.png", "s3://b/m1.png"],
         "preview_uri": "s3://b/pa.jpg"},
        {"frame_index": 1, "id": "left", "uri": "s3://b/l.png", "content_type": "image/png",
         "width": None, "height": None, "timestamp": 0, "mask_uris": [], "preview_uri": None},
        {"frame_index": 1, "id": "right", "uri": "s3://b/r.png", "content_type": "image/png",
         "width": 7, "height": None, "timestamp": 9, "mask_uris": [], "preview_uri": None},
    ]


def test_frame_dicts_are_accepted(ref_dict):
    t = frames_to_tables([ref_dict])
    assert t.frames.column("id").to_pylist() == ["287024"]
    assert t.rois.column("label").to_pylist() == [["tennis racket"], ["person"]]
    assert t.rois.column("confidence").to_pylist() == [1.0, 1.0]
    assert t.sources.column("width").to_pylist() == [427]
    assert json.loads(t.frames.column("doc")[0].as_py()) == ref_dict


def test_labels_key_is_read_from_dicts():
    d = {"id": "f", "sources": [{"id": "default", "uri": "a.jpg"}],
         "rois": [{"labels": ["x", "y"]}]}
    assert frames_to_tables([d]).rois.column("label").to_pylist() == [["x", "y"]]


def test_empty_batch_has_the_fixed_columns():
    t = frames_to_tables([])
    assert t.num_frames == 0
    assert t.frames.schema.names == ["id", "context_id", "timestamp", "doc"]
    assert t.rois.num_rows == 0 and t.sources.num_rows == 0
    assert t.rois.schema.names == ["frame_index", "roi_index", "label", "confidence"]


# -- meta typing ----------------------------------------------------------------------------------

def frames_with_meta(*metas) -> list[SingleFrame]:
    return [SingleFrame(f"s3://b/{i}.jpg", id=f"f{i}", metadata=m) for i, m in enumerate(metas)]


def test_int_then_float_becomes_float64():
    t = frames_to_tables(frames_with_meta({"score": 3}, {"score": 0.25}, {}))
    assert t.frames.schema.field("meta.score").type == pa.float64()
    assert t.frames.column("meta.score").to_pylist() == [3.0, 0.25, None]
    assert t.meta_schema() == {"score": pa.float64()}


def test_float_then_int_becomes_float64():
    t = frames_to_tables(frames_with_meta({"score": 0.5}, {"score": 2}))
    assert t.frames.column("meta.score").type == pa.float64()
    assert t.frames.column("meta.score").to_pylist() == [0.5, 2.0]


def test_string_versus_int_names_the_key_and_the_frame():
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables(frames_with_meta({"camera": 3}, {"camera": "front"}))
    err = ei.value
    assert isinstance(err, ValueError)
    assert (err.frame_id, err.field, err.value) == ("f1", "meta.camera", "front")
    assert "'camera'" in str(err)
    assert "string" in str(err) and "int" in str(err)


def test_bool_versus_int_is_a_conflict():
    with pytest.raises(InvalidFrameError, match="'flag'"):
        frames_to_tables(frames_with_meta({"flag": True}, {"flag": 1}))


def test_roi_meta_conflict_names_the_key():
    f = SingleFrame("s3://b/a.jpg", id="fr")
    f.add_annotation(labels=["a"], metadata={"kind": "x"})
    f.add_annotation(labels=["b"], metadata={"kind": 1})
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables([f])
    assert (ei.value.frame_id, ei.value.field) == ("fr", "rois.meta.kind")


def test_nested_values_do_not_make_columns_or_conflicts():
    t = frames_to_tables(frames_with_meta({"k": 1}, {"k": {"deep": "x"}}, {"k": [1]}, {"k": 4}))
    assert t.frames.column("meta.k").to_pylist() == [1, None, None, 4]
    assert t.frames.column("meta.k").type == pa.int64()


def test_datetimes_become_utc_timestamps_and_iso_strings_stay_strings():
    naive = dt.datetime(2024, 5, 1, 12, 30)
    aware = dt.datetime(2024, 5, 1, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    t = frames_to_tables(frames_with_meta({"at": naive, "iso": "2024-05-01"},
                                          {"at": aware, "iso": "2024-05-02T00:00:00Z"},
                                          {"at": dt.date(2024, 5, 3)}))
    assert t.frames.schema.field("meta.at").type == TS
    assert t.frames.schema.field("meta.iso").type == pa.string()
    utc = dt.timezone.utc
    assert t.frames.column("meta.at").to_pylist() == [
        dt.datetime(2024, 5, 1, 12, 30, tzinfo=utc), dt.datetime(2024, 5, 1, 12, 30, tzinfo=utc),
        dt.datetime(2024, 5, 3, tzinfo=utc)]
    assert json.loads(t.frames.column("doc")[0].as_py())["meta"]["at"] == "2024-05-01T12:30:00"


def test_numpy_scalars_count_as_their_python_values():
    t = frames_to_tables(frames_with_meta({"n": np.int64(3), "x": np.float32(0.5),
                                           "b": np.bool_(True)}, {"n": 4}))
    assert t.frames.column("meta.n").type == pa.int64()
    assert t.frames.column("meta.n").to_pylist() == [3, 4]
    assert t.frames.column("meta.x").to_pylist() == [0.5, None]
    assert t.frames.column("meta.b").to_pylist() == [True, None]
    assert json.loads(t.frames.column("doc")[0].as_py())["meta"] == {"n": 3, "x": 0.5, "b": True}


@pytest.mark.parametrize(("value", "kind"), [
    (True, "bool"), (1, "int"), (1.5, "float"), ("s", "string"),
    (dt.datetime(2020, 1, 1), "timestamp"), (dt.date(2020, 1, 1), "timestamp"),
    ({"a": 1}, None), ([1], None), (None, None), (np.int32(2), "int"),
])
def test_meta_type_name(value, kind):
    assert meta_type_name(value) == kind


def test_meta_schema_of_the_rois_table():
    t = frames_to_tables(sample_frames())
    assert t.meta_schema("rois") == {"area": pa.float64(), "lane": pa.string()}
    assert t.meta_schema("sources") == {}


# -- nothing is stored differently than it was given ---------------------------------------------

def plain_dict(fid: str = "f", **source) -> dict:
    return {"id": fid, "sources": [{"id": "default", "uri": "s3://b/a.jpg", **source}]}


def test_fractional_frame_timestamp_in_a_raw_dict_is_refused_not_truncated():
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables([plain_dict("ok"), {**plain_dict("bad"), "timestamp": 1.5}])
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("bad", "timestamp", 1.5)


@pytest.mark.parametrize(("key", "bad"), [("timestamp", 2.5), ("width", 0.5), ("height", True),
                                          ("width", "640"), ("timestamp", 2**64)])
def test_bad_source_integers_in_a_raw_dict_are_refused(key, bad):
    group = {"id": "g", "sources": [{"id": "a", "uri": "s3://b/a.jpg"},
                                    {"id": "b", "uri": "s3://b/b.jpg", key: bad}]}
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables([plain_dict("ok", width=3), group])
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("g", f"sources[1].{key}", bad)


def test_integral_floats_and_numpy_integers_fill_int_columns_exactly():
    t = frames_to_tables([{**plain_dict("a", width=640.0, timestamp=np.int64(7)),
                           "timestamp": 33.0}])
    assert t.frames.column("timestamp").to_pylist() == [33]
    assert t.sources.column("width").to_pylist() == [640]
    assert t.sources.column("timestamp").to_pylist() == [7]


def test_meta_integer_too_large_for_int64_names_the_frame():
    f = SingleFrame("s3://b/a.jpg", id="big", metadata={"hash": 2**64 - 1})
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables([SingleFrame("s3://b/a.jpg", id="ok", metadata={"hash": 1}), f])
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("big", "meta.hash", 2**64 - 1)
    assert "string" in str(ei.value)


def test_meta_integer_that_a_float_column_would_round_names_the_frame():
    frames = [SingleFrame("s3://b/a.jpg", id="x", metadata={"n": 0.5}),
              SingleFrame("s3://b/a.jpg", id="y", metadata={"n": 2**53 + 1})]
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables(frames)
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("y", "meta.n", 2**53 + 1)


def test_roi_meta_integer_too_large_names_the_frame():
    f = SingleFrame("s3://b/a.jpg", id="fr")
    f.add_annotation(labels=["a"], metadata={"k": 1})
    f.add_annotation(labels=["b"], metadata={"k": -(2**70)})
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables([f])
    assert (ei.value.frame_id, ei.value.field) == ("fr", "rois.meta.k")


def test_meta_value_json_cannot_hold_names_the_frame():
    f = SingleFrame("s3://b/a.jpg", id="fs", metadata={"ok": [1], "deep": {"tags": {"a"}}})
    with pytest.raises(InvalidFrameError) as ei:
        frames_to_tables([f])
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("fs", "meta.deep.tags", {"a"})
    assert "JSON cannot hold a set" in str(ei.value)
