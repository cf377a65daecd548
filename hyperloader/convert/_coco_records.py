"""Turn frame dicts into COCO image and annotation records (the inverse of _coco_frame).

Each record is checked against what the importer would derive from it; fields that would
come back different are written to the record's extra ``"hyperloader"`` key, so that
importing an export gives the same frames.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hyperloader.convert._categories import CocoCategories
from hyperloader.convert._coco_frame import (
    ANN_KEYS,
    EXTRA_KEY,
    IMAGE_KEYS,
    ann_to_roi_dict,
    image_to_frame_dict,
)
from hyperloader.convert._errors import ConvertError
from hyperloader.model import split_parts

__all__ = ["IdAllocator", "MaskReader", "frame_to_coco"]

_ROI_FIELDS = ("id", "label", "poly", "points", "confidence", "sources", "meta", "mask",
               "label_num")
_FRAME_FIELDS = ("id", "context_id", "timestamp", "meta")
_SOURCE_FIELDS = ("id", "uri", "content_type", "width", "height", "timestamp", "preview", "meta")

#: ``(uri) -> bytes``: reads a mask image.
MaskReader = Callable[[str], bytes]


class IdAllocator:
    """Hands out unique COCO integer ids, keeping a frame's or ROI's own id when numeric.

    The ids handed out are remembered as bits (one per id up to about twice the largest
    dense one) plus a set of far outliers: an export of millions of records keeps
    megabytes, not the hundreds a set of ints would.
    """

    def __init__(self) -> None:
        self._bits = bytearray()
        self._far: set[int] = set()
        self._next = 1

    def __contains__(self, value: int) -> bool:
        byte = value >> 3
        if byte < len(self._bits) and self._bits[byte] >> (value & 7) & 1:
            return True
        return value in self._far

    def _add(self, value: int) -> None:
        byte = value >> 3
        if byte >= len(self._bits) and byte < 2 * len(self._bits) + 8192:
            self._bits.extend(bytes(max(byte + 1, 2 * len(self._bits)) - len(self._bits)))
        if byte < len(self._bits):
            self._bits[byte] |= 1 << (value & 7)
        else:
            self._far.add(value)

    def take(self, preferred: str | None = None) -> int:
        """Return ``int(preferred)`` if it is a canonical, unused number, else a fresh id."""
        if preferred and preferred.isascii() and preferred.isdigit() \
                and str(int(preferred)) == preferred \
                and int(preferred) not in self:
            value = int(preferred)
        else:
            while self._next in self:
                self._next += 1
            value = self._next
        self._add(value)
        return value


def _relative(uri: str, relative_to: str | None) -> str:
    if not relative_to:
        return uri
    prefix = relative_to.rstrip("/") + "/"
    return uri[len(prefix):] if uri.startswith(prefix) else uri


def _bbox_of(poly: list[float]) -> list[float]:
    xs = [v for part in split_parts(poly) for v in part[0::2]]
    ys = [v for part in split_parts(poly) for v in part[1::2]]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def _poly_area(poly: list[float]) -> float:
    total = 0.0
    for part in split_parts(poly):
        xs, ys = part[0::2], part[1::2]
        n = len(xs)
        total += abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2
    return total


def _diff(actual: Mapping[str, Any], derived: Mapping[str, Any],
          fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: actual.get(k) for k in fields if actual.get(k) != derived.get(k)}


def _owned_masks(frame: Mapping[str, Any]) -> dict[str, str]:
    """Masks referenced by exactly one ROI: exported as that ROI's RLE. ``{mask_id: roi_id}``."""
    refs: dict[str, list[str]] = {}
    for roi in frame.get("rois") or ():
        if roi.get("mask") and roi["mask"].get("id") is not None:
            refs.setdefault(str(roi["mask"]["id"]), []).append(roi["id"])
    return {mid: rois[0] for mid, rois in refs.items() if len(rois) == 1}


