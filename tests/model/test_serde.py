"""The frame JSON: the reference frame, field names, and property-based round trips."""

from __future__ import annotations

import copy
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
    is_single_frame_dict,
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


# -- to_dict returns independent data ------------------------------------------------------------

def scribble(value) -> None:
    """Mutate every container inside a JSON-like value in place."""
    if isinstance(value, dict):
        for v in list(value.values()):
            scribble(v)
        value["scribbled"] = True
    elif isinstance(value, list):
        for v in value:
            scribble(v)
        value.append("scribbled")


def rich_frame() -> SingleFrame:
    f = SingleFrame("s3://b/a.jpg", width=8, height=6, id="f1", timestamp=3,
                    metadata={"k": "v", "nested": {"a": [1, 2]}, "tags": ["x"]},
                    source_meta={"cam": {"gain": [1]}})
    f.masks_source = {"seg": "s3://b/seg.png"}
    f.add_annotation(poly2d_xy=[[0, 0, 1, 0, 1, 1], [5, 5, 6, 5, 6, 6]], labels=["a"],
                     metadata={"attrs": {"occluded": [True]}}, id="r1")
    f.annotations[0].mask = {"id": "seg", "value": [1, 2, 3]}
    f.dataset = {"id": "d", "version": "v"}
    return f


def test_mutating_to_dict_output_leaves_the_frame_alone():
    f = rich_frame()
    before = copy.deepcopy(f.to_dict())
    scribble(f.to_dict())
    assert f.to_dict() == before
    assert f.meta == {"k": "v", "nested": {"a": [1, 2]}, "tags": ["x"]}
    assert f.rois[0].mask == {"id": "seg", "value": [1, 2, 3]}


def test_mutating_to_dict_output_leaves_a_group_alone(group_dict):
    fg = FrameGroup.from_dict(group_dict)
    before = copy.deepcopy(fg.to_dict())
    scribble(fg.to_dict())
    assert fg.to_dict() == before
    scribble(fg["left"].to_dict())
    assert fg.to_dict() == before


def test_mutating_roi_to_dict_output_leaves_the_roi_alone():
    roi = Roi(labels=["a"], poly=[0, 0, 1, 0, 1, 1], meta={"m": {"n": [1]}},
              mask={"id": "00", "value": [1, 1, 1]})
    before = copy.deepcopy(roi_to_dict(roi))
    scribble(roi_to_dict(roi))
    assert roi_to_dict(roi) == before


def test_from_dict_shares_nothing_mutable_with_its_input(group_dict):
    for build in (FrameGroup.from_dict, frame_from_dict):
        d = copy.deepcopy(group_dict)
        d["rois"][1]["mask"] = {"id": "seg", "value": [9]}
        before = copy.deepcopy(d)
        frame = build(d)
        scribble(frame.meta)
        scribble(frame["left"].source_meta)
        for roi in frame.rois:
            scribble(roi.meta)
            if roi.mask is not None:
                scribble(roi.mask)
        assert d == before


def test_single_frame_from_dict_shares_nothing_mutable_with_its_input(ref_dict):
    ref_dict["meta"] = {"nested": {"a": [1]}}
    ref_dict["rois"][0]["meta"] = {"attrs": ["x"]}
    before = copy.deepcopy(ref_dict)
    f = SingleFrame.from_dict(ref_dict)
    scribble(f.meta)
    scribble(f.rois[0].meta)
    assert ref_dict == before


# -- SingleFrame vs FrameGroup survives the JSON -------------------------------------------------

def test_a_group_whose_only_member_is_default_reads_back_as_a_group():
    fg = FrameGroup(id="g", metadata={"k": 1})
    fg["default"] = SingleFrame("s3://b/a.jpg", width=4, height=3)
    fg["default"].add_annotation(labels=["a"], id="r")
    wire = json.loads(json.dumps(fg.to_dict()))
    back = frame_from_dict(wire)
    assert type(back) is FrameGroup
    assert back == fg
    assert list(back) == ["default"]
    assert back.to_dict() == fg.to_dict()


def test_a_single_frame_with_another_source_id_reads_back_as_a_single_frame():
    f = SingleFrame.from_dict({"id": "f", "sources": [{"id": "cam", "uri": "s3://b/a.jpg"}],
                               "rois": [{"id": "r", "label": ["x"]}]})
    back = frame_from_dict(json.loads(json.dumps(f.to_dict())))
    assert type(back) is SingleFrame
    assert back == f
    assert back.source_id == "cam"


def test_unambiguous_frames_carry_no_type_marker(ref_dict, group_dict):
    assert "frame_group" not in SingleFrame.from_dict(ref_dict).to_dict()
    assert "frame_group" not in FrameGroup.from_dict(group_dict).to_dict()


def test_a_two_member_group_losing_a_member_stays_a_group():
    fg = FrameGroup(id="g")
    fg["default"] = SingleFrame("s3://b/a.jpg")
    fg["other"] = SingleFrame("s3://b/b.jpg")
    del fg["other"]
    assert type(frame_from_dict(fg.to_dict())) is FrameGroup


def test_frame_group_marker_must_be_a_bool():
    with pytest.raises(InvalidFrameError) as ei:
        frame_from_dict({"id": "f", "sources": [{"uri": "a.jpg"}], "frame_group": "yes"})
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("f", "frame_group", "yes")


