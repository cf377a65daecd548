from __future__ import annotations

import io
import json
import os

import numpy as np
import pycocotools.mask as mask_api
import pytest
from PIL import Image

from hyperloader.convert import (
    EXTRA_KEY,
    CocoReader,
    ConvertError,
    get_converter,
    list_converters,
    write_coco,
)
from hyperloader.model import POLY_SEPARATOR, SingleFrame
from tests.convert.coco_helpers import box_mask, box_rle, frame_docs

# pycocotools' Cython code trips numpy 2's __array__(copy=) deprecation
PYCOCO_NUMPY2 = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept:DeprecationWarning")


def _rle(h: int, w: int, box: tuple[int, int, int, int], *, compressed: bool) -> dict:
    if not compressed:
        return box_rle(h, w, box)
    enc = mask_api.encode(box_mask(h, w, box))
    return {"size": [h, w], "counts": enc["counts"].decode("ascii")}


def coco_doc() -> dict:
    return {
        "info": {"description": "test"},
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 40, "height": 30, "license": 2,
             "date_captured": "2020-01-01 10:00:00"},
            {"id": 7, "file_name": "sub/b.png", "width": 40, "height": 30},
            {"id": 3, "file_name": "c.jpg", "width": 40, "height": 30},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 50.0,
             "segmentation": [[1, 1, 10, 1, 10, 8, 1, 8]], "bbox": [1, 1, 9, 7]},
            {"id": 11, "image_id": 1, "category_id": 2, "iscrowd": 0, "area": 30.5,
             "segmentation": [[20, 2, 25, 2, 25, 6], [30.5, 10, 35, 10, 35, 15, 30, 12]],
             "bbox": [20, 2, 15, 13]},
            {"id": 12, "image_id": 7, "category_id": 1, "iscrowd": 1, "area": 20.0,
             "segmentation": _rle(30, 40, (5, 5, 5, 4), compressed=False),
             "bbox": [5, 5, 5, 4]},
            {"id": 13, "image_id": 7, "category_id": 2, "iscrowd": 1, "area": 12.0,
             "segmentation": _rle(30, 40, (20, 10, 4, 3), compressed=True),
             "bbox": [20, 10, 4, 3]},
            {"id": 14, "image_id": 3, "category_id": 2, "bbox": [2.5, 3, 4, 5], "score": 0.75},
            {"id": 15, "image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1]},
            {"id": 16, "image_id": 3, "category_id": 1, "iscrowd": 0},
        ],
        "categories": [{"id": 1, "name": "car", "supercategory": "vehicle"},
                       {"id": 2, "name": "person", "supercategory": "human"}],
    }


@pytest.fixture()
def coco_file(tmp_path):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(coco_doc()))
    return str(path)


def _read_all(path: str, tmp_path, **kw) -> list:
    reader = CocoReader(path, images_dir=str(tmp_path / "images"),
                        masks_dir=str(tmp_path / "masks"), **kw)
    return [f for batch in reader.batches() for f in batch], reader


def test_import_maps_every_kind_of_annotation(coco_file, tmp_path):
    frames, reader = _read_all(coco_file, tmp_path, batch_size=2)
    assert [f.id for f in frames] == ["1", "7", "3"]
    assert reader.stats.images == 3 and reader.stats.annotations == 7
    assert reader.stats.orphan_annotations == 1 and reader.stats.masks_written == 2
    a, b, c = frames
    assert a.source == str(tmp_path / "images" / "a.jpg")
    assert (a.width, a.height) == (40, 30)
    assert a.meta == {"license": 2, "date_captured": "2020-01-01 10:00:00"}
    r10, r11 = a.annotations
    assert r10.id == "10" and r10.labels == ["car"] and r10.poly == [1, 1, 10, 1, 10, 8, 1, 8]
    assert r10.meta == {"iscrowd": 0, "area": 50.0}
    assert r11.poly == [20, 2, 25, 2, 25, 6, POLY_SEPARATOR, 30.5, 10, 35, 10, 35, 15, 30, 12]
    assert len(r11.parts()) == 2
    # RLE -> a mask source per annotation, decoded pixel-exact
    assert b.source == str(tmp_path / "images" / "sub" / "b.png")
    r12, r13 = b.annotations
    assert r12.meta["iscrowd"] == 1 and r12.mask == {"id": "12", "value": [255, 255, 255]}
    assert r12.poly == [5, 5, 10, 5, 10, 9, 5, 9]
    masks = b.masks_source
    assert set(masks) == {"12", "13"}
    arr = np.asarray(Image.open(masks["12"]))
    assert arr.shape == (30, 40) and arr[5:9, 5:10].min() == 255 and arr.sum() == 255 * 20
    arr = np.asarray(Image.open(masks["13"]))
    assert arr[10:13, 20:24].min() == 255 and arr.sum() == 255 * 12
    # bbox-only -> box poly; score -> confidence; no geometry -> frame label
    r14, r16 = c.annotations
    assert r14.poly == [2.5, 3, 6.5, 3, 6.5, 8, 2.5, 8] and r14.confidence == 0.75
    assert r16.poly is None and r16.is_frame_label and r16.labels == ["car"]
    assert reader.categories.records()[0] == {"id": 1, "name": "car", "supercategory": "vehicle"}


