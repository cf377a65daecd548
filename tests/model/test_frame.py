"""SingleFrame: constructor defaults, meta, masks, previews, content types and add_annotation."""

from __future__ import annotations

import copy
import math
import pickle
import re

import numpy as np
import pytest

import hyperloader.model._local as local
from hyperloader.errors import InvalidFrameError, StoreError
from hyperloader.model import (
    POLY_SEPARATOR,
    FrameGroup,
    Roi,
    SingleFrame,
    guess_content_type,
    set_local_resolver,
    split_parts,
)

URI = "s3://bucket/images/0001.jpg"


# -- constructor and defaults ---------------------------------------------------------------

def test_constructor_accepts_the_reference_sdk_signature_positionally():
    f = SingleFrame(URI, 640, 480, "https://cdn/p.jpg", {"a": 1}, [{"label": ["x"]}],
                    "s3://bucket/m.png", "ctx", 33, "fid")
    assert (f.source, f.width, f.height, f.preview_uri) == (URI, 640, 480, "https://cdn/p.jpg")
    assert f.meta == {"a": 1}
    assert [r.labels for r in f.annotations] == [["x"]]
    assert f.mask_source == "s3://bucket/m.png"
    assert (f.context_id, f.timestamp, f.id) == ("ctx", 33, "fid")


def test_source_id_is_default():
    f = SingleFrame(URI)
    assert f.source_id == "default"
    assert [s.id for s in f.sources] == ["default"]
    assert f.to_dict()["sources"][0]["id"] == "default"


def test_context_id_defaults_to_the_source_uri():
    f = SingleFrame(URI)
    assert f.context_id == URI
    assert f.to_dict()["context_id"] == URI


def test_explicit_context_id_wins_and_can_be_reset():
    f = SingleFrame(URI, context_id="video-3")
    assert f.to_dict()["context_id"] == "video-3"
    f.context_id = None
    assert f.context_id == URI


def test_timestamp_defaults_to_zero_everywhere():
    d = SingleFrame(URI).to_dict()
    assert d["timestamp"] == 0
    assert d["sources"][0]["timestamp"] == 0


def test_timestamp_given_is_the_frame_and_source_timestamp():
    d = SingleFrame(URI, timestamp=33).to_dict()
    assert d["timestamp"] == 33
    assert d["sources"][0]["timestamp"] == 33


def test_timestamp_defaults_to_the_first_source_timestamp():
    d = {"id": "f", "sources": [{"id": "default", "uri": URI, "timestamp": 66}]}
    f = SingleFrame.from_dict(d)
    assert f.timestamp == 66
    assert f.to_dict()["timestamp"] == 66


def test_ids_are_uuid4_hex_and_unique():
    a, b = SingleFrame(URI), SingleFrame(URI)
    for fid in (a.id, b.id):
        assert re.fullmatch(r"[0-9a-f]{32}", fid)
        assert fid[12] == "4"  # the uuid version nibble
    assert a.id != b.id


def test_explicit_id_is_kept():
    assert SingleFrame(URI, id="287024").to_dict()["id"] == "287024"


# -- meta -----------------------------------------------------------------------------------

def test_meta_and_metadata_are_the_same_dict():
    f = SingleFrame(URI, metadata={"alive": "yes"})
    assert f.meta is f.metadata
    f.meta["road_hazard"] = "yes"
    assert f.metadata == {"alive": "yes", "road_hazard": "yes"}
    assert f.to_dict()["meta"] == {"alive": "yes", "road_hazard": "yes"}


def test_meta_defaults_to_an_empty_dict_and_is_not_written():
    f = SingleFrame(URI)
    assert f.meta == {}
    assert "meta" not in f.to_dict()
    f.metadata["k"] = 1
    assert f.to_dict()["meta"] == {"k": 1}


def test_setting_metadata_replaces_meta():
    f = SingleFrame(URI)
    f.metadata = {"x": 2}
    assert f.meta == {"x": 2}
    assert f.meta is f.metadata


def test_source_meta_is_written_under_the_source():
    d = SingleFrame(URI, source_meta={"sensor": "cam0"}).to_dict()
    assert d["sources"][0]["meta"] == {"sensor": "cam0"}
    assert "meta" not in d


# -- content type, preview, size --------------------------------------------------------------

@pytest.mark.parametrize(("uri", "expected"), [
    ("s3://b/k.jpg", "image/jpeg"),
    ("s3://b/k.JPEG", "image/jpeg"),
    ("/data/a.png", "image/png"),
    ("https://h/p/a.webp?sig=abc#frag", "image/webp"),
    ("gs://b/clip.mp4", "video/mp4"),
])
def test_content_type_is_inferred_from_the_extension(uri, expected):
    assert guess_content_type(uri) == expected
    assert SingleFrame(uri).to_dict()["sources"][0]["content_type"] == expected


