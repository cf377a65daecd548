"""The store contract: datasets, versions and frames, on every backend."""

from __future__ import annotations

import pytest

from hyperloader.errors import (
    DatasetNotFoundError,
    FrameNotFoundError,
    InvalidFrameError,
    VersionNotFoundError,
    VersionStateError,
)
from hyperloader.store import Dataset, DatasetVersion, VersionDiff, VersionStatus
from hyperloader.store._segments import read_segment

from ._helpers import frame, frame_dict, group

STORE_FIELDS = ("dataset", "saved", "saved_in_version")


def _content(f) -> dict:
    d = f.to_dict() if hasattr(f, "to_dict") else dict(f)
    return {k: v for k, v in d.items() if k not in STORE_FIELDS}


# -- datasets ---------------------------------------------------------------------------------
def test_create_dataset_has_one_empty_draft(backend):
    ds = Dataset.create("cars")
    assert ds.name == "cars" and ds.id
    [v] = ds.get_versions()
    assert (v.name, v.status, v.parent, len(v)) == ("Current", VersionStatus.DRAFT, None, 0)
    assert v.status == "draft" and v.dataset_id == ds.id
    assert DatasetVersion.get_current("cars") == v


def test_create_existing_returns_it_or_raises(backend):
    ds = Dataset.create("cars")
    assert Dataset.create("cars") == ds
    with pytest.raises(ValueError, match="already exists"):
        Dataset.create("cars", raise_if_exists=True)
    assert len(ds.get_versions()) == 1


def test_get_list_and_unknown_names(backend):
    assert Dataset.list() == []
    a, b = Dataset.create("pedestrians"), Dataset.create("cars")
    assert [d.name for d in Dataset.list()] == ["cars", "pedestrians"]
    assert Dataset.get("cars") == b and Dataset.get(dataset_id=a.id) == a
    with pytest.raises(DatasetNotFoundError, match="pedestrians") as err:
        Dataset.get("pedestrian")
    assert isinstance(err.value, KeyError)
    with pytest.raises(DatasetNotFoundError):
        DatasetVersion.get_current("nope")


def test_delete_refuses_frames_and_published_versions(backend):
    Dataset.create("empty")
    Dataset.delete("empty")
    assert Dataset.list() == []
    Dataset.create("full")
    DatasetVersion.get_current("full").add_frames([frame(1)])
    with pytest.raises(VersionStateError, match="delete_all_versions"):
        Dataset.delete("full")
    DatasetVersion.create_snapshot("full", publish_name="v1")
    with pytest.raises(VersionStateError, match="force"):
        Dataset.delete("full", delete_all_versions=True)
    assert len(DatasetVersion.get_version("full", "v1")) == 1  # nothing was deleted
    Dataset.delete("full", delete_all_versions=True, force=True)
    with pytest.raises(DatasetNotFoundError):
        Dataset.get("full")
    assert len(DatasetVersion.get_current(Dataset.create("full").name)) == 0


# -- frames -----------------------------------------------------------------------------------
def test_add_and_read_back_frames_with_store_fields(backend):
    ds = Dataset.create("cars")
    v = ds.get_current()
    frames = [frame(1, n=1, kind="a"), group("g1"), frame_dict(3)]
    assert v.add_frames(frames) == []
    assert len(v) == 3 and v.get_frame_ids() == ["d0003", "f0001", "g1"]
    got = DatasetVersion.get_single_frame("f0001", dataset_name="cars", version_name="Current")
    assert _content(got) == _content(frames[0])
    assert got.dataset == {"id": ds.id, "version": v.id}
    assert got.saved_in_version == v.id and isinstance(got.saved, int) and got.saved > 0
    assert _content(v.get_frame("g1")) == _content(frames[1])
    assert sorted(v.get_frame("g1")) == ["left", "right"]
    assert v.get_frame("d0003").source == "s3://data/img/d3.jpg"
    assert [f.id for f in v.get_frames()] == ["d0003", "f0001", "g1"]
    same = DatasetVersion.get_single_frame("g1", dataset_id=ds.id, version_id=v.id)
    assert _content(same) == _content(frames[1])


