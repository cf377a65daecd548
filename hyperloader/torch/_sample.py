"""One frame plus its fetched bytes -> ``(image, target)`` for torchvision transforms v2.

Samples are built from the frame's reference JSON (``DataView.get_entry_dicts``), which the
store has already validated: no model objects are built per frame on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torchvision import tv_tensors

from hyperloader.model import POLY_SEPARATOR, FrameGroup, SingleFrame, is_single_frame_dict
from hyperloader.torch._decoders import decode_source
from hyperloader.torch._options import MaskMode, SampleOptions

__all__ = ["build_sample", "frame_uris", "version_of"]

FrameDict = Mapping[str, Any]
#: ``version_id -> {(r, g, b): label id}`` (``DataView.mask_label_ids``).
MaskIds = Callable[[str | None], Mapping[tuple[int, ...], int]]

_DEFAULT_SOURCE = "default"


def version_of(frame: FrameDict) -> str | None:
    """Return the id of the version the frame dict was read from, if known."""
    return (frame.get("dataset") or {}).get("version") or frame.get("saved_in_version")


def _mask_of(source: FrameDict, options: SampleOptions) -> FrameDict | None:
    masks = source.get("masks") or []
    if options.mask_mode is MaskMode.NONE or not masks:
        return None
    if options.mask_id is None:
        return masks[0]
    return next((m for m in masks if m.get("id") == options.mask_id), None)


def frame_uris(frame: FrameDict, options: SampleOptions) -> list[str]:
    """Return every URI the sample of ``frame`` reads: its sources, then the chosen masks."""
    sources = frame["sources"]
    uris = [s["uri"] for s in sources]
    uris += [m["uri"] for s in sources if (m := _mask_of(s, options)) is not None]
    return uris


def build_sample(frame: SingleFrame | FrameGroup | FrameDict,
                 blobs: Mapping[str, bytes | bytearray], options: SampleOptions,
                 mask_ids: MaskIds) -> tuple[Any, dict[str, Any]]:
    """Decode a frame into ``(image, target)``.

    ROIs with a polygon become ``boxes``/``labels``/``masks``; ROIs without geometry are
    frame labels (``frame_labels``, or ``labels`` when ROI outputs are off). ROIs whose
    labels the view does not enumerate (``label_num == -1``) are left out.

    Args:
        frame: A SingleFrame, a FrameGroup or a frame dict in the reference JSON shape,
            whose ROIs carry ``label_num`` (as a DataView returns them).
        blobs: The bytes of every URI in :func:`frame_uris`.
        options: What to decode and emit.
        mask_ids: Maps a version id to the mask colour -> label id table.

    Returns:
        For a SingleFrame an ``Image`` and a target dict; for a FrameGroup a dict source id ->
        ``Image`` and a target whose per-source entries (``boxes``, ``labels``, ``masks``,
        ``semantic_mask``, ``alpha_mask``) are dicts keyed the same way.

    Raises:
        DecodeError: when a source or mask cannot be decoded, naming frame, source and URI.
        ValueError: when a ROI has no ``label_num`` (the view enumerates no labels).
    """
    d: FrameDict = frame.to_dict() if isinstance(frame, (SingleFrame, FrameGroup)) else frame
    sources = d["sources"]
    source_ids = [s.get("id", _DEFAULT_SOURCE) for s in sources]
    rois = d.get("rois") or []
    frame_rois = [r for r in rois if r.get("poly") is None and r.get("points") is None]
    per_source = {}
    for sid, source in zip(source_ids, sources, strict=True):
        mine = [r for r in rois if r.get("poly") and sid in (r.get("sources") or source_ids)]
        per_source[sid] = _source_sample(d, sid, source, mine, blobs, options, mask_ids)
    target: dict[str, Any] = {
        "frame_id": d["id"], "context_id": d.get("context_id") or sources[0]["uri"],
        "timestamp": d.get("timestamp") or sources[0].get("timestamp") or 0,
        "meta": d.get("meta") or {}}
    frame_labels = _label_tensor(_enumerated(d, frame_rois))
    target["frame_labels" if options.rois else "labels"] = frame_labels
    if is_single_frame_dict(d):
        image, fields = per_source[source_ids[0]]
        return image, {**fields, **target}
    images = {sid: image for sid, (image, _) in per_source.items()}
    keys = dict.fromkeys(k for _, fields in per_source.values() for k in fields)
    for key in keys:
        target[key] = {sid: f[key] for sid, (_, f) in per_source.items() if key in f}
    return images, target


def _enumerated(frame: FrameDict, rois: list[FrameDict]) -> list[FrameDict]:
    """Keep the ROIs whose labels the view enumerates (``label_num >= 0``).

    Raises:
        ValueError: when a ROI has no ``label_num`` at all (the view has no labels).
    """
    for r in rois:
        if r.get("label_num") is None:
            raise ValueError(f"frame {frame['id']!r} ROI {r.get('id')!r} {r.get('label')!r} has "
                             "no label_num: give the DataView a label enumeration with "
                             "set_labels({...})")
    return [r for r in rois if r["label_num"] >= 0]


def _label_tensor(rois: list[FrameDict]) -> torch.Tensor:
    return torch.tensor([r["label_num"] for r in rois], dtype=torch.int64)


def _source_sample(frame: FrameDict, sid: str, source: FrameDict, rois: list[FrameDict],
                   blobs: Mapping[str, bytes | bytearray], options: SampleOptions,
                   mask_ids: MaskIds) -> tuple[tv_tensors.Image, dict[str, Any]]:
    uri = source["uri"]
    data = blobs[uri]
    pixels = decode_source(data, decoder=options.decoder, decode_size=options.decode_size,
                           frame_id=frame["id"], source_id=sid, uri=uri)
    h, w = int(pixels.shape[1]), int(pixels.shape[2])
    scale = _scale(source, data, h, w, options)
    fields: dict[str, Any] = {}
    if options.rois:
        fields.update(_roi_fields(_enumerated(frame, rois), h, w, scale,
                                  options.instance_masks))
    mask = _mask_of(source, options)
    if mask is not None:
        fields.update(_mask_fields(frame, sid, mask["uri"], blobs[mask["uri"]], h, w, options,
                                   mask_ids))
    return tv_tensors.Image(pixels), fields


def _scale(source: FrameDict, data: bytes | bytearray, h: int, w: int,
           options: SampleOptions) -> tuple[float, float] | None:
    """Return ``(sx, sy)`` from stored pixel coordinates to decoded ones, None for 1:1."""
    if options.decode_size is None:
        return None
    full_w, full_h = source.get("width"), source.get("height")
    if not (full_w and full_h):
        from hyperloader.decode import image_size

        full_w, full_h = image_size(data, uri=source["uri"])  # header only
    if (full_w, full_h) == (w, h):
        return None
    return w / full_w, h / full_h


def _scaled_poly(poly: list[float], scale: tuple[float, float] | None) -> np.ndarray:
    arr = np.asarray(poly, dtype=np.float64)
    if scale is None:
        return arr
    sep = arr == POLY_SEPARATOR
    # x/y parity restarts after every separator
    idx = np.arange(arr.size) - np.maximum.accumulate(np.where(sep, np.arange(arr.size) + 1, 0))
    out = np.where(idx % 2 == 0, arr * scale[0], arr * scale[1])
    out[sep] = POLY_SEPARATOR
    return out


def _roi_fields(rois: list[FrameDict], h: int, w: int, scale: tuple[float, float] | None,
                instance_masks: bool) -> dict[str, Any]:
    from hyperloader.decode import polygon_bbox_xyxy, rasterize_polygons

    polys = [_scaled_poly(r["poly"], scale) for r in rois]
    boxes = torch.tensor([polygon_bbox_xyxy(p) for p in polys],
                         dtype=torch.float32).reshape(-1, 4)
    fields: dict[str, Any] = {
        "boxes": tv_tensors.BoundingBoxes(boxes, format=tv_tensors.BoundingBoxFormat.XYXY,
                                          canvas_size=(h, w)),
        "labels": _label_tensor(rois),
    }
    if instance_masks:
        fields["masks"] = tv_tensors.Mask(torch.from_numpy(rasterize_polygons(polys, h, w)))
    return fields


def _mask_fields(frame: FrameDict, sid: str, uri: str, data: bytes | bytearray, h: int,
                 w: int, options: SampleOptions, mask_ids: MaskIds) -> dict[str, Any]:
    from hyperloader.decode import alpha_from_mask, decode_mask, map_mask_to_ids, resize_nearest

    mask = decode_mask(data, frame_id=frame["id"], source_id=sid, uri=uri)
    if mask.shape[:2] != (h, w):
        mask = resize_nearest(mask, (h, w))
    if options.mask_mode is MaskMode.ALPHA:
        alpha = alpha_from_mask(mask)  # float32 (1, H, W) in [0, 1]
        return {"alpha_mask": tv_tensors.Mask(torch.from_numpy(alpha))}
    ids = map_mask_to_ids(mask, mask_ids(version_of(frame)), options.ignore_index)
    return {"semantic_mask": tv_tensors.Mask(torch.from_numpy(np.asarray(ids, dtype=np.int64)))}
