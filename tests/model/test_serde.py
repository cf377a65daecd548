"""The frame JSON: the reference frame, field names, and property-based round trips."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperloader.errors import InvalidFrameError
from hyperloader.model import (
    FrameGroup,
    Roi,
    SingleFrame,
    frame_from_dict,
    frame_to_dict,
    roi_from_dict,
    roi_to_dict,
)

# -- the reference frame 287024 -------------------------------------------------------------------


def test_reference_frame_round_trips_exactly(ref_dict):
    original = json.loads(json.dumps(ref_dict))
    for build in (SingleFrame.from_dict, frame_from_dict):
        frame = build(ref_dict)
        assert type(frame) is SingleFrame
        assert frame.to_dict() == original
        assert json.loads(json.dumps(frame.to_dict())) == original
    assert ref_dict == original  # reading does not touch the input


def test_reference_frame_fields(ref_dict):
    f = SingleFrame.from_dict(ref_dict)
    assert f.id == "287024"
    assert f.context_id == "https://s3.amazonaws.com/allegro-datasets/coco/train2017/000000287024.jpg"
    assert (f.width, f.height, f.content_type, f.timestamp) == (427, 640, "image/jpeg", 0)
    assert f.dataset == {"id": "f7edb3399164460d82316fa5ab549d5b",
                         "version": "6ad8b10c668e419f9dd40422f667592c"}
    assert f.saved == 1598982880693
    assert f.saved_in_version == "6ad8b10c668e419f9dd40422f667592c"
    assert [r.labels for r in f.rois] == [["tennis racket"], ["person"]]
    assert [r.id for r in f.rois] == ["f9fc8629d99b4e65aecacedd32ac356e",
                                      "eda8c727fea24c49b6438e5e17c0a846"]
    assert [r.confidence for r in f.rois] == [1, 1]


def test_reference_multi_part_polygon_reads_back_as_its_parts(ref_dict):
    racket = SingleFrame.from_dict(ref_dict).rois[0]
    parts = racket.parts()
    assert [len(p) for p in parts] == [36, 14]
    assert parts[0][:4] == [174, 189, 149, 152]
    assert parts[0][-2:] == [179, 194]
    assert parts[1] == [194, 238, 204, 250, 212, 250, 221, 250, 223, 249, 206, 230, 205, 230]
    assert racket.poly == ref_dict["rois"][0]["poly"]
    person = SingleFrame.from_dict(ref_dict).rois[1]
    assert len(person.parts()) == 1 and len(person.poly) == 264


def test_reference_polygon_rebuilt_with_add_annotation_gives_the_same_json(ref_dict):
    src = ref_dict["sources"][0]
    f = SingleFrame(src["uri"], width=427, height=640, id="287024", timestamp=0)
    for roi in SingleFrame.from_dict(ref_dict).rois:
        f.add_annotation(poly2d_xy=roi.parts(), labels=roi.labels, confidence=roi.confidence,
                         id=roi.id)
    f.dataset = ref_dict["dataset"]
    f.saved, f.saved_in_version = ref_dict["saved"], ref_dict["saved_in_version"]
    assert f.to_dict() == ref_dict


# -- field names and shapes -----------------------------------------------------------------------

def test_roi_field_is_label_and_labels_is_accepted_on_input():
    f = SingleFrame.from_dict({"id": "f", "sources": [{"id": "default", "uri": "a.jpg"}],
                               "rois": [{"id": "r", "labels": ["cat", "black"]}]})
    assert f.rois[0].labels == ["cat", "black"]
    out = f.to_dict()["rois"][0]
    assert out == {"id": "r", "label": ["cat", "black"], "sources": ["default"]}
    assert "labels" not in out


def test_roi_to_dict_and_back():
    roi = Roi(labels=["a"], poly=[0, 0, 1, 0, 1, 1], confidence=0.0, sources=["s"],
              meta={"m": 1}, id="r", points=[5, 5], mask={"id": "00", "value": [1, 1, 1]},
              label_num=3)
    d = roi_to_dict(roi)
    assert d == {"id": "r", "label": ["a"], "poly": [0, 0, 1, 0, 1, 1], "points": [5, 5],
                 "confidence": 0.0, "sources": ["s"], "meta": {"m": 1},
                 "mask": {"id": "00", "value": [1, 1, 1]}, "label_num": 3}
    assert roi_from_dict(d) == roi


def test_roi_from_dict_checks_sources_when_given():
    with pytest.raises(InvalidFrameError) as ei:
        roi_from_dict({"label": ["a"], "sources": ["cam"]}, frame_id="f", field="rois[4]",
                      source_ids={"default"})
    assert (ei.value.field, ei.value.value) == ("rois[4].sources", "cam")


def test_frame_to_dict_is_to_dict():
    f = SingleFrame("a.jpg", id="f", metadata={"k": 1})
    assert frame_to_dict(f) == f.to_dict()


def test_full_single_frame_json():
    f = SingleFrame("s3://b/a.jpg", width=8, height=6, preview_uri="s3://b/p.png",
                    metadata={"k": "v"}, context_id="ctx", timestamp=40, id="f1")
    f.masks_source = {"seg": "s3://b/seg.png"}
    f.add_annotation(box2d_xywh=[1, 1, 2, 2], labels=["a"], confidence=0.5, id="r1",
                     metadata={"z": 0})
    f.add_annotation(labels=["frame-label"], id="r2")
    f.dataset = {"id": "d", "version": "v"}
    assert f.to_dict() == {
        "id": "f1", "context_id": "ctx", "timestamp": 40,
        "sources": [{"id": "default", "uri": "s3://b/a.jpg", "content_type": "image/jpeg",
                     "width": 8, "height": 6, "timestamp": 40,
                     "masks": [{"id": "seg", "uri": "s3://b/seg.png", "content_type": "image/png"}],
                     "preview": {"uri": "s3://b/p.png"}}],
        "rois": [{"id": "r1", "label": ["a"], "poly": [1, 1, 3, 1, 3, 3, 1, 3], "confidence": 0.5,
                  "sources": ["default"], "meta": {"z": 0}},
                 {"id": "r2", "label": ["frame-label"], "sources": ["default"]}],
        "meta": {"k": "v"}, "dataset": {"id": "d", "version": "v"}, "num_frames": 1,
    }


def test_masks_keep_timestamp_and_content_type():
    d = {"id": "f", "sources": [{"id": "default", "uri": "s3://b/v.mp4", "timestamp": 123456789,
                                 "masks": [{"id": "m", "uri": "s3://b/m", "timestamp": 123456789,
                                            "content_type": "video/mp4"}]}]}
    f = SingleFrame.from_dict(d)
    assert f.masks_source == {"m": "s3://b/m"}
    assert f.to_dict()["sources"][0]["masks"] == d["sources"][0]["masks"]


def test_missing_content_type_is_inferred_on_output():
    f = SingleFrame.from_dict({"id": "f", "sources": [{"id": "default", "uri": "s3://b/a.png"}]})
    assert f.to_dict()["sources"][0]["content_type"] == "image/png"


def test_roi_without_sources_is_bound_to_the_frames_source():
    f = SingleFrame.from_dict({"id": "f", "sources": [{"id": "cam", "uri": "a.jpg"}],
                               "rois": [{"label": ["x"]}]})
    assert f.rois[0].sources == ["cam"]
    assert f.to_dict()["rois"][0]["sources"] == ["cam"]


def test_source_without_id_is_the_default_source():
    f = frame_from_dict({"id": "f", "sources": [{"uri": "a.jpg"}],
                         "rois": [{"label": ["x"], "sources": ["default"]}]})
    assert type(f) is SingleFrame
    assert f.source_id == "default"


def test_single_frame_from_dict_refuses_several_sources(group_dict):
    with pytest.raises(InvalidFrameError) as ei:
        SingleFrame.from_dict(group_dict)
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("g1", "sources", 2)


def test_from_dict_copies_the_top_level_meta():
    d = {"id": "f", "sources": [{"id": "default", "uri": "a.jpg"}], "meta": {"k": 1}}
    f = SingleFrame.from_dict(d)
    f.meta["k"] = 2
    assert d["meta"] == {"k": 1}


# -- property: from_dict(to_dict(f)) == f ---------------------------------------------------------

ids = st.text(alphabet="abc0123", min_size=1, max_size=4)
roi_ids = st.none() | st.sampled_from(["r0", "r1"]) | ids  # ROI ids repeat often
uris = st.builds(lambda scheme, name, ext: f"{scheme}{name}{ext}",
                 st.sampled_from(["s3://bucket/", "https://h.example/x/", "/data/", "gs://g/"]),
                 st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1,
                         max_size=10),
                 st.sampled_from([".jpg", ".png", ".mp4", ".webp", "", ".bin"]))
meta_keys = st.text(st.characters(blacklist_characters=".$", blacklist_categories=("Cs",)),
                    min_size=1, max_size=6)
scalars = (st.none() | st.booleans() | st.integers(-(2**53), 2**53)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(meta_keys, inner, max_size=3), max_leaves=6)
metas = st.dictionaries(meta_keys, json_values, max_size=4)
coords = st.integers(-5000, 5000) | st.floats(-5000, 5000, allow_nan=False)
parts = st.lists(st.tuples(coords, coords), min_size=3, max_size=6).map(
    lambda pts: [c for p in pts for c in p])
labels = st.lists(st.text(max_size=6), max_size=3)
confidences = st.none() | st.floats(0, 1)


@st.composite
def annotation_kwargs(draw) -> dict:
    kind = draw(st.sampled_from(["poly", "multipoly", "box", "ellipse", "points", "label"]))
    kw: dict = {"labels": draw(labels), "confidence": draw(confidences),
                "metadata": draw(st.none() | metas), "id": draw(roi_ids)}
    if kind == "poly":
        kw["poly2d_xy"] = draw(parts)
    elif kind == "multipoly":
        kw["poly2d_xy"] = draw(st.lists(parts, min_size=2, max_size=3))
    elif kind == "box":
        kw["box2d_xywh"] = draw(st.lists(coords, min_size=4, max_size=4))
    elif kind == "ellipse":
        kw["ellipse2d_xyrrt"] = draw(st.lists(st.integers(-500, 500), min_size=5, max_size=5))
    elif kind == "points":
        kw["points2d_xy"] = draw(st.lists(st.tuples(coords, coords).map(list), min_size=1,
                                          max_size=4))
    return kw


@st.composite
def single_frames(draw, with_rois: bool = True) -> SingleFrame:
    f = SingleFrame(draw(uris), width=draw(st.none() | st.integers(0, 10_000)),
                    height=draw(st.none() | st.integers(0, 10_000)),
                    preview_uri=draw(st.none() | uris), metadata=draw(metas),
                    context_id=draw(st.none() | st.text(max_size=10)),
                    timestamp=draw(st.none() | st.integers(0, 2**42)), id=draw(st.none() | ids),
                    source_meta=draw(st.none() | metas))
    masks = draw(st.none() | st.lists(uris, max_size=3) | st.dictionaries(ids, uris, max_size=3))
    if masks is not None:
        f.masks_source = masks
    for kw in draw(st.lists(annotation_kwargs(), max_size=4 if with_rois else 0)):
        f.add_annotation(**kw)
    if draw(st.booleans()):
        f.dataset = {"id": draw(ids), "version": draw(ids)}
        f.saved = draw(st.integers(0, 2**42))
        f.saved_in_version = f.dataset["version"]
    return f


@st.composite
def frame_groups(draw) -> FrameGroup:
    keys = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    fg = FrameGroup(metadata=draw(metas), context_id=draw(st.none() | st.text(max_size=10)),
                    timestamp=draw(st.none() | st.integers(0, 2**42)), id=draw(st.none() | ids))
    for key in keys:
        fg[key] = draw(single_frames(with_rois=False))
    ops = draw(st.lists(st.tuples(st.none() | st.sampled_from(keys), annotation_kwargs()),
                        max_size=6))
    for key, kw in ops:
        if key is None:
            fg.add_global_annotation(**kw)
        else:
            fg[key].add_annotation(**kw)
    return fg


def snapshot(frame) -> dict:
    """What a frame holds, read through the object API rather than through to_dict()."""
    members = frame.values() if isinstance(frame, FrameGroup) else [frame]
    return {
        "id": frame.id, "context_id": frame.context_id, "timestamp": frame.timestamp,
        "meta": frame.meta, "dataset": frame.dataset, "saved": frame.saved,
        "members": [(m.source_id, m.source, m.width, m.height, m.content_type, m.preview_uri,
                     m.masks_source, m.source_meta) for m in members],
        "rois": [(r.id, r.labels, r.parts(), r.points, r.confidence, r.sources, r.meta)
                 for r in frame.rois],
    }


def check_round_trip(frame, cls) -> None:
    d = frame.to_dict()
    wire = json.loads(json.dumps(d))
    assert wire == d
    back = cls.from_dict(wire)
    assert type(back) is cls
    assert back == frame
    assert back.to_dict() == d
    assert snapshot(back) == snapshot(frame)
    via_any = frame_from_dict(wire)
    assert type(via_any) is cls
    assert via_any == frame


@settings(max_examples=150, deadline=None)
@given(single_frames())
def test_single_frame_round_trips(frame):
    check_round_trip(frame, SingleFrame)


@settings(max_examples=100, deadline=None)
@given(frame_groups())
def test_frame_group_round_trips(group):
    check_round_trip(group, FrameGroup)
    back = FrameGroup.from_dict(group.to_dict())
    assert list(back) == list(group)
    for key, src in zip(group, back.to_dict()["sources"], strict=True):
        assert back[key].metadata == group[key].metadata
        assert back[key].metadata is back[key].source_meta
        assert src.get("meta", {}) == group[key].metadata


@settings(max_examples=50, deadline=None)
@given(single_frames())
def test_a_valid_frame_validates(frame):
    frame.validate()