def test_unknown_frame_raises(backend):
    v = Dataset.create("cars").get_current()
    v.add_frames([frame(1)])
    with pytest.raises(FrameNotFoundError, match="f0002"):
        v.get_frame("f0002")
    with pytest.raises(FrameNotFoundError):
        DatasetVersion.get_single_frame("nope", dataset_name="cars")


def test_add_upserts_by_id_and_update_replaces(backend):
    v = Dataset.create("cars").get_current()
    v.add_frames([frame(1, n=1), frame(2, n=2)])
    v.add_frames([frame(1, n=10)])
    assert len(v) == 2 and v.get_frame("f0001").meta == {"n": 10}
    f = v.get_frame("f0002")
    f.meta["n"] = 20
    f.add_annotation(box2d_xywh=[0, 0, 1, 1], labels=["new"])
    assert v.update_frames([f]) == []
    got = v.get_frame("f0002")
    assert got.meta == {"n": 20} and [r.labels for r in got.rois] == [["car"], ["new"]]
    with pytest.raises(FrameNotFoundError, match="f0003"):
        v.update_frames([frame(3), frame(1, n=99)])
    assert len(v) == 2 and v.get_frame("f0001").meta == {"n": 10}


def test_delete_frames_by_object_or_id(backend):
    v = Dataset.create("cars").get_current()
    v.add_frames([frame(i) for i in range(5)])
    assert v.delete_frames(["f0001", v.get_frame("f0003"), "missing"]) == 2
    assert v.get_frame_ids() == ["f0000", "f0002", "f0004"]
    v.add_frames([frame(1)])  # a deleted id can come back
    assert "f0001" in v.get_frame_ids()


def test_invalid_batch_writes_nothing(backend):
    v = Dataset.create("cars").get_current()
    v.add_frames([frame(1)])
    bad = frame_dict(2)
    bad["rois"][0]["poly"] = [0, 0, 1]  # odd coordinate count
    with pytest.raises(InvalidFrameError, match="d0002"):
        v.add_frames([frame(3), bad])
    with pytest.raises(InvalidFrameError, match="id"):
        v.add_frames([{"sources": [{"id": "default", "uri": "x.jpg"}]}])
    assert v.get_frame_ids() == ["f0001"]


def test_meta_keeps_one_type_per_key(backend):
    v = Dataset.create("cars").get_current()
    v.add_frames([frame(1, n=1, tag="a")])
    v.add_frames([frame(2, n=2.5)])  # int and float mix into float
    with pytest.raises(InvalidFrameError, match="'n'") as err:
        v.add_frames([frame(3, n=3), frame(4, n="four")])
    assert err.value.frame_id == "f0004"
    with pytest.raises(InvalidFrameError, match="tag"):
        v.add_frames([frame(5, tag=True)])
    with pytest.raises(InvalidFrameError):  # inside one batch too
        v.add_frames([frame(6, z=1), frame(7, z="x")])
    roi_meta = frame(8)
    roi_meta.add_annotation(labels=["x"], metadata={"n": "str"})  # rois.meta is its own space
    v.add_frames([roi_meta])
    clash = frame(9)
    clash.add_annotation(labels=["x"], metadata={"n": 1})
    with pytest.raises(InvalidFrameError, match="rois.meta"):
        v.add_frames([clash])
    assert v.get_frame_ids() == ["f0001", "f0002", "f0008"]
    assert v.frame_tables().frames.schema.field("meta.n").type == "double"


def test_frame_tables_resolved_view(backend):
    v = Dataset.create("cars").get_current()
    v.add_frames([frame(3), group("g0"), frame(1)])
    v.add_frames([frame(2)])
    v.delete_frames(["f0003"])
    t = v.frame_tables()
    assert t.frames["id"].to_pylist() == ["f0001", "f0002", "g0"]
    assert t.rois["frame_index"].to_pylist() == [0, 1, 2]
    assert t.rois["label"].to_pylist() == [["car"], ["car"], ["l"]]
    assert t.sources["frame_index"].to_pylist() == [0, 1, 2, 2]
    assert t.sources["id"].to_pylist() == ["default", "default", "left", "right"]
    assert "_tombstone" not in t.frames.schema.names
    assert set(t.frames["saved_in_version"].to_pylist()) == {v.id}


