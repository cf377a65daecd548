"""Label mapping rules, the label enumeration (label_num) and mask label ids."""

from __future__ import annotations

import pytest

from hyperloader.dataview import MappingRule, map_labels
from tests.dataview.dataview_data import ids


def _rois(frames) -> dict[str, list[tuple[list[str], int | None]]]:
    return {f.id: [(r.labels, r.label_num) for r in f.rois] for f in frames}


def test_map_labels_replaces_the_matched_labels_and_keeps_the_rest():
    rules = [MappingRule(("Car",), "vehicle")]
    assert map_labels(["Car", "partly_occluded"], rules) == ["vehicle", "partly_occluded"]
    assert map_labels(["partly_occluded", "Car"], rules) == ["partly_occluded", "vehicle"]
    assert map_labels(["Truck"], rules) == ["Truck"]


def test_map_labels_needs_all_from_labels_and_first_rule_wins():
    rules = [MappingRule(("Car", "partly_occluded"), "hidden_car"),
             MappingRule(("Car",), "vehicle")]
    assert map_labels(["Car", "partly_occluded", "red"], rules) == ["hidden_car", "red"]
    assert map_labels(["Car", "red"], rules) == ["vehicle", "red"]
    assert map_labels(["partly_occluded"], rules) == ["partly_occluded"]


def test_map_labels_does_not_duplicate_the_target():
    assert map_labels(["Car", "vehicle"], [MappingRule(("Car",), "vehicle")]) == ["vehicle"]


def test_mapping_applies_after_matching(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Truck")
    dv.add_mapping_rule(["Truck"], "vehicle")
    dv.add_mapping_rule(["Car"], "vehicle")
    assert _rois(dv) == {"f5": [(["vehicle"], None)] * 3}


def test_label_num_is_the_first_enumerated_mapped_label(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Car")
    dv.add_mapping_rule(["Car", "partly_occluded"], "occluded_car")
    dv.set_labels({"partly_occluded": 5, "Car": 1, "occluded_car": 2, "Truck": 3})
    assert dv.get_labels() == {"partly_occluded": 5, "Car": 1, "occluded_car": 2, "Truck": 3}
    assert _rois(dv) == {
        "f6": [(["Car"], 1)],
        "f3": [(["occluded_car"], 2)],
        "f1": [(["Car"], 1), (["occluded_car"], 2)],
        "f5": [(["Car"], 1), (["Car"], 1), (["Truck"], 3)],
    }


def test_unenumerated_labels_get_minus_one(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Truck")
    dv.set_labels({"Car": 7})
    assert _rois(dv)["f5"] == [(["Car"], 7), (["Car"], 7), (["Truck"], -1)]


def test_enumeration_applies_to_mapped_labels(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Person")
    dv.add_mapping_rule(["Person"], "human")
    dv.set_labels({"Person": 1, "human": 4})
    assert _rois(dv) == {"f2": [(["human"], 4)]}


def test_mapping_rule_scoped_to_one_version(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="*", roi_query="Truck")
    dv.add_mapping_rule(["Truck"], "lorry", dataset_name="traffic", version_name="v2")
    frames = list(dv)
    labels = [(f.dataset["version"], f.rois[2].labels) for f in frames]
    assert labels == [("traffic-v1", ["Truck"]), ("traffic-v2", ["lorry"])]


def test_mapping_rule_of_another_dataset_does_not_apply(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Truck")
    dv.add_mapping_rule(["Truck"], "lorry", dataset_name="pets")
    assert _rois(dv)["f5"][2] == (["Truck"], None)


def test_mapping_rule_with_unknown_dataset(view):
    from hyperloader.errors import DatasetNotFoundError

    with pytest.raises(DatasetNotFoundError):
        view().add_mapping_rule(["Car"], "vehicle", dataset_name="nope")


@pytest.mark.parametrize(("from_labels", "to_label"), [([], "x"), (["Car"], "")])
def test_bad_mapping_rule(view, from_labels, to_label):
    with pytest.raises(ValueError, match="label"):
        view().add_mapping_rule(from_labels, to_label)


def test_bad_labels(view):
    with pytest.raises(ValueError, match="labels must map"):
        view().set_labels({"Car": "1"})


def test_mask_label_ids_mapped_then_enumerated(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1")
    dv.add_mapping_rule(["Truck"], "Car")
    dv.set_labels({"background": 0, "Car": 1, "walking": 2})
    assert dv.mask_label_ids("traffic-v1") == {(0, 0, 0): 0, (1, 1, 1): 1, (2, 2, 2): 1,
                                                (3, 3, 3): 2}


def test_mask_label_ids_leave_out_unenumerated_values(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1")
    dv.set_labels({"Car": 1})
    assert dv.mask_label_ids("traffic-v1") == {(1, 1, 1): 1}
    with pytest.raises(KeyError, match="traffic-v2"):
        dv.mask_label_ids("traffic-v2")


def test_queries_see_original_labels_even_with_mapping(view):
    dv = view()
    dv.add_mapping_rule(["Car"], "vehicle")
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="vehicle")
    assert ids(dv) == []
