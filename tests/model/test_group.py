"""FrameGroup: a dict of SingleFrames keyed by source id, global ROIs, member meta, ROI order."""

from __future__ import annotations

import pickle

import pytest

from hyperloader.errors import InvalidFrameError
from hyperloader.model import FrameGroup, SingleFrame, frame_from_dict

L, R = "s3://b/left/0001.png", "s3://b/right/0001.png"


def make_group() -> FrameGroup:
    fg = FrameGroup(id="g", metadata={"drive": 7})
    fg["left"] = SingleFrame(L, width=640, height=480, timestamp=100)
    fg["right"] = SingleFrame(R, width=320, height=240, timestamp=101)
    return fg


def roi_ids(d: dict) -> list[str]:
    return [r["id"] for r in d["rois"]]


# -- the mapping --------------------------------------------------------------------------------

def test_members_are_keyed_by_source_id_in_insertion_order():
    fg = make_group()
    assert list(fg) == ["left", "right"]
    assert len(fg) == 2
    assert fg["right"].source == R
    assert "left" in fg and "centre" not in fg
    assert [s.id for s in fg.sources] == ["left", "right"]
    assert [(s["id"], s["uri"]) for s in fg.to_dict()["sources"]] == [("left", L), ("right", R)]


def test_member_source_id_becomes_the_key():
    fg = make_group()
    assert fg["left"].source_id == "left"
    assert fg["right"].to_dict()["sources"][0]["id"] == "right"


def test_deleting_a_member_removes_its_source():
    fg = make_group()
    del fg["left"]
    assert list(fg) == ["right"]
    assert [s["id"] for s in fg.to_dict()["sources"]] == ["right"]
    with pytest.raises(KeyError):
        fg["left"]


def test_constructor_takes_initial_members():
    fg = FrameGroup({"a": SingleFrame(L), "b": SingleFrame(R)}, context_id="ctx", timestamp=9)
    assert list(fg) == ["a", "b"]
    assert (fg.context_id, fg.timestamp) == ("ctx", 9)


def test_members_must_be_single_frames():
    fg = FrameGroup()
    with pytest.raises(TypeError, match="SingleFrame"):
        fg["x"] = {"uri": L}
    assert len(fg) == 0


@pytest.mark.parametrize("key", ["", 3])
def test_member_keys_must_be_non_empty_strings(key):
    fg = FrameGroup(id="g")
    with pytest.raises(InvalidFrameError) as ei:
        fg[key] = SingleFrame(L)
    assert ei.value.frame_id == "g"
    assert len(fg) == 0


def test_num_frames_counts_the_sources():
    assert make_group().to_dict()["num_frames"] == 2


# -- defaults -----------------------------------------------------------------------------------

def test_context_and_timestamp_default_to_the_first_source():
    d = make_group().to_dict()
    assert d["context_id"] == L
    assert d["timestamp"] == 100
    assert [s["timestamp"] for s in d["sources"]] == [100, 101]


def test_empty_group_has_a_repr_and_does_not_serialise_into_a_frame():
    fg = FrameGroup(id="g")
    assert repr(fg) == "FrameGroup(id='g', context_id='')"
    assert fg.timestamp == 0
    with pytest.raises(InvalidFrameError, match="at least one source"):
        FrameGroup.from_dict(fg.to_dict())


# -- meta ---------------------------------------------------------------------------------------

def test_group_meta_is_the_frame_meta():
    fg = make_group()
    assert fg.meta is fg.metadata
    fg.metadata["weather"] = "sun"
    assert fg.to_dict()["meta"] == {"drive": 7, "weather": "sun"}


def test_member_metadata_is_written_as_source_meta():
    fg = FrameGroup(id="g")
    fg["left"] = SingleFrame(L, metadata={"camera": "L"})
    fg["left"].metadata["gain"] = 2
    fg["right"] = SingleFrame(R)
    d = fg.to_dict()
    assert d["sources"][0]["meta"] == {"camera": "L", "gain": 2}
    assert "meta" not in d["sources"][1]
    assert "meta" not in d  # the group's own meta stays empty