# -- metadata ---------------------------------------------------------------------------------
def test_metadata_and_mask_labels(backend):
    v = Dataset.create("seg").get_current()
    v.set_masks_labels({(0, 0, 0): ["background"], (1, 1, 1): ["person", "sitting"]})
    assert v.get_metadata()["mask_labels"] == {"_all_": [
        {"value": [0, 0, 0], "labels": ["background"]},
        {"value": [1, 1, 1], "labels": ["person", "sitting"]}]}
    assert v.get_masks_labels()[(1, 1, 1)] == ["person", "sitting"]
    v.set_metadata({"owner": "me", "nested": {"k": [1, 2]}})
    assert v.get_metadata() == {"owner": "me", "nested": {"k": [1, 2]}}
    for bad in ({"a.b": 1}, {"$x": 1}, {"ok": {"in.ner": 1}}):
        with pytest.raises(ValueError):
            v.set_metadata(bad)
    with pytest.raises(ValueError):
        v.set_masks_labels({(1, 2): ["short"]})
    assert v.get_metadata()["owner"] == "me"


# -- versions ---------------------------------------------------------------------------------
def test_publish_freezes_every_write(backend):
    v = Dataset.create("cars").get_current()
    v.add_frames([frame(1)])
    v.publish_version()
    assert v.status == VersionStatus.PUBLISHED and v.is_published
    for write in (lambda: v.add_frames([frame(2)]), lambda: v.update_frames([frame(1)]),
                  lambda: v.delete_frames(["f0001"]), lambda: v.set_metadata({"a": 1}),
                  lambda: v.set_masks_labels({(0, 0, 0): ["bg"]}), v.publish_version):
        with pytest.raises(VersionStateError):
            write()
    assert v.get_frame_ids() == ["f0001"] and v.get_metadata() == {}


def test_create_version_from_published_parent(backend):
    Dataset.create("cars")
    draft = DatasetVersion.get_current("cars")
    draft.add_frames([frame(1), frame(2)])
    draft.set_masks_labels({(1, 1, 1): ["car"]})
    with pytest.raises(VersionStateError, match="publish"):
        DatasetVersion.create_version(dataset_name="cars", version_name="x",
                                      parent_version_names=["Current"])
    draft.publish_version()
    child = DatasetVersion.create_version(dataset_name="cars", version_name="v2",
                                          parent_version_names=["Current"])
    assert child.parent == draft.id and child.status == "draft"
    assert child.get_frame_ids() == ["f0001", "f0002"]
    assert child.get_metadata() == draft.get_metadata()  # metadata is inherited
    f = child.get_frame("f0001")
    assert f.dataset["version"] == child.id and f.saved_in_version == draft.id
    same = DatasetVersion.create_version(dataset_name="cars", version_name="v2")
    assert same == child
    with pytest.raises(ValueError):
        DatasetVersion.create_version(dataset_name="cars", version_name="v2",
                                      raise_if_exists=True)
    latest = DatasetVersion.create_version(dataset_name="cars", version_name="v3")
    assert latest.parent == draft.id  # None picks the latest published version
    with pytest.raises(VersionNotFoundError, match="'v2'"):
        DatasetVersion.create_version(dataset_name="cars", version_name="v4",
                                      parent_version_names=["v22"])


def test_create_version_without_published_has_no_parent(backend):
    Dataset.create("cars")
    v = DatasetVersion.create_version(dataset_name="cars", version_name="fresh")
    assert v.parent is None and len(v) == 0
    v.publish_version()
    root = DatasetVersion.create_version(dataset_name="cars", version_name="root",
                                         parent_version_names=[])
    assert root.parent is None


