"""output_rois: all_in_frame, only_filtered and frame_per_roi."""

from __future__ import annotations

import pytest

from hyperloader.dataview import DataView, MemoryCatalog, OutputRois, RoiQuery
from hyperloader.model import FrameGroup
from tests.dataview.dataview_data import frame, ids


def _roi_ids(frames) -> list[tuple[str, list[str]]]:
    return [(f.id, [r.id for r in f.rois]) for f in frames]


def _view(view, mode, **rule):
    dv = view()
    dv.output_rois = mode
    dv.add_query(dataset_name="traffic", version_name="v1", **rule)
    return dv


def test_default_is_all_in_frame(view):
    dv = _view(view, "all_in_frame", roi_query="Truck")
    assert dv.output_rois is OutputRois.all_in_frame
    assert _roi_ids(dv) == [("f5", ["f5-r0", "f5-r1", "f5-r2"])]


def test_only_filtered_keeps_the_rois_that_matched(view):
    dv = _view(view, OutputRois.only_filtered, roi_query='label:"Car" AND confidence:>0.5')
    assert _roi_ids(dv) == [("f6", ["f6-r0"]), ("f3", ["f3-r0"]), ("f1", ["f1-r0"]),
                            ("f5", ["f5-r1"])]


def test_only_filtered_unions_the_rois_of_every_rule(view):
    dv = _view(view, "only_filtered", roi_query="Truck")
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="confidence:<0.3")
    assert _roi_ids(dv) == [("f5", ["f5-r0", "f5-r2"])]


def test_only_filtered_with_a_rule_without_roi_query_keeps_all(view):
    dv = _view(view, "only_filtered", frame_query="meta.speed:70")
    assert _roi_ids(dv) == [("f5", ["f5-r0", "f5-r1", "f5-r2"])]


def test_only_filtered_multi_query_keeps_positive_matches(view):
    dv = view()
    dv.output_rois = "only_filtered"
    dv.add_multi_query("traffic", "v1", [RoiQuery("Truck"), RoiQuery("Car", conf_range=(0.9, 1)),
                                         RoiQuery("Person", must_not=True)])
    assert _roi_ids(dv) == [("f5", ["f5-r1", "f5-r2"])]


def test_frame_per_roi_yields_one_copy_per_matching_roi(view):
    dv = _view(view, "frame_per_roi", roi_query="Car")
    assert _roi_ids(dv) == [("f6", ["f6-r0"]), ("f3", ["f3-r0"]), ("f1", ["f1-r0"]),
                            ("f1", ["f1-r1"]), ("f5", ["f5-r0"]), ("f5", ["f5-r1"])]
    assert dv.get_count() == len(dv) == 6
    assert dv.get_rule_counts() == [6]


def test_frame_per_roi_without_roi_query_yields_every_roi(view):
    dv = _view(view, "frame_per_roi", frame_query="meta.speed:[20 TO 30]")
    assert _roi_ids(dv) == [("f2", ["f2-r0"]), ("f6", ["f6-r0"])]


def test_only_filtered_on_a_frame_group():
    group = frame("g1", "G", 0, [("cat", 1.0), ("dog", 1.0)])
    group["sources"] = [dict(group["sources"][0], id="left"), dict(group["sources"][0],
                                                                   id="right")]
    group["rois"][0]["sources"], group["rois"][1]["sources"] = ["left"], ["right"]
    cat = MemoryCatalog()
    cat.add_version("groups", "v1", [group])
    dv = DataView(catalog=cat)
    dv.output_rois = "only_filtered"
    dv.add_query(dataset_name="groups", roi_query="dog")
    (out,) = dv.to_list()
    assert isinstance(out, FrameGroup)
    assert [r.labels for r in out.rois] == [["dog"]]
    assert ids([out]) == ["g1"]


def test_bad_output_rois_lists_the_known_values(view):
    dv = view()
    with pytest.raises(ValueError, match="'all_in_frame', 'only_filtered', 'frame_per_roi'"):
        dv.output_rois = "some"
