"""The store's format version, and the golden store that every release must still read."""

from __future__ import annotations

import json
import shutil

import pytest

import hyperloader
from hyperloader._fs import url_to_fs
from hyperloader.errors import StoreError
from hyperloader.store import Dataset, DatasetVersion, VersionDiff

from . import make_golden

STORE_FIELDS = ("dataset", "saved", "saved_in_version")


def _content(f) -> dict:
    return {k: v for k, v in f.to_dict().items() if k not in STORE_FIELDS}


def test_new_store_records_its_format(backend):
    assert Dataset.list() == []  # reading an empty store writes nothing
    fs, root = url_to_fs(backend.root)
    assert not fs.exists(f"{root}/hyperloader.json")
    Dataset.create("x")
    assert json.loads(fs.cat_file(f"{root}/hyperloader.json")) == {"format_version": 1}


@pytest.mark.parametrize(("body", "reason"), [(b'{"format_version": 2}', "uses format 2"),
                                              (b'{"format": 1}', "no valid format_version"),
                                              (b"not json", "corrupt JSON")])
def test_unknown_format_is_refused(tmp_path, body, reason):
    root = tmp_path / "store"
    root.mkdir()
    (root / "hyperloader.json").write_bytes(body)
    hyperloader.set_root(str(root))
    with pytest.raises(StoreError, match=reason):
        Dataset.create("x")
    with pytest.raises(StoreError):
        Dataset.list()
    assert sorted(p.name for p in root.iterdir()) == ["hyperloader.json"]


def test_golden_format1_store_stays_readable(tmp_path):
    root = tmp_path / "golden"
    shutil.copytree(make_golden.GOLDEN, root)
    hyperloader.set_root(str(root))
    [ds] = Dataset.list()
    assert ds.name == "golden"
    assert [(v.name, str(v.status)) for v in ds.get_versions()] == [
        ("v1", "published"), ("Current", "draft")]
    v1, current = ds.get_version("v1"), ds.get_current()
    assert current.parent == v1.id
    assert [_content(f) for f in v1.get_frames()] == [_content(f) for f in
                                                       make_golden.v1_frames()]
    upserts, deletions = make_golden.current_changes()
    assert current.get_frame_ids() == ["b", "c", "d"]
    assert [_content(current.get_frame(f.id)) for f in upserts] == [_content(f)
                                                                    for f in upserts]
    assert current.get_frame("c").saved_in_version == v1.id
    assert current.diff(v1) == VersionDiff(added=["d"], modified=["b"], removed=deletions)
    assert v1.get_masks_labels() == {(0, 0, 0): ["background"], (1, 1, 1): ["car"]}
    assert current.get_metadata()["source"] == "make_golden"
    t = v1.frame_tables()
    assert t.frames["meta.count"].to_pylist() == [3, 1, None]
    assert t.rois["meta.occluded"].to_pylist()[0] is False
    current.add_frames([make_golden.v1_frames()[0]])  # the copy is still writable
    assert DatasetVersion.get_current("golden").get_frame_ids() == ["a", "b", "c", "d"]
