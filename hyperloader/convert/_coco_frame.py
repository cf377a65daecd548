"""Map one COCO image and its annotations to a frame dict (``_coco_records`` goes back).

The mapping (both directions):

- image ``id`` <-> frame id (``str``), ``file_name`` <-> source URI (joined to the images
  dir), ``width``/``height`` <-> source fields, every other image key <-> frame meta;
- annotation ``id`` <-> ROI id, ``category_id`` <-> the ROI's label, ``score`` <->
  ``confidence``, every other annotation key (``iscrowd``, ``area``, ...) <-> ROI meta;
- polygon segmentations (several parts too) <-> a multi-part ``poly``; an RLE
  segmentation <-> a mask source (a binary PNG) referenced by the ROI's ``mask``, with the
  box as ``poly``; a bbox-only annotation <-> a box ``poly``; neither <-> a frame label.

What plain COCO cannot hold (a context id, masks that are not per-ROI, fields whose
derived value differs) rides in an extra ``"hyperloader"`` key of the image or
annotation, which other COCO tools ignore. Exporting then importing therefore gives the
same frames.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from hyperloader.convert._categories import CocoCategories
from hyperloader.convert._errors import ConvertError
from hyperloader.model import box_to_poly, guess_content_type, join_parts

__all__ = ["ANN_KEYS", "EXTRA_KEY", "IMAGE_KEYS", "MASK_VALUE", "ann_to_roi_dict",
           "image_to_frame_dict", "resolve_uri"]

#: Key of the extra object that carries what plain COCO cannot hold.
EXTRA_KEY = "hyperloader"
IMAGE_KEYS = frozenset({"id", "file_name", "width", "height", EXTRA_KEY})
ANN_KEYS = frozenset({"id", "image_id", "category_id", "segmentation", "bbox", "score",
                       EXTRA_KEY})
#: The ``value`` of a ROI's ``mask`` reference to the binary PNG decoded from its RLE.
MASK_VALUE = [255, 255, 255]


def resolve_uri(file_name: str, images_dir: str | None) -> str:
    """Join a COCO ``file_name`` to ``images_dir`` unless it is already absolute or a URL."""
    if "://" in file_name or os.path.isabs(file_name) or not images_dir:
        return file_name
    if "://" in images_dir:
        return images_dir.rstrip("/") + "/" + file_name
    return os.path.join(images_dir, file_name)


def _without_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def image_to_frame_dict(image: Mapping[str, Any], *, images_dir: str | None) -> dict[str, Any]:
    """Return the frame dict (no ROIs, no RLE masks yet) of one COCO image record.

    Raises:
        ConvertError: when ``id`` or ``file_name`` is missing.
    """
    if "id" not in image or not image.get("file_name"):
        raise ConvertError(f"an image needs 'id' and 'file_name', got keys {sorted(image)}")
    extra = image.get(EXTRA_KEY) or {}
    uri = resolve_uri(str(image["file_name"]), images_dir)
    src: dict[str, Any] = {"id": "default", "uri": uri, "content_type": guess_content_type(uri),
                           "width": image.get("width"), "height": image.get("height"),
                           "timestamp": 0}
    meta = {k: v for k, v in image.items() if k not in IMAGE_KEYS}
    frame: dict[str, Any] = {"id": str(image["id"]), "context_id": uri, "timestamp": 0,
                             "meta": meta or None}
    frame.update(extra.get("frame") or {})
    src.update(extra.get("source") or {})
    src["masks"] = list(extra.get("masks") or [])
    frame["sources"] = [_without_none(src)]
    frame["rois"] = []
    return _without_none(frame)


def _polygon(segm: list[Any]) -> list[float] | None:
    parts = segm if segm and isinstance(segm[0], (list, tuple)) else [segm]
    good = [list(p) for p in parts if len(p) >= 6 and len(p) % 2 == 0]
    return join_parts(good) if good else None


def _box(bbox: Any) -> list[float] | None:
    if isinstance(bbox, (list, tuple)) and len(bbox) == 4:
        return box_to_poly(bbox)
    return None


def ann_to_roi_dict(ann: Mapping[str, Any], *, categories: CocoCategories, fallback_id: str,
                    source_id: str = "default",
                    rle_bbox: Callable[[dict[str, Any]], list[float]] | None = None,
                    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Return ``(roi_dict, rle_or_None)`` for one COCO annotation.

    With an RLE segmentation the ROI's ``mask`` names a mask (id = ROI id unless the extra
    key says otherwise) that the caller must create from the returned RLE.
    """
    extra = ann.get(EXTRA_KEY) or {}
    rid = str(ann["id"]) if ann.get("id") is not None else fallback_id
    label = categories.name_of(ann.get("category_id"))
    roi: dict[str, Any] = {"id": rid, "label": [label] if label is not None else [],
                           "sources": [source_id]}
    segm, rle, poly = ann.get("segmentation"), None, None
    if isinstance(segm, dict):
        rle = segm
        roi["mask"] = {"id": rid, "value": list(MASK_VALUE)}
        poly = _box(ann.get("bbox"))
        if poly is None and rle_bbox is not None:
            poly = box_to_poly(rle_bbox(segm))
    elif isinstance(segm, list) and segm:
        poly = _polygon(segm)
    roi["poly"] = poly if poly is not None else _box(ann.get("bbox"))
    meta = {k: v for k, v in ann.items() if k not in ANN_KEYS}
    score = ann.get("score")
    if isinstance(score, (int, float)) and not isinstance(score, bool) and 0 <= score <= 1:
        roi["confidence"] = score
    elif score is not None:
        meta["score"] = score
    roi["meta"] = meta or None
    roi.update(extra)
    return _without_none(roi), rle
