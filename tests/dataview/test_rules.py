"""Which frames rules select: ROI, frame, source and multi queries; wildcards; errors."""

from __future__ import annotations

import pytest

from hyperloader.dataview import DataView, RoiQuery
from hyperloader.errors import DatasetNotFoundError, QuerySyntaxError, VersionNotFoundError
from tests.dataview.dataview_data import TRAFFIC_ORDER, frame, ids


def _select(view, **rule) -> list[str]:
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", **rule)
    return ids(dv)


def test_rule_without_query_selects_every_frame(view):
    assert _select(view) == TRAFFIC_ORDER


@pytest.mark.parametrize(("roi_query", "expected"), [
    ("Car", ["f6", "f3", "f1", "f5"]),
    ("Person", ["f2"]),
    (["Car", "partly_occluded"], ["f3", "f1"]),
    ('label:"Car" AND NOT label:"partly_occluded"', ["f6", "f1", "f5"]),
    ("confidence:[0.9 TO 1]", ["f1", "f5"]),
    ('label:"Car" AND confidence:[0.5 TO 0.8]', ["f6", "f3"]),
    ("Bicycle", []),
])
def test_roi_query_forms(view, roi_query, expected):
    assert _select(view, roi_query=roi_query) == expected


def test_roi_query_conditions_hold_on_one_roi(view):
    # f1 has a Car at 0.9 and a (Car, partly_occluded) at 0.4: no single ROI is both
    assert "f1" not in _select(view, roi_query='label:"partly_occluded" AND confidence:>0.5')


def test_frame_query(view):
    assert _select(view, frame_query="meta.speed:[10 TO 40]") == ["f2", "f6", "f1"]


def test_source_query(view):
    assert _select(view, source_query="width:1280") == ["f4", "f2"]


def test_queries_of_one_rule_are_anded(view):
    assert _select(view, roi_query="Car", frame_query="meta.speed:>15",
                   source_query="width:640") == ["f6", "f3", "f5"]