def test_is_single_frame_dict_follows_the_marker():
    one = {"id": "f", "sources": [{"id": "default", "uri": "a.jpg"}]}
    assert is_single_frame_dict(one)
    assert not is_single_frame_dict({**one, "frame_group": True})
    assert not is_single_frame_dict({"id": "f", "sources": [{"id": "cam", "uri": "a.jpg"}]})
    assert is_single_frame_dict({"id": "f", "sources": [{"id": "cam", "uri": "a.jpg"}],
                                 "frame_group": False})


# -- keys the model does not interpret survive the round trip ------------------------------------

def with_unknown_keys(d: dict) -> dict:
    d["blob"] = "raw bytes ref"
    d["updated"] = {"by": "me", "at": [1, 2]}
    for src in d["sources"]:
        src["preview"] = {"uri": "s3://b/p.jpg", "width": 64}
        src["lens"] = "wide"
        for mask in src.get("masks", []):
            mask["value"] = [255, 0, 0]
    for roi in d["rois"]:
        roi["area"] = 12.5
    return d


@pytest.mark.parametrize("fixture", ["ref_dict", "group_dict"])
def test_unknown_keys_at_every_level_round_trip(request, fixture):
    d = with_unknown_keys(request.getfixturevalue(fixture))
    for build in (frame_from_dict, SingleFrame.from_dict if fixture == "ref_dict"
                  else FrameGroup.from_dict):
        frame = build(copy.deepcopy(d))
        assert frame.to_dict() == d
        assert frame_from_dict(json.loads(json.dumps(frame.to_dict()))) == frame


def test_unknown_keys_are_on_the_objects_and_copied(group_dict):
    d = with_unknown_keys(group_dict)
    fg = FrameGroup.from_dict(d)
    assert fg.extra == {"blob": "raw bytes ref", "updated": {"by": "me", "at": [1, 2]}}
    assert fg["left"]._source.extra == {"lens": "wide"}
    assert fg["left"]._source.preview_extra == {"width": 64}
    assert fg["left"]._source.masks[0].extra == {"value": [255, 0, 0]}
    assert [r.extra for r in fg.rois] == [{"area": 12.5}] * 5
    d["updated"]["at"].append(3)
    assert fg.extra["updated"] == {"by": "me", "at": [1, 2]}
    fg.to_dict()["updated"]["at"].append(4)
    assert fg.extra["updated"] == {"by": "me", "at": [1, 2]}


def test_an_extra_never_overrides_a_modelled_field():
    roi = Roi(labels=["a"], id="r", extra={"label": ["b"], "poly": [1], "area": 3})
    assert roi_to_dict(roi) == {"id": "r", "label": ["a"], "sources": ["default"], "area": 3}


def test_frames_with_unknown_keys_still_compare_by_json(ref_dict):
    a = SingleFrame.from_dict(ref_dict)
    b = SingleFrame.from_dict({**ref_dict, "blob": "x"})
    assert a != b
    a.extra["blob"] = "x"
    assert a == b


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d.update(sources={"default": {"uri": "a.jpg"}}), "sources"),
    (lambda d: d.update(sources=["a.jpg"]), "sources[0]"),
    (lambda d: d["sources"][0].update(masks="m.png"), "sources[0].masks"),
    (lambda d: d["sources"][0].update(masks=["m.png"]), "sources[0].masks[0]"),
    (lambda d: d["sources"][0].update(preview="p.jpg"), "sources[0].preview"),
    (lambda d: d["sources"][0].update(preview={"uri": 5}), "sources[0].preview.uri"),
    (lambda d: d.update(rois={"label": ["a"]}), "rois"),
    (lambda d: d.update(rois=["car"]), "rois[0]"),
])
def test_wrongly_shaped_parts_are_invalid_not_attribute_errors(mutate, field):
    d = {"id": "f", "sources": [{"id": "default", "uri": "a.jpg"}]}
    mutate(d)
    with pytest.raises(InvalidFrameError) as ei:
        frame_from_dict(d)
    assert (ei.value.frame_id, ei.value.field) == ("f", field)


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
extras = st.dictionaries(st.sampled_from(["blob", "area", "x-extra"]), json_values, max_size=2)


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
        f.add_annotation(**kw).extra = draw(extras)
    if draw(st.booleans()):
        f.dataset = {"id": draw(ids), "version": draw(ids)}
        f.saved = draw(st.integers(0, 2**42))
        f.saved_in_version = f.dataset["version"]
    f.extra = draw(extras)
    f._source.extra = draw(extras)
    return f


@st.composite
def frame_groups(draw) -> FrameGroup:
    keys = draw(st.lists(st.just("default") | ids, min_size=1, max_size=3, unique=True))
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
        "extra": frame.extra,
        "members": [(m.source_id, m.source, m.width, m.height, m.content_type, m.preview_uri,
                     m.masks_source, m.source_meta, m._source.extra) for m in members],
        "rois": [(r.id, r.labels, r.parts(), r.points, r.confidence, r.sources, r.meta,
                  r.extra) for r in frame.rois],
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
    scribble(frame.to_dict())  # the output is the caller's to change
    assert frame.to_dict() == d


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