@PYCOCO_NUMPY2
def test_export_loads_in_pycocotools_and_round_trips(coco_file, tmp_path):
    from pycocotools.coco import COCO

    frames, reader = _read_all(coco_file, tmp_path)
    out = tmp_path / "out.json"
    stats = write_coco(frames, str(out), categories=reader.categories.records())
    assert (stats.images, stats.annotations, stats.categories) == (3, 6, 2)
    coco = COCO(str(out))
    assert sorted(coco.getImgIds()) == [1, 3, 7]
    assert coco.loadCats(2)[0]["name"] == "person"
    m = coco.annToMask(coco.loadAnns(12)[0])
    assert m.sum() == 20
    assert coco.annToMask(coco.loadAnns(11)[0]).sum() > 0
    again, _ = _read_all(str(out), tmp_path)
    assert frame_docs(again) == frame_docs(frames)
    # plain COCO annotations with iscrowd and area need no extra key
    doc = json.loads(out.read_text())
    assert all(EXTRA_KEY not in a for a in doc["annotations"] if a["id"] not in (14, 16))


def test_round_trip_of_arbitrary_frames(tmp_path):
    f1 = SingleFrame("s3://bucket/x/1.jpg", width=64, height=48, id="abc",
                     metadata={"city": "bremen", "width": 3, "n": 2}, context_id="seq-1",
                     timestamp=33, preview_uri="s3://bucket/p/1.jpg",
                     mask_source="s3://bucket/m/1.png")
    f1.add_annotation(poly2d_xy=[[1, 1, 5, 1, 5, 5], [10, 10, 12, 10, 11, 14]],
                      labels=["car", "red"], confidence=0.5, metadata={"occluded": True})
    f1.add_annotation(box2d_xywh=[0.1, 0.2, 0.3, 0.4], labels="bike")
    f1.add_annotation(labels=["night"])
    f1.add_annotation(poly2d_xy=[0, 0, 3, 0, 3, 3], labels=[], metadata={"iscrowd": 5})
    f2 = SingleFrame("/data/imgs/2.jpg", width=10, height=10, id="42")
    f2.add_annotation(box2d_xywh=[1, 1, 2, 2], labels="car", id="42")
    out = tmp_path / "o.json"
    write_coco([f1, f2], str(out), relative_to="/data/imgs")
    doc = json.loads(out.read_text())
    assert doc["images"][1]["file_name"] == "2.jpg"
    assert {c["name"] for c in doc["categories"]} == {"car", "bike", "night"}
    from pycocotools.coco import COCO

    COCO(str(out))
    frames = [f for b in CocoReader(str(out), images_dir="/data/imgs").batches() for f in b]
    assert frame_docs(frames) == frame_docs([f1, f2])


def test_export_to_fsspec_url_and_relative_ids(tmp_path):
    frame = SingleFrame("mem.jpg", id="7")
    write_coco([frame], "memory://exports/o.json")
    import fsspec

    with fsspec.open("memory://exports/o.json", "r") as f:
        assert json.load(f)["images"][0]["id"] == 7


def test_streaming_memory_is_bounded_by_the_batch(tmp_path):
    n = 3000
    doc = {"images": [{"id": i, "file_name": f"{i}.jpg", "width": 8, "height": 8}
                      for i in range(n)],
           "annotations": [{"id": i, "image_id": (i * 7) % n, "category_id": 1,
                            "bbox": [0, 0, 2, 2]} for i in range(2 * n)],
           "categories": [{"id": 1, "name": "x"}]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    seen, sizes = 0, []
    reader = CocoReader(str(path), images_dir=str(tmp_path), batch_size=500)
    for batch in reader.batches(progress=sizes.append):
        assert len(batch) <= 500
        for f in batch:
            assert int(f.id) == seen
            seen += 1
            assert all(r.labels == ["x"] for r in f.annotations)
    assert seen == n and sizes[-1] == n
    assert reader.stats.annotations == 2 * n


def test_rle_without_masks_dir_is_an_error(coco_file, tmp_path):
    reader = CocoReader(coco_file, images_dir=str(tmp_path))
    with pytest.raises(ConvertError, match="masks dir"):
        for _ in reader.batches():
            pass


@pytest.mark.parametrize("content, match", [
    ("{not json", "invalid JSON"),
    (json.dumps({"images": [{"id": "x", "file_name": "a"}]}), "integer"),
    (json.dumps({"images": [{"id": 1, "file_name": "a"}, {"id": 1, "file_name": "b"}]}),
     "duplicate image id 1"),
    (json.dumps({"images": [{"id": 1}]}), "file_name"),
])
def test_malformed_files_name_the_problem(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConvertError, match=match):
        for _ in CocoReader(str(path)).batches():
            pass


def test_missing_file(tmp_path):
    with pytest.raises(ConvertError, match="not found"):
        CocoReader(str(tmp_path / "nope.json"))


def test_registry_lists_known_formats():
    assert list_converters() == ["coco"]
    assert get_converter("COCO").name == "coco"
    with pytest.raises(ConvertError, match="known formats: coco"):
        get_converter("voc")


def test_colour_rle_mask_keeps_its_value(tmp_path):
    from hyperloader.convert import mask_png_to_rle, rle_to_mask_png

    rle = _rle(6, 7, (1, 2, 3, 2), compressed=True)
    png = rle_to_mask_png(rle, [10, 20, 30])
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGB" and img.getpixel((1, 2)) == (10, 20, 30)
    back, area = mask_png_to_rle(png, [10, 20, 30])
    assert area == 6 and back["counts"] == rle["counts"]
    assert os.path.exists(tmp_path)
