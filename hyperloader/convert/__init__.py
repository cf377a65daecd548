"""Annotation formats to and from frames: COCO import (streaming) and export.

See :mod:`hyperloader.convert._coco_frame` for the exact field mapping.
"""

from __future__ import annotations

from hyperloader.convert._categories import CocoCategories
from hyperloader.convert._coco_frame import (
    EXTRA_KEY,
    ann_to_roi_dict,
    image_to_frame_dict,
    resolve_uri,
)
from hyperloader.convert._coco_read import CocoImportStats, CocoReader
from hyperloader.convert._coco_records import IdAllocator, frame_to_coco
from hyperloader.convert._coco_write import CocoExportStats, read_uri, write_coco
from hyperloader.convert._errors import ConvertError
from hyperloader.convert._registry import Converter, get_converter, list_converters
from hyperloader.convert._rle import mask_png_to_rle, rle_to_mask_png
from hyperloader.convert._stream import has_streaming, iter_json_array

__all__ = [
    "EXTRA_KEY",
    "CocoCategories",
    "CocoExportStats",
    "CocoImportStats",
    "CocoReader",
    "ConvertError",
    "Converter",
    "IdAllocator",
    "ann_to_roi_dict",
    "frame_to_coco",
    "get_converter",
    "has_streaming",
    "image_to_frame_dict",
    "iter_json_array",
    "list_converters",
    "mask_png_to_rle",
    "read_uri",
    "resolve_uri",
    "rle_to_mask_png",
    "write_coco",
]
