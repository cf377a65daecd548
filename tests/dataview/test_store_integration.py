"""DataView over the real store (a temporary local root per test)."""

from __future__ import annotations

import json

import pytest

from hyperloader.dataview import DataView
from hyperloader.errors import DatasetNotFoundError, QuerySyntaxError, VersionNotFoundError
from hyperloader.store import Dataset, DatasetVersion
from tests.dataview.dataview_data import (
    MASK_LABELS,
    TRAFFIC,
    TRAFFIC_ORDER,
    check_save_load_state,
    frame,
    ids,
    run_in_fresh_process,
    take_after_restore,
)


@pytest.fixture()
def store():
    """traffic: v1 (published, TRAFFIC + mask labels) and v2 (draft, + f7); pets: Current."""
    traffic = Dataset.create("traffic")
    draft = traffic.get_current()
    draft.add_frames(TRAFFIC)
    draft.set_metadata({"mask_labels": MASK_LABELS})
    DatasetVersion.create_snapshot("traffic", publish_name="v1", child_name="v2")
    traffic.get_version("v2").add_frames([frame("f7", "A", 1, [("Bus", 0.5)])])
    Dataset.create("pets").get_current().add_frames([frame("p1", "P", 0, [("cat", 1.0)])])
    return {v.name: v for v in traffic.get_versions()}


def test_default_version_is_latest_published(store):
    dv = DataView()
    dv.add_query(dataset_name="traffic")
    assert ids(dv) == TRAFFIC_ORDER
    assert dv.versions()[0].version_id == store["v1"].id


def test_frames_carry_dataset_and_store_fields(store):
    dv = DataView()
    dv.add_query(dataset_name="traffic", version_name="v2", roi_query="Bus")
    (f7,) = dv.to_list()
    assert f7.dataset == {"id": store["v2"].dataset_id, "version": store["v2"].id}
    assert f7.saved_in_version == store["v2"].id and isinstance(f7.saved, int)


def test_queries_over_the_store(store):
    dv = DataView()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Car",
                 frame_query="meta.speed:>15", source_query="width:640")
    assert ids(dv) == ["f6", "f3", "f5"]
    every = DataView()
    every.add_query(dataset_name="traffic", version_name="*", roi_query="Truck")
    assert [f.dataset["version"] for f in every] == [store["v1"].id, store["v2"].id]


def test_not_found_errors_come_from_the_store(store):
    with pytest.raises(DatasetNotFoundError, match="traffic"):
        DataView().add_query(dataset_name="trafic")
    with pytest.raises(VersionNotFoundError):
        DataView().add_query(dataset_name="traffic", version_name="v3")
    with pytest.raises(QuerySyntaxError):
        DataView().add_query(dataset_name="traffic", roi_query="label:(")


def test_mask_label_ids_from_version_metadata(store):
    dv = DataView()
    dv.add_query(dataset_name="traffic", version_name="v1")
    dv.add_mapping_rule(["Truck"], "Car")
    dv.set_labels({"Car": 1, "Person": 2})
    assert dv.mask_label_ids(store["v1"].id) == {(1, 1, 1): 1, (2, 2, 2): 1, (3, 3, 3): 2}


def test_spec_pins_ids_and_reproduces_in_a_fresh_process(store):
    dv = DataView(iteration_order="random", random_seed=4)
    dv.add_query(dataset_name="traffic")
    dv.add_query(dataset_name="*", version_name="v2", roi_query="Bus")
    spec = json.loads(dv.to_json())
    assert spec["rules"][0]["pinned"] == [[store["v1"].dataset_id, store["v1"].id]]
    assert spec["rules"][1]["pinned"] == [[store["v2"].dataset_id, store["v2"].id]]
    # a later publish does not move a pinned view
    DatasetVersion.create_snapshot("traffic", publish_name="v2-final", child_name="v3")
    state = dv.get_iterator().state_dict()
    assert run_in_fresh_process(take_after_restore, dv.to_json(), state, 99, 1, 0,
                                True) == ids(dv)


def test_save_mid_epoch_restore_in_fresh_process(store):
    dv = DataView(iteration_order="random", random_seed=3, iteration_infinite=True)
    dv.add_query(dataset_name="traffic", version_name="v2")
    check_save_load_state(dv, stop_after=5, total=12, use_store=True)
