"""The public API of hyperloader.dataview: sorted __all__, documented names and members."""

from __future__ import annotations

import inspect

import hyperloader.dataview as dataview
from hyperloader.dataview import DataView, OutputRois, RoiQuery


def test_all_is_sorted_unique_and_resolvable():
    assert dataview.__all__ == sorted(dataview.__all__)
    assert len(set(dataview.__all__)) == len(dataview.__all__)
    assert all(hasattr(dataview, n) for n in dataview.__all__)


def test_every_public_name_and_member_has_a_docstring():
    missing = []
    for name in dataview.__all__:
        obj = getattr(dataview, name)
        if not (inspect.isclass(obj) or inspect.isroutine(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for member, attr in inspect.getmembers(obj):
                if member.startswith("_") or not (inspect.isfunction(attr)
                                                  or isinstance(attr, property)):
                    continue
                if getattr(attr, "__module__", "hyperloader").startswith("hyperloader") and \
                        not (attr.__doc__ or "").strip():
                    missing.append(f"{name}.{member}")
    assert missing == []


def test_reference_names():
    assert DataView.RoiQuery is RoiQuery
    assert [m.value for m in OutputRois] == ["all_in_frame", "only_filtered", "frame_per_roi"]
    for method in ("add_query", "add_multi_query", "add_mapping_rule", "set_labels",
                   "get_labels", "set_iteration_parameters", "get_iterator", "to_list",
                   "to_dict", "get_count", "get_rule_counts", "set_initial_iteration",
                   "get_current_iteration", "to_json", "from_json", "plan", "get_entries",
                   "num_entries", "mask_label_ids"):
        assert callable(getattr(DataView, method)), method
