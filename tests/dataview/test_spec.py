"""to_json / from_json: the whole spec round-trips, pinned to version ids."""

from __future__ import annotations

import json

import pytest

from hyperloader.dataview import DataView, RoiQuery
from tests.dataview.dataview_data import frame, ids


def _full_view(view) -> DataView:
    dv = view(name="train", iteration_order="random", iteration_infinite=True, random_seed=99)
    dv.add_query(dataset_name="traffic", roi_query=["Car", "partly_occluded"], weight=2.0)
    dv.add_query(dataset_name="*", version_name="*", roi_query="Truck", weight=0.5)
    dv.add_multi_query("traffic", "v2", [RoiQuery("Car", count_range=(1, 2),
                                                  conf_range=(0.1, 0.95)),
                                         RoiQuery("Person", must_not=True)],
                       frame_query="meta.speed:>1")
    dv.add_mapping_rule(["Car"], "vehicle", dataset_name="traffic", version_name="v1")
    dv.set_labels({"vehicle": 1, "Truck": 2})
    dv.output_rois = "only_filtered"
    dv.set_iteration_parameters(maximum_number_of_frames=25)
    return dv


def test_round_trip_reproduces_spec_and_stream(view, catalog):
    dv = _full_view(view)
    text = dv.to_json()
    again = DataView.from_json(text, catalog=catalog)
    assert again.to_json() == text
    assert again.fingerprint == dv.fingerprint
    assert (again.name, again.random_seed, again.maximum_number_of_frames) == ("train", 99, 25)
    assert again.get_labels() == {"vehicle": 1, "Truck": 2}
    assert again.output_rois == "only_filtered"
    assert again.get_rule_counts() == dv.get_rule_counts()
    assert [f.to_dict() for f in again] == [f.to_dict() for f in dv]


def test_rules_are_pinned_to_version_ids(view):
    spec = json.loads(_full_view(view).to_json())
    assert [r["pinned"] for r in spec["rules"]] == [
        [["ds-traffic", "traffic-v1"]],
        [["ds-traffic", "traffic-v1"], ["ds-traffic", "traffic-v2"]],
        [["ds-traffic", "traffic-v2"]],
    ]
    assert spec["mapping"][0]["version_id"] == "traffic-v1"
    assert [r["weight"] for r in spec["rules"]] == [2.0, 0.5, 1.0]
    assert spec["iteration"] == {"order": "random", "infinite": True, "random_seed": 99,
                                 "maximum_number_of_frames": 25, "initial_iteration": 0}


def test_pinned_spec_ignores_later_versions(view, catalog):
    dv = view()
    dv.add_query(dataset_name="traffic")  # the latest published version: v1
    text = dv.to_json()
    catalog.add_version("traffic", "v3", [frame("n1", "N", 0)], status="published")
    assert ids(DataView.from_json(text, catalog=catalog)) == ids(dv)
    fresh = DataView(catalog=catalog)
    fresh.add_query(dataset_name="traffic")
    assert ids(fresh) == ["n1"]


def test_random_seed_none_is_recorded(view, catalog):
    dv = view(iteration_order="random")
    dv.add_query(dataset_name="clips")
    again = DataView.from_json(json.loads(dv.to_json()), catalog=catalog)
    assert isinstance(dv.random_seed, int) and again.random_seed == dv.random_seed
    assert ids(again) == ids(dv)


@pytest.mark.parametrize("text", ['{"format": "other"}', "[]",
                                  '{"format": "hyperloader.dataview/1"}'])
def test_bad_spec(text, catalog):
    with pytest.raises(ValueError, match="spec"):
        DataView.from_json(text, catalog=catalog)


def test_fingerprint_tracks_selection_not_seed(view):
    a = view(random_seed=1)
    a.add_query(dataset_name="traffic", roi_query="Car")
    b = view(random_seed=2)
    b.add_query(dataset_name="traffic", roi_query="Car")
    assert a.fingerprint == b.fingerprint
    b.add_query(dataset_name="pets")
    assert a.fingerprint != b.fingerprint


def test_pickle_carries_the_spec_and_catalog_not_the_plan(view):
    import pickle

    dv = _full_view(view)
    expected = [f.to_dict() for f in dv]
    assert set(dv.__getstate__()) == {"spec", "catalog"}
    blob = pickle.dumps(dv)
    again = pickle.loads(blob)
    assert [f.to_dict() for f in again] == expected
    assert again.fingerprint == dv.fingerprint


def test_memory_catalog_rejects_a_taken_version_id(catalog):
    with pytest.raises(ValueError, match="taken"):
        catalog.add_version("pets", "v9", [], version_id="pets-v1")