def test_unknown_extension_writes_no_content_type():
    assert guess_content_type("s3://b/blob") is None
    assert "content_type" not in SingleFrame("s3://b/blob").to_dict()["sources"][0]


def test_explicit_content_type_wins():
    f = SingleFrame("s3://b/blob.bin", content_type="image/x-raw")
    assert f.content_type == "image/x-raw"
    assert f.to_dict()["sources"][0]["content_type"] == "image/x-raw"


def test_preview_is_written_as_a_dict():
    f = SingleFrame(URI, preview_uri="s3://my_address.com:80/bucket/p.png")
    assert f.to_dict()["sources"][0]["preview"] == {"uri": "s3://my_address.com:80/bucket/p.png"}
    f.preview_uri = None
    assert "preview" not in f.to_dict()["sources"][0]


def test_width_and_height_are_written_only_when_known():
    src = SingleFrame(URI, width=427, height=640).to_dict()["sources"][0]
    assert (src["width"], src["height"]) == (427, 640)
    assert "width" not in SingleFrame(URI).to_dict()["sources"][0]
    assert "height" not in SingleFrame(URI).to_dict()["sources"][0]


def test_exact_dict_of_a_plain_frame():
    f = SingleFrame("s3://b/a.png", width=10, height=20, id="f1")
    assert f.to_dict() == {
        "id": "f1", "context_id": "s3://b/a.png", "timestamp": 0,
        "sources": [{"id": "default", "uri": "s3://b/a.png", "content_type": "image/png",
                     "width": 10, "height": 20, "timestamp": 0}],
        "rois": [], "num_frames": 1,
    }


# -- masks ----------------------------------------------------------------------------------

def test_mask_source_gives_one_mask_under_the_source():
    f = SingleFrame(URI, mask_source="s3://b/m/0001.png")
    assert f.mask_source == "s3://b/m/0001.png"
    assert f.masks_source == {"00": "s3://b/m/0001.png"}
    assert f.to_dict()["sources"][0]["masks"] == [
        {"id": "00", "uri": "s3://b/m/0001.png", "content_type": "image/png"}]


def test_masks_source_dict_keeps_its_keys_and_order():
    f = SingleFrame(URI)
    f.masks_source = {"ID 1 ": "s3://b/a.png", "ID 2": "s3://b/b.jpg"}
    assert f.masks_source == {"ID 1 ": "s3://b/a.png", "ID 2": "s3://b/b.jpg"}
    masks = f.to_dict()["sources"][0]["masks"]
    assert [(m["id"], m["uri"], m["content_type"]) for m in masks] == [
        ("ID 1 ", "s3://b/a.png", "image/png"), ("ID 2", "s3://b/b.jpg", "image/jpeg")]


def test_masks_source_list_gets_two_digit_ids():
    f = SingleFrame(URI)
    f.masks_source = [f"s3://b/m{i}.png" for i in range(11)]
    ids = [m["id"] for m in f.to_dict()["sources"][0]["masks"]]
    assert ids == ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]
    assert f.masks_source["10"] == "s3://b/m10.png"


def test_setting_masks_replaces_them_and_none_clears():
    f = SingleFrame(URI, mask_source="s3://b/old.png")
    f.masks_source = ["s3://b/new.png"]
    assert f.masks_source == {"00": "s3://b/new.png"}
    f.mask_source = None
    assert f.masks_source == {}
    assert f.mask_source is None
    assert "masks" not in f.to_dict()["sources"][0]


# -- add_annotation ---------------------------------------------------------------------------

def test_polygon_annotation_from_the_reference_example():
    f = SingleFrame(URI)
    roi = f.add_annotation(poly2d_xy=[154, 343, 209, 343, 209, 423, 154, 423], labels=["tire"],
                           metadata={"alive": "no"}, confidence=0.5)
    assert isinstance(roi, Roi)
    assert f.annotations == [roi]
    d = f.to_dict()["rois"][0]
    assert d == {"id": roi.id, "label": ["tire"], "poly": [154, 343, 209, 343, 209, 423, 154, 423],
                 "confidence": 0.5, "sources": ["default"], "meta": {"alive": "no"}}