def test_member_metadata_merges_with_existing_source_meta():
    fg = FrameGroup()
    member = SingleFrame(L, metadata={"a": 1}, source_meta={"b": 2})
    fg["left"] = member
    assert member.meta is member.source_meta
    assert member.meta == {"a": 1, "b": 2}


def test_source_meta_reads_back_as_member_metadata(group_dict):
    fg = FrameGroup.from_dict(group_dict)
    assert fg["left"].metadata == {"camera": "L", "exposure": 0.5}
    assert fg["right"].meta == {"camera": "R"}
    fg["right"].metadata["iso"] = 800
    assert fg.to_dict()["sources"][1]["meta"] == {"camera": "R", "iso": 800}
    assert fg.meta == {"weather": "rain", "nested": {"a": [1, 2]}}


# -- annotations --------------------------------------------------------------------------------

def test_member_annotations_are_bound_to_their_source():
    fg = make_group()
    fg["right"].add_annotation(box2d_xywh=[0, 0, 2, 2], labels=["car"], id="r1")
    assert fg.to_dict()["rois"] == [{"id": "r1", "label": ["car"], "poly": [0, 0, 2, 0, 2, 2, 0, 2],
                                     "sources": ["right"]}]


def test_annotations_made_before_joining_are_rebound():
    member = SingleFrame(L)
    member.add_annotation(labels=["a"], id="r1")
    assert member.annotations[0].sources == ["default"]
    fg = FrameGroup()
    fg["cam"] = member
    assert fg.to_dict()["rois"][0]["sources"] == ["cam"]


def test_global_annotation_is_bound_to_every_source():
    fg = make_group()
    roi = fg.add_global_annotation(poly2d_xy=[[0, 0, 5, 0, 5, 5], [9, 9, 12, 9, 12, 12]],
                                   labels="road", confidence=0.9, metadata={"lane": 2}, id="gr")
    assert roi.sources == ["left", "right"]
    assert fg.global_annotations == [roi]
    assert fg.to_dict()["rois"] == [{
        "id": "gr", "label": ["road"], "poly": [0, 0, 5, 0, 5, 5, -999999999, 9, 9, 12, 9, 12, 12],
        "confidence": 0.9, "sources": ["left", "right"], "meta": {"lane": 2}}]


def test_global_frame_label():
    fg = make_group()
    roi = fg.add_global_annotation(labels=["night"])
    assert roi.is_frame_label
    assert fg.to_dict()["rois"][0]["sources"] == ["left", "right"]


def test_global_annotation_is_validated():
    fg = make_group()
    with pytest.raises(InvalidFrameError) as ei:
        fg.add_global_annotation(labels=["x"], confidence=1.5)
    assert (ei.value.frame_id, ei.value.field, ei.value.value) == ("g", "rois[0].confidence", 1.5)
    assert fg.global_annotations == []


def test_rois_lists_member_rois_then_global_ones():
    fg = make_group()
    fg.add_global_annotation(labels=["g"], id="g0")
    fg["right"].add_annotation(labels=["r"], id="r0")
    fg["left"].add_annotation(labels=["l"], id="l0")
    assert [r.id for r in fg.rois] == ["l0", "r0", "g0"]


# -- round trips and ROI order ------------------------------------------------------------------

def test_group_dict_round_trips_exactly(group_dict):
    fg = FrameGroup.from_dict(group_dict)
    assert fg.to_dict() == group_dict
    assert fg.dataset == {"id": "ds1", "version": "v1"}
    assert (fg.saved, fg.saved_in_version) == (1700000000000, "v1")


def test_frame_from_dict_builds_a_group_from_several_sources(group_dict):
    fg = frame_from_dict(group_dict)
    assert type(fg) is FrameGroup
    assert fg == FrameGroup.from_dict(group_dict)


