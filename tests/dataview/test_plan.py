"""The columnar plan: index arrays, their dtypes and size, and the internals API."""

from __future__ import annotations

import numpy as np

from hyperloader.dataview import DataView, MemoryCatalog
from hyperloader.model import frames_to_tables
from tests.dataview.dataview_data import video


def test_entry_table_arrays(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Car")
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Truck")
    t = dv.entry_table()
    assert t.version_idx.dtype == np.int16 and t.row.dtype == np.int32
    assert t.roi.dtype == np.int32 and t.rules.dtype == np.uint8
    assert t.row.tolist() == [5, 2, 0, 4]  # f6 f3 f1 f5 in the version's input order
    assert t.roi.tolist() == [-1] * 4
    assert t.rules.tolist() == [1, 1, 1, 3]
    assert t.starts.tolist() == [0, 1, 3, 4]  # contexts A, B, C
    assert t.rule_members(1).tolist() == [3]
    assert t.groups().tolist() == [0, 1, 1, 2]


def test_frame_per_roi_entries_hold_roi_positions(view):
    dv = view()
    dv.output_rois = "frame_per_roi"
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Car")
    assert dv.entry_table().roi.tolist() == [0, 0, 0, 1, 0, 1]


def test_plan_bytes_per_frame_at_most_32():
    tables = frames_to_tables(video("x", 300, 20, "a"))  # 6,000 frames, 20 per context
    cat = MemoryCatalog()
    cat.add_version("big", "v1", tables)
    dv = DataView(catalog=cat, iteration_order="random", random_seed=0)
    dv.add_query(dataset_name="big", roi_query="a")
    t = dv.entry_table()
    assert len(t) == 6000 and t.nbytes / len(t) <= 32
    worst = DataView(catalog=cat)
    worst.output_rois = "only_filtered"
    worst.add_query(dataset_name="big", roi_query="a")
    assert worst.entry_table().nbytes / 6000 <= 32


def test_many_rules_use_wider_masks(view):
    dv = view()
    for _ in range(9):
        dv.add_query(dataset_name="pets")
    assert dv.entry_table().rules.dtype == np.uint16
    assert dv.get_rule_counts() == [2] * 9


def test_too_many_rules(view):
    dv = view()
    for _ in range(65):
        dv.add_query(dataset_name="pets")
    import pytest

    with pytest.raises(ValueError, match="at most 64 rules"):
        dv.get_count()


def test_get_entry_dicts_carry_dataset_and_label_num(view):
    dv = view()
    dv.add_query(dataset_name="pets")
    dv.set_labels({"cat": 3})
    d = dv.get_entry_dicts([0])[0]
    assert d["dataset"] == {"id": "ds-pets", "version": "pets-v1"}
    assert d["rois"][0]["label_num"] == 3
    assert [v.version_id for v in dv.versions()] == ["pets-v1"]


def test_plan_is_cached_until_rules_change(view):
    dv = view()
    dv.add_query(dataset_name="pets", roi_query="cat")
    first = dv.entry_table()
    dv.set_labels({"cat": 1})
    dv.set_iteration_parameters(order="random")
    assert dv.entry_table() is first
    dv.add_query(dataset_name="pets", roi_query="dog")
    assert dv.entry_table() is not first and dv.get_count() == 2
