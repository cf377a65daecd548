"""to_dict with dotted projections."""

from __future__ import annotations

import pytest

from hyperloader.dataview._project import project

DOC = {"id": "f1", "meta": {"a": 1, "b": {"c": 2}},
       "sources": [{"id": "default", "uri": "s3://x/1.jpg", "width": 3}],
       "rois": [{"label": ["Car"], "confidence": 0.5}, {"label": ["Bus"]}]}


def test_project_dotted_fields():
    assert project(DOC, ["id", "sources.uri", "rois.label", "meta.b.c", "missing.x"]) == {
        "id": "f1", "sources": [{"uri": "s3://x/1.jpg"}],
        "rois": [{"label": ["Car"]}, {"label": ["Bus"]}], "meta": {"b": {"c": 2}}}


def test_project_whole_subtree_wins():
    assert project(DOC, ["rois.label", "rois"])["rois"] == DOC["rois"]
    assert project(DOC, ["rois", "rois.label"])["rois"] == DOC["rois"]


def test_project_none_is_everything():
    assert project(DOC, None) is DOC


def test_bad_projection():
    with pytest.raises(ValueError, match="dotted"):
        project(DOC, ["rois..label"])


def test_view_to_dict(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Truck")
    dv.add_mapping_rule(["Truck"], "lorry")
    dv.set_labels({"lorry": 4})
    assert dv.to_dict(projection=["id", "sources.uri", "rois.label", "rois.label_num",
                                  "dataset.version"]) == [{
        "id": "f5", "sources": [{"uri": "s3://bucket/f5.jpg"}],
        "rois": [{"label": ["Car"], "label_num": -1}, {"label": ["Car"], "label_num": -1},
                 {"label": ["lorry"], "label_num": 4}],
        "dataset": {"version": "traffic-v1"}}]
    full = dv.to_dict()
    assert full[0]["meta"] == {"speed": 70} and full[0]["dataset"]["id"] == "ds-traffic"