def test_box_is_stored_as_its_four_corner_polygon():
    f = SingleFrame(URI)
    roi = f.add_annotation(box2d_xywh=[10, 20, 30, 40], labels=["car"])
    assert roi.poly == [10, 20, 40, 20, 40, 60, 10, 60]
    assert f.to_dict()["rois"][0]["poly"] == [10, 20, 40, 20, 40, 60, 10, 60]


def test_box_needs_four_numbers():
    f = SingleFrame(URI, id="f1")
    with pytest.raises(InvalidFrameError) as ei:
        f.add_annotation(box2d_xywh=[1, 2, 3])
    assert ei.value.field == "rois[0].box2d_xywh"
    assert f.annotations == []


def test_ellipse_becomes_a_polygon_on_the_ellipse():
    f = SingleFrame(URI)
    roi = f.add_annotation(ellipse2d_xyrrt=[100, 50, 20, 10, 30], labels=["ball"])
    assert len(roi.poly) == 64
    t = math.radians(30)
    for x, y in zip(roi.poly[0::2], roi.poly[1::2], strict=True):
        dx, dy = x - 100, y - 50
        u = dx * math.cos(t) + dy * math.sin(t)  # rotate back into the ellipse's frame
        v = -dx * math.sin(t) + dy * math.cos(t)
        assert (u / 20) ** 2 + (v / 10) ** 2 == pytest.approx(1.0, abs=1e-3)
    assert roi.poly[:2] == [pytest.approx(100 + 20 * math.cos(t), abs=1e-3),
                            pytest.approx(50 + 20 * math.sin(t), abs=1e-3)]


def test_no_geometry_is_a_frame_label():
    f = SingleFrame(URI)
    roi = f.add_annotation(labels=["night"])
    assert roi.poly is None
    assert roi.is_frame_label
    assert roi.parts() == []
    assert f.to_dict()["rois"] == [{"id": roi.id, "label": ["night"], "sources": ["default"]}]


def test_a_single_label_string_becomes_a_list():
    roi = SingleFrame(URI).add_annotation(labels="dog")
    assert roi.labels == ["dog"]
    assert roi.label == ["dog"]


def test_multi_part_polygon_is_flattened_with_the_separator():
    parts = [[0, 0, 10, 0, 10, 10], [20, 20, 30, 20, 30, 30, 20, 30]]
    f = SingleFrame(URI)
    roi = f.add_annotation(poly2d_xy=parts, labels=["racket"])
    assert POLY_SEPARATOR == -999999999
    assert roi.poly == [0, 0, 10, 0, 10, 10, -999999999, 20, 20, 30, 20, 30, 30, 20, 30]
    assert f.to_dict()["rois"][0]["poly"] == roi.poly
    assert roi.parts() == parts
    assert split_parts(roi.poly) == parts


def test_tuples_of_tuples_are_parts_too():
    roi = SingleFrame(URI).add_annotation(poly2d_xy=((0, 0, 1, 0, 1, 1), (5, 5, 6, 5, 6, 6)))
    assert roi.parts() == [[0, 0, 1, 0, 1, 1], [5, 5, 6, 5, 6, 6]]


def test_numpy_polygons_are_accepted_and_stored_as_plain_numbers():
    f = SingleFrame(URI)
    flat = f.add_annotation(poly2d_xy=np.array([1, 2, 3, 4, 5, 6], dtype=np.int64))
    assert flat.poly == [1, 2, 3, 4, 5, 6]
    assert all(type(v) is int for v in flat.poly)
    multi = f.add_annotation(poly2d_xy=[np.array([0.5, 0, 1, 0, 1, 1]),
                                        np.array([4, 4, 5, 4, 5, 5])])
    assert multi.parts() == [[0.5, 0, 1, 0, 1, 1], [4, 4, 5, 4, 5, 5]]
    box = f.add_annotation(box2d_xywh=np.array([1, 1, 2, 2]))
    assert box.poly == [1, 1, 3, 1, 3, 3, 1, 3]
    assert all(type(v) is int for v in box.poly)


def test_points_are_stored_flat():
    f = SingleFrame(URI)
    roi = f.add_annotation(points2d_xy=[[1, 2], [3, 4]], labels=["kp"])
    assert roi.points == [1, 2, -999999999, 3, 4]
    assert roi.poly is None and not roi.is_frame_label
    assert f.to_dict()["rois"][0]["points"] == [1, 2, -999999999, 3, 4]


def test_annotation_id_is_kept_or_generated():
    f = SingleFrame(URI)
    assert f.add_annotation(labels=["a"], id="roi-1").id == "roi-1"
    generated = f.add_annotation(labels=["b"]).id
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_annotation_metadata_is_copied_and_aliased():
    meta = {"k": 1}
    roi = SingleFrame(URI).add_annotation(labels=["a"], metadata=meta)
    meta["k"] = 2
    assert roi.meta == {"k": 1}
    assert roi.metadata is roi.meta