def test_interleaved_roi_order_is_preserved(group_dict):
    fg = FrameGroup.from_dict(group_dict)
    assert roi_ids(fg.to_dict()) == ["r0", "r1", "r2", "r3", "r4"]
    assert [r.id for r in fg.global_annotations] == ["r0", "r3"]
    assert [r.id for r in fg["left"].annotations] == ["r2", "r4"]
    assert [r.id for r in fg["right"].annotations] == ["r1"]
    again = FrameGroup.from_dict(FrameGroup.from_dict(fg.to_dict()).to_dict())
    assert roi_ids(again.to_dict()) == ["r0", "r1", "r2", "r3", "r4"]


def test_rois_added_after_loading_go_last(group_dict):
    fg = FrameGroup.from_dict(group_dict)
    fg["left"].add_annotation(labels=["new-left"], id="n1")
    fg.add_global_annotation(labels=["new-global"], id="n2")
    assert roi_ids(fg.to_dict()) == ["r0", "r1", "r2", "r3", "r4", "n1", "n2"]
    assert roi_ids(FrameGroup.from_dict(fg.to_dict()).to_dict()) == roi_ids(fg.to_dict())


def test_removed_rois_disappear_and_the_rest_keep_their_order(group_dict):
    fg = FrameGroup.from_dict(group_dict)
    fg["left"].annotations.pop(0)  # r2
    fg.global_annotations.pop()  # r3
    assert roi_ids(fg.to_dict()) == ["r0", "r1", "r4"]


def test_roi_order_survives_repeated_roi_ids(group_dict):
    group_dict["rois"] = [
        {"id": "dup", "label": ["1"], "sources": ["right"]},
        {"id": "x", "label": ["2"], "sources": ["left"]},
        {"id": "dup", "label": ["3"], "sources": ["left"]},
        {"id": "dup", "label": ["4"], "sources": ["left", "right"]},
    ]
    fg = FrameGroup.from_dict(group_dict)
    assert [r["label"] for r in fg.to_dict()["rois"]] == [["1"], ["2"], ["3"], ["4"]]


def test_roi_without_sources_belongs_to_every_source(group_dict):
    group_dict["rois"] = [{"id": "a", "label": ["scene"]},
                          {"id": "b", "label": ["x"], "sources": []}]
    fg = FrameGroup.from_dict(group_dict)
    assert [r.sources for r in fg.global_annotations] == [["left", "right"], ["left", "right"]]
    assert [r["sources"] for r in fg.to_dict()["rois"]] == [["left", "right"], ["left", "right"]]


def test_single_source_global_roi_reads_back_as_a_member_roi():
    fg = FrameGroup(id="g")
    fg["only"] = SingleFrame(L)
    fg.add_global_annotation(labels=["x"], id="g0")
    back = FrameGroup.from_dict(fg.to_dict())
    assert [r.id for r in back["only"].annotations] == ["g0"]
    assert back == fg


def test_group_with_one_default_member_reads_back_as_a_group_via_frame_from_dict():
    fg = FrameGroup(id="g")
    fg["default"] = SingleFrame(L)
    assert fg.to_dict()["frame_group"] is True  # the sources alone would say SingleFrame
    assert type(frame_from_dict(fg.to_dict())) is FrameGroup
    assert type(FrameGroup.from_dict(fg.to_dict())) is FrameGroup
    assert frame_from_dict(fg.to_dict()) == fg


def test_equality_and_pickling(group_dict):
    a, b = FrameGroup.from_dict(group_dict), FrameGroup.from_dict(group_dict)
    assert a == b
    b["left"].meta["camera"] = "X"
    assert a != b
    assert a != group_dict
    clone = pickle.loads(pickle.dumps(a))
    assert clone == a
    assert roi_ids(clone.to_dict()) == ["r0", "r1", "r2", "r3", "r4"]
    with pytest.raises(TypeError):
        hash(a)