def test_rules_are_ored_and_a_frame_matched_twice_appears_once(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Person")
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Truck")
    dv.add_query(dataset_name="traffic", version_name="v1", frame_query="meta.speed:>=50")
    assert ids(dv) == ["f2", "f3", "f5"]
    assert dv.get_count(per_rule=True) == (3, [1, 1, 2])
    assert dv.get_rule_counts() == [1, 1, 2]
    assert len(dv) == dv.get_count() == dv.num_entries() == 3


def test_multi_query_each_roi_query_on_its_own(view):
    dv = view()
    dv.add_multi_query("traffic", "v1", [DataView.RoiQuery("Car"), RoiQuery("Truck")])
    assert ids(dv) == ["f5"]


def test_multi_query_must_not(view):
    dv = view()
    dv.add_multi_query("traffic", "v1", [RoiQuery("Car"),
                                         RoiQuery("partly_occluded", must_not=True)])
    assert ids(dv) == ["f6", "f5"]


@pytest.mark.parametrize(("count_range", "expected"), [
    ((2, 2), ["f1", "f5"]), ((1, 1), ["f6", "f3"]), ((0, 0), ["f4", "f2"]),
    ((2, 5), ["f1", "f5"]),
])
def test_multi_query_count_range(view, count_range, expected):
    dv = view()
    dv.add_multi_query("traffic", "v1", [RoiQuery("Car", count_range=count_range)])
    assert ids(dv) == expected


def test_multi_query_conf_range_bounds_the_matching_rois(view):
    dv = view()
    dv.add_multi_query("traffic", "v1", [RoiQuery("Car", conf_range=(0.5, 0.8))])
    assert ids(dv) == ["f6", "f3"]
    dv = view()
    dv.add_multi_query("traffic", "v1",
                       [RoiQuery("Car", conf_range=(0.3, 1.0), count_range=(2, 2))])
    assert ids(dv) == ["f1"]  # f5 has only one Car with confidence >= 0.3


def test_multi_query_lucene_label_and_frame_query(view):
    dv = view()
    dv.add_multi_query("traffic", "v1", [RoiQuery('label:"Car" AND confidence:>0.5')],
                       frame_query="meta.speed:<60")
    assert ids(dv) == ["f6", "f3", "f1"]


def test_default_version_is_the_latest_published(view):
    dv = view()
    dv.add_query(dataset_name="traffic")  # v1 is published, v2 a draft
    assert "f7" not in ids(dv)
    assert dv.versions()[0].version_id == "traffic-v1"


def test_default_version_without_published_is_the_latest_draft(view):
    dv = view()
    dv.add_query(dataset_name="pets")
    assert ids(dv) == ["p1", "p2"]


def test_dataset_and_version_ids(view):
    dv = view()
    dv.add_query(dataset_id="ds-traffic", version_id="traffic-v2", roi_query="Bus")
    assert ids(dv) == ["f7"]


def test_wildcard_version_reads_every_version(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="*", roi_query="Truck")
    frames = list(dv)
    assert [(f.id, f.dataset["version"]) for f in frames] == [("f5", "traffic-v1"),
                                                               ("f5", "traffic-v2")]


def test_wildcard_dataset_means_datasets_named_by_other_rules(view):
    dv = view()
    dv.add_query(dataset_name="*", version_name="v1", roi_query="cat")
    dv.add_query(dataset_name="pets", version_name="v1", roi_query="dog")
    assert ids(dv) == ["p1", "p2"]  # '*' covers pets only, not traffic or clips


def test_wildcard_only_view_is_rejected(view):
    dv = view()
    dv.add_query(dataset_name="*", roi_query="cat")
    with pytest.raises(ValueError, match="concrete dataset"):
        dv.get_count()


def test_view_without_rules_is_rejected(view):
    with pytest.raises(ValueError, match="no rules"):
        view().get_count()


def test_unknown_dataset_raises_the_not_found_error(view):
    with pytest.raises(DatasetNotFoundError, match="traffik"):
        view().add_query(dataset_name="traffik")


def test_unknown_version_raises_the_not_found_error(view):
    with pytest.raises(VersionNotFoundError, match="v9"):
        view().add_query(dataset_name="traffic", version_name="v9")


def test_missing_dataset_is_a_value_error(view):
    with pytest.raises(ValueError, match="dataset_name"):
        view().add_query(roi_query="Car")


@pytest.mark.parametrize("rule", [{"roi_query": 'label:"Car" AND ('},
                                  {"frame_query": "meta.speed:[1 TO"},
                                  {"source_query": "width:)"}])
def test_query_syntax_errors_propagate(view, rule):
    with pytest.raises(QuerySyntaxError):
        view().add_query(dataset_name="traffic", **rule)


def test_multi_query_syntax_error_propagates(view):
    with pytest.raises(QuerySyntaxError):
        view().add_multi_query("traffic", "v1", [RoiQuery("label:(")])


@pytest.mark.parametrize("kwargs", [{"count_range": (3, 1)}, {"conf_range": (0.9, 0.1)},
                                    {"count_range": (-1, 2)}, {"conf_range": "high"}])
def test_bad_roi_query_ranges(kwargs):
    with pytest.raises(ValueError, match="range"):
        RoiQuery("Car", **kwargs)


@pytest.mark.parametrize("weight", [-1.0, float("inf")])
def test_bad_weight(view, weight):
    with pytest.raises(ValueError, match="weight"):
        view().add_query(dataset_name="traffic", weight=weight)


def test_meta_key_missing_in_one_version_matches_nothing_there(view, caplog):
    dv = view()
    dv.add_query(dataset_name="pets")
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Bicycle")
    dv.add_query(dataset_name="*", version_name="v1", frame_query="meta.speed:>60")
    assert ids(dv) == ["f5", "p1", "p2"]
    assert dv.get_rule_counts() == [2, 0, 1]
    assert "matches nothing in one version" in caplog.text


def test_meta_key_missing_in_every_version_raises(view):
    dv = view()
    dv.add_query(dataset_name="pets", frame_query="meta.speed:>60")
    with pytest.raises(QuerySyntaxError, match="meta.speed"):
        dv.get_count()


def test_empty_version_and_frames_without_rois(catalog):
    catalog.add_version("empty", "v1", [])
    catalog.add_version("bare", "v1", [frame("b1", "Z", 0)])
    dv = DataView(catalog=catalog)
    dv.add_query(dataset_name="empty")
    dv.add_query(dataset_name="bare", roi_query="cat")
    assert ids(dv) == [] and dv.get_rule_counts() == [0, 0]
    dv = DataView(catalog=catalog)
    dv.output_rois = "frame_per_roi"
    dv.add_query(dataset_name="bare")
    assert ids(dv) == []  # frame_per_roi: a frame without ROIs yields no copy