def test_only_one_geometry_is_allowed():
    f = SingleFrame(URI, id="f1")
    with pytest.raises(InvalidFrameError, match="only one of"):
        f.add_annotation(poly2d_xy=[0, 0, 1, 0, 1, 1], box2d_xywh=[0, 0, 1, 1])
    assert f.annotations == []


def test_annotation_order_is_kept():
    f = SingleFrame(URI)
    for name in ["zebra", "apple", "mango"]:
        f.add_annotation(labels=[name])
    assert [r["label"] for r in f.to_dict()["rois"]] == [["zebra"], ["apple"], ["mango"]]
    assert f.rois is f.annotations


def test_annotations_argument_takes_dicts_and_rois():
    roi = Roi(labels=["b"], poly=[0, 0, 1, 0, 1, 1], id="r2")
    f = SingleFrame(URI, annotations=[{"labels": ["a"], "id": "r1"}, roi])
    assert [r.id for r in f.annotations] == ["r1", "r2"]
    assert f.annotations[1] is roi
    assert f.to_dict()["rois"][0] == {"id": "r1", "label": ["a"], "sources": ["default"]}


# -- equality, copying, repr ----------------------------------------------------------------

def test_equality_follows_the_json():
    a = SingleFrame(URI, id="f", metadata={"k": 1})
    b = SingleFrame(URI, id="f", metadata={"k": 1})
    assert a == b
    b.meta["k"] = 2
    assert a != b
    assert SingleFrame(URI, id="x") != SingleFrame(URI, id="y")
    assert a != a.to_dict()


def test_a_single_frame_never_equals_a_group():
    f = SingleFrame(URI, id="f")
    g = FrameGroup(id="f")
    g["default"] = SingleFrame(URI)
    assert g.to_dict() == {**f.to_dict(), "frame_group": True}  # the JSON tells them apart
    assert f != g
    assert g != f


def test_frames_are_unhashable():
    with pytest.raises(TypeError):
        hash(SingleFrame(URI))


def test_pickle_and_deepcopy_round_trip():
    f = SingleFrame(URI, width=3, height=4, metadata={"k": [1, 2]}, mask_source="s3://b/m.png",
                    preview_uri="s3://b/p.jpg")
    f.add_annotation(poly2d_xy=[[0, 0, 1, 0, 1, 1], [3, 3, 4, 3, 4, 4]], labels=["x"],
                     confidence=0.25)
    for clone in (pickle.loads(pickle.dumps(f)), copy.deepcopy(f)):
        assert clone == f
        assert clone.to_dict() == f.to_dict()
        assert clone.annotations[0].parts() == [[0, 0, 1, 0, 1, 1], [3, 3, 4, 3, 4, 4]]
        clone.meta["k"].append(3)
        assert f.meta == {"k": [1, 2]}


def test_repr_names_the_id_and_context():
    assert repr(SingleFrame(URI, id="f9")) == f"SingleFrame(id='f9', context_id='{URI}')"


# -- local copies -----------------------------------------------------------------------------

def test_local_source_of_a_local_path_needs_no_resolver(no_resolver, tmp_path):
    path = tmp_path / "a.jpg"
    f = SingleFrame(str(path), mask_source=f"file://{tmp_path}/m.png")
    assert f.get_local_source() == str(path)
    assert f.get_local_mask_source() == f"{tmp_path}/m.png"
    assert SingleFrame(str(path)).get_local_mask_source() is None


def test_remote_source_without_resolver_raises_store_error(no_resolver):
    with pytest.raises(StoreError) as ei:
        SingleFrame(URI).get_local_source()
    assert ei.value.uri == URI
    assert isinstance(ei.value, OSError)


def test_local_source_goes_through_the_installed_resolver(monkeypatch):
    calls = []

    def resolver(uri, force_download=False):
        calls.append((uri, force_download))
        return "/cache/" + uri.rsplit("/", 1)[1]

    monkeypatch.setattr(local, "_resolver", None)
    set_local_resolver(resolver)
    f = SingleFrame(URI)
    f.masks_source = {"a": "s3://b/ma.png", "b": "s3://b/mb.png"}
    assert f.get_local_source(force_download=True) == "/cache/0001.jpg"
    assert f.get_local_mask_source("b") == "/cache/mb.png"
    assert calls == [(URI, True), ("s3://b/mb.png", False)]