def test_dataset_names_may_hold_any_characters(backend):
    name = "street scenes/2024 (v2)%"
    ds = Dataset.create(name)
    assert [d.name for d in Dataset.list()] == [name] and Dataset.get(name) == ds
    assert DatasetVersion.get_current(name).dataset_name == name


def test_create_snapshot_publishes_and_opens_child(backend):
    Dataset.create("cars")
    draft = DatasetVersion.get_current("cars")
    draft.add_frames([frame(1)])
    snap = DatasetVersion.create_snapshot("cars", publish_name="v1", child_name="work")
    assert snap.id == draft.id and snap.name == "v1" and snap.status == "published"
    child = DatasetVersion.get_current("cars")
    assert (child.name, child.parent, child.status) == ("work", draft.id, "draft")
    assert child.get_frame_ids() == ["f0001"]
    child.add_frames([frame(2)])
    auto = DatasetVersion.create_snapshot("cars")
    assert auto.name.startswith("snapshot ") and auto.id == child.id
    assert DatasetVersion.get_current("cars").name == "Current"
    with pytest.raises(ValueError, match="v1"):
        DatasetVersion.create_snapshot("cars", publish_name="v1")


def test_get_version_and_filters(backend):
    Dataset.create("cars")
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    DatasetVersion.create_snapshot("cars", publish_name="v2")
    names = [v.name for v in DatasetVersion.get_versions("cars")]
    assert names == ["v1", "v2", "Current"]
    assert [v.name for v in DatasetVersion.get_versions("cars", only_published=True)] == [
        "v1", "v2"]
    assert [v.name for v in DatasetVersion.get_versions("cars", only_draft=True)] == [
        "Current"]
    assert DatasetVersion.get_version("cars").name == "Current"
    v1 = DatasetVersion.get_version("cars", "v1")
    assert DatasetVersion.get_version("cars", version_id=v1.id) == v1
    assert v1.created <= DatasetVersion.get_version("cars", "v2").created
    with pytest.raises(VersionNotFoundError, match="'v1'") as err:
        DatasetVersion.get_version("cars", "v3")
    assert isinstance(err.value, KeyError)
    with pytest.raises(VersionNotFoundError):
        DatasetVersion.get_version("cars", version_id="0" * 32)


def test_diff_between_versions(backend):
    Dataset.create("cars")
    base = DatasetVersion.get_current("cars")
    base.add_frames([frame(i) for i in range(4)])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    changed = child.get_frame("f0001")
    changed.meta["n"] = 5
    child.update_frames([changed, child.get_frame("f0002")])  # f0002 re-saved unchanged
    child.delete_frames(["f0003"])
    child.add_frames([frame(9)])
    d = child.diff(base)
    assert d == VersionDiff(added=["f0009"], modified=["f0001"], removed=["f0003"])
    assert base.diff(child) == VersionDiff(["f0003"], ["f0001"], ["f0009"])
    assert not base.diff(base)


def test_children_share_parent_segments(backend):
    ds = Dataset.create("cars")
    v = ds.get_current()
    v.add_frames([frame(i) for i in range(50)])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = ds.get_current()
    assert child.frame_tables().frames.num_rows == 50
    assert child._repo.state(child.id).segments == ()  # nothing copied
    f = child.get_frame("f0007")
    f.meta["n"] = 2
    child.update_frames([f])
    [(_, segment)] = child._repo.state(child.id).segments
    assert read_segment(child._repo.store, ds.id, segment).frames.num_rows == 1


def test_published_readers_unaffected_by_children(backend):
    Dataset.create("cars")
    DatasetVersion.get_current("cars").add_frames([frame(i) for i in range(3)])
    parent = DatasetVersion.create_snapshot("cars", publish_name="v1")
    before = [_content(f) for f in parent.get_frames()]
    child = DatasetVersion.get_current("cars")
    child.delete_frames(["f0000"])
    f = child.get_frame("f0001")
    f.meta["n"] = 7
    child.update_frames([f])
    child.set_metadata({"x": 1})
    fresh = DatasetVersion.get_version("cars", "v1")
    assert [_content(f) for f in fresh.get_frames()] == before
    assert fresh.get_metadata() == {} and len(child) == 2
