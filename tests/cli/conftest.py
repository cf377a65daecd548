"""Fixtures for the CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cli_helpers import write_image
from tests.convert.coco_helpers import box_rle


@pytest.fixture()
def coco_file(tmp_path) -> Path:
    """A small COCO file: polygons (multi-part too), RLE, bbox-only, crowd, categories."""
    images = tmp_path / "coco" / "images"
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        write_image(images / name, size=(40, 30))
    doc = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 40, "height": 30, "city": "bremen"},
            {"id": 2, "file_name": "b.jpg", "width": 40, "height": 30, "city": "berlin"},
            {"id": 3, "file_name": "c.jpg", "width": 40, "height": 30},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 63.0,
             "segmentation": [[1, 1, 10, 1, 10, 8, 1, 8]], "bbox": [1, 1, 9, 7]},
            {"id": 11, "image_id": 1, "category_id": 2, "iscrowd": 0, "area": 30.0,
             "segmentation": [[20, 2, 25, 2, 25, 6], [30, 10, 35, 10, 35, 15]],
             "bbox": [20, 2, 15, 13]},
            {"id": 12, "image_id": 2, "category_id": 1, "iscrowd": 1, "area": 20.0,
             "segmentation": box_rle(30, 40, (5, 5, 5, 4)), "bbox": [5, 5, 5, 4]},
            {"id": 13, "image_id": 3, "category_id": 2, "iscrowd": 0, "area": 20.0,
             "bbox": [2, 3, 4, 5]},
        ],
        "categories": [{"id": 1, "name": "car", "supercategory": "vehicle"},
                       {"id": 2, "name": "person", "supercategory": "human"}],
    }
    path = tmp_path / "coco" / "annotations.json"
    path.write_text(json.dumps(doc))
    return path
