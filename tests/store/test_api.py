"""The public face of hyperloader.store: a sorted __all__, documented names, pickled errors."""

from __future__ import annotations

import inspect
import pickle
import types

import pytest

import hyperloader.store as store
from hyperloader.errors import DatasetNotFoundError, VersionNotFoundError
from hyperloader.store import Dataset, DatasetVersion, VersionStatus


def test_all_is_sorted_and_documented():
    assert store.__all__ == sorted(store.__all__)
    for name in store.__all__:
        obj = getattr(store, name)
        assert inspect.getdoc(obj), name
        for attr in dir(obj):
            member = inspect.getattr_static(obj, attr)
            if not attr.startswith("_") and isinstance(
                    member, (property, classmethod, staticmethod, types.FunctionType)):
                assert inspect.getdoc(getattr(obj, attr)), f"{name}.{attr}"


def test_reference_sdk_names_exist():
    for name in ("create_version", "create_snapshot", "get_version", "get_versions",
                 "get_current", "get_single_frame", "add_frames", "update_frames",
                 "delete_frames", "get_frame", "get_frames", "get_frame_ids", "frame_tables",
                 "set_masks_labels", "get_metadata", "set_metadata", "publish_version", "diff"):
        assert callable(getattr(DatasetVersion, name)), name
    for name in ("create", "get", "list", "delete", "get_versions"):
        assert callable(getattr(Dataset, name)), name


def test_version_status_accepts_strings():
    assert VersionStatus("draft") is VersionStatus.DRAFT
    assert VersionStatus.PUBLISHED == "published" and str(VersionStatus.PUBLISHED) == "published"


def test_not_found_errors_list_close_matches_and_pickle():
    Dataset.create("pedestrians")
    with pytest.raises(DatasetNotFoundError) as err:
        Dataset.get("pedestrian")
    assert err.value.close_matches == ["pedestrians"]
    again = pickle.loads(pickle.dumps(err.value))
    assert str(again) == str(err.value) and again.close_matches == ["pedestrians"]
    DatasetVersion.create_snapshot("pedestrians", publish_name="release-1")
    with pytest.raises(VersionNotFoundError, match="release-1"):
        DatasetVersion.get_version("pedestrians", "release-2")