def frame_to_coco(frame: Mapping[str, Any], *, image_ids: IdAllocator, ann_ids: IdAllocator,
                  categories: CocoCategories, relative_to: str | None = None,
                  read_mask: MaskReader | None = None,
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the COCO ``(images, annotations)`` of one frame dict (one image per source).

    Args:
        frame: a frame in the reference JSON shape (``frame.to_dict()``).
        image_ids: allocates image ids (the frame id itself when it is a free number).
        ann_ids: allocates annotation ids (the ROI id itself when it is a free number).
        categories: label -> category id map; unknown labels are added.
        relative_to: write ``file_name`` relative to this directory when under it.
        read_mask: reads a mask image, needed for ROIs that own a mask (exported as RLE).

    Raises:
        ConvertError: when a ROI owns a mask but ``read_mask`` is None.
    """
    images, anns = [], []
    owned = _owned_masks(frame)
    for src in frame["sources"]:
        image_id, image = _image_record(frame, src, image_ids, owned, relative_to)
        images.append(image)
        masks = {m["id"]: m for m in src.get("masks") or ()}
        for roi in frame.get("rois") or ():
            if src["id"] not in roi.get("sources", ["default"]):
                continue
            mask_id = str((roi.get("mask") or {}).get("id"))
            mask = masks.get(mask_id) if owned.get(mask_id) == roi["id"] else None
            anns.append(_ann_record(roi, src["id"], image_id, ann_ids, categories, mask,
                                    read_mask))
    return images, anns


def _image_record(frame: Mapping[str, Any], src: Mapping[str, Any], image_ids: IdAllocator,
                  owned: Mapping[str, str], relative_to: str | None,
                  ) -> tuple[int, dict[str, Any]]:
    single = len(frame["sources"]) == 1
    image_id = image_ids.take(frame["id"] if single else None)
    image: dict[str, Any] = {"id": image_id, "file_name": _relative(src["uri"], relative_to)}
    for key in ("width", "height"):
        if src.get(key) is not None:
            image[key] = src[key]
    meta = dict(frame.get("meta") or {})
    image.update({k: v for k, v in meta.items() if k not in IMAGE_KEYS})
    derived = image_to_frame_dict(image, images_dir=relative_to)
    actual = {k: frame.get(k) for k in _FRAME_FIELDS}
    if not single:
        actual["id"] = f"{frame['id']}/{src['id']}"
    extra: dict[str, Any] = {}
    if d := _diff(actual, derived, _FRAME_FIELDS):
        extra["frame"] = d
    if d := _diff(src, derived["sources"][0], _SOURCE_FIELDS):
        extra["source"] = d
    kept = [m for m in src.get("masks") or () if m["id"] not in owned]
    if kept:
        extra["masks"] = kept
    if extra:
        image[EXTRA_KEY] = extra
    return image_id, image


def _ann_record(roi: Mapping[str, Any], source_id: str, image_id: int, ann_ids: IdAllocator,
                categories: CocoCategories, mask: Mapping[str, Any] | None,
                read_mask: MaskReader | None) -> dict[str, Any]:
    labels = roi.get("label") or []
    ann: dict[str, Any] = {"id": ann_ids.take(roi["id"]), "image_id": image_id,
                           "category_id": categories.id_for(labels[0]) if labels else 0}
    poly = roi.get("poly")
    if mask is not None:
        if read_mask is None:
            raise ConvertError(f"ROI {roi['id']!r} has a mask; a mask reader is needed")
        from hyperloader.convert._rle import mask_png_to_rle

        ann["segmentation"], ann["area"] = mask_png_to_rle(read_mask(mask["uri"]),
                                                           roi["mask"].get("value", 255))
        ann["iscrowd"] = 1
    elif poly:
        ann["segmentation"] = split_parts(poly)
        ann["area"] = _poly_area(poly)
        ann["iscrowd"] = 0
    if poly:
        ann["bbox"] = _bbox_of(poly)
    if roi.get("confidence") is not None:
        ann["score"] = roi["confidence"]
    ann.update({k: v for k, v in (roi.get("meta") or {}).items() if k not in ANN_KEYS})
    derived, _ = ann_to_roi_dict(ann, categories=categories, fallback_id="", source_id=source_id)
    if d := _diff(roi, derived, _ROI_FIELDS):
        ann[EXTRA_KEY] = d
    return ann
