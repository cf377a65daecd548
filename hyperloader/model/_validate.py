"""Validation of the frame JSON; every failure names the frame id, field path and value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

from hyperloader.errors import InvalidFrameError
from hyperloader.model._geometry import POLY_SEPARATOR

__all__ = ["is_int64", "validate_frame_dict", "validate_meta", "validate_poly",
           "validate_roi_dict"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and not (
        isinstance(v, float) and math.isnan(v))


def is_int64(v: Any) -> bool:
    """Return True when an int64 column holds ``v`` exactly: an integral, non-bool number.

    ``33.0`` and ``np.int32(3)`` pass; ``1.5`` (Arrow would truncate it to 1), ``True``,
    ``"3"`` and values outside the int64 range do not.
    """
    if type(v) is int:
        return _INT64_MIN <= v <= _INT64_MAX
    return (_is_number(v) and math.isfinite(v) and v == int(v)
            and _INT64_MIN <= int(v) <= _INT64_MAX)


def _check_int(v: Any, *, frame_id: str | None, field: str, what: str,
               uri: str | None = None) -> None:
    if v is not None and not is_int64(v):
        raise InvalidFrameError(f"{what} must be an integer that fits in 64 bits",
                                frame_id=frame_id, field=field, value=v, uri=uri)


def _check_id(v: Any, *, frame_id: str | None, field: str) -> None:
    # None means "generate one"; anything else is stored as given, so it must be an id
    if v is not None and (not isinstance(v, str) or not v):
        raise InvalidFrameError("id must be a non-empty string", frame_id=frame_id, field=field,
                                value=v)


def validate_meta(meta: Any, *, frame_id: str | None, field: str) -> None:
    """Reject meta that is not a dict or has keys containing ``.`` or ``$`` (recursively)."""
    if meta is None:
        return
    if not isinstance(meta, Mapping):
        raise InvalidFrameError("meta must be a dict", frame_id=frame_id, field=field, value=meta)
    for key, value in meta.items():
        if not isinstance(key, str) or "." in key or "$" in key or not key:
            raise InvalidFrameError("meta keys must be non-empty strings without '.' or '$'",
                                    frame_id=frame_id, field=f"{field}.{key}", value=key)
        if isinstance(value, Mapping):
            validate_meta(value, frame_id=frame_id, field=f"{field}.{key}")


def _poly_ok_fast(poly: list | tuple, min_points: int) -> bool:
    """Return True when ``poly`` is plainly valid; bulk imports spend most time here."""
    types = set(map(type, poly))
    if not types <= {int, float}:
        return False
    if float in types and not all(map(math.isfinite, poly)):
        return False
    start = 0
    for i in [i for i, v in enumerate(poly) if v == POLY_SEPARATOR] + [len(poly)]:
        count = i - start
        if count % 2 or count // 2 < min_points:
            return False
        start = i + 1
    return True


def validate_poly(poly: Any, *, frame_id: str | None, field: str, min_points: int = 3) -> None:
    """Check a flat (possibly multi-part) polygon: numbers, even counts, enough points."""
    if not isinstance(poly, (list, tuple)):
        raise InvalidFrameError("polygon must be a list of numbers", frame_id=frame_id,
                                field=field, value=poly)
    if _poly_ok_fast(poly, min_points):
        return
    part, start = 0, 0
    values = list(poly) + [POLY_SEPARATOR]
    for i, v in enumerate(values):
        if i < len(poly) and not (_is_number(v) and math.isfinite(v)):
            raise InvalidFrameError("polygon coordinates must be finite numbers", frame_id=frame_id,
                                    field=f"{field}[{i}]", value=v)
        if v == POLY_SEPARATOR:
            count = i - start
            if count % 2:
                raise InvalidFrameError(f"odd number of coordinates ({count}) in part {part}",
                                        frame_id=frame_id, field=field, value=list(poly[start:i]))
            if count // 2 < min_points:
                raise InvalidFrameError(f"part {part} needs at least {min_points} points, got "
                                        f"{count // 2}", frame_id=frame_id, field=field,
                                        value=list(poly[start:i]))
            part, start = part + 1, i + 1


def validate_roi_dict(roi: Mapping[str, Any], *, frame_id: str | None, field: str,
                      source_ids: set[str] | None = None) -> None:
    """Check one ROI dict: id, labels, polygon, confidence, sources, label_num and meta."""
    _check_dict(roi, frame_id=frame_id, field=field, what="a ROI")
    _check_id(roi.get("id"), frame_id=frame_id, field=f"{field}.id")
    labels = roi.get("label", roi.get("labels"))
    if labels is not None and (not isinstance(labels, (list, tuple))
                               or not all(isinstance(x, str) for x in labels)):
        raise InvalidFrameError("label must be a list of strings", frame_id=frame_id,
                                field=f"{field}.label", value=labels)
    if roi.get("poly") is not None:
        validate_poly(roi["poly"], frame_id=frame_id, field=f"{field}.poly")
    if roi.get("points") is not None:
        validate_poly(roi["points"], frame_id=frame_id, field=f"{field}.points", min_points=1)
    conf = roi.get("confidence")
    if conf is not None and (not _is_number(conf) or not 0.0 <= conf <= 1.0):
        raise InvalidFrameError("confidence must be a number in [0, 1]", frame_id=frame_id,
                                field=f"{field}.confidence", value=conf)
    _check_int(roi.get("label_num"), frame_id=frame_id, field=f"{field}.label_num",
               what="label_num")
    if source_ids is not None:
        for sid in roi.get("sources") or ():
            if sid not in source_ids:
                raise InvalidFrameError(f"ROI names unknown source; frame has {sorted(source_ids)}",
                                        frame_id=frame_id, field=f"{field}.sources", value=sid)
    validate_meta(roi.get("meta"), frame_id=frame_id, field=f"{field}.meta")


def _check_dict(value: Any, *, frame_id: str | None, field: str, what: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidFrameError(f"{what} must be a dict", frame_id=frame_id, field=field,
                                value=value)


def _validate_source(src: Mapping[str, Any], *, frame_id: str | None, field: str) -> None:
    _check_dict(src, frame_id=frame_id, field=field, what="a source")
    uri = src.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidFrameError("source uri must be a non-empty string", frame_id=frame_id,
                                field=f"{field}.uri", value=uri)
    for dim in ("width", "height"):
        v = src.get(dim)
        # an int64 column would silently truncate 3.5, so fractions are rejected too
        if v is not None and not (is_int64(v) and v >= 0):
            raise InvalidFrameError(f"{dim} must be a non-negative integer", frame_id=frame_id,
                                    field=f"{field}.{dim}", value=v, uri=uri)
    _check_int(src.get("timestamp"), frame_id=frame_id, field=f"{field}.timestamp",
               what="timestamp", uri=uri)
    preview = src.get("preview")
    if preview is not None:
        _check_dict(preview, frame_id=frame_id, field=f"{field}.preview", what="preview")
        puri = preview.get("uri")
        if puri is not None and (not isinstance(puri, str) or not puri.strip()):
            raise InvalidFrameError("preview uri must be a non-empty string", frame_id=frame_id,
                                    field=f"{field}.preview.uri", value=puri)
    masks = src.get("masks")
    if masks is not None and not isinstance(masks, (list, tuple)):
        raise InvalidFrameError("masks must be a list of dicts", frame_id=frame_id,
                                field=f"{field}.masks", value=masks)
    for j, mask in enumerate(masks or ()):
        _check_dict(mask, frame_id=frame_id, field=f"{field}.masks[{j}]", what="a mask")
        muri = mask.get("uri")
        if not isinstance(muri, str) or not muri.strip():
            raise InvalidFrameError("mask uri must be a non-empty string", frame_id=frame_id,
                                    field=f"{field}.masks[{j}].uri", value=muri)
        _check_id(mask.get("id"), frame_id=frame_id, field=f"{field}.masks[{j}].id")
        _check_int(mask.get("timestamp"), frame_id=frame_id,
                   field=f"{field}.masks[{j}].timestamp", what="timestamp", uri=muri)
    validate_meta(src.get("meta"), frame_id=frame_id, field=f"{field}.meta")


def _validate_top_level(d: Mapping[str, Any], fid: Any) -> None:
    _check_id(fid, frame_id=fid, field="id")
    ctx = d.get("context_id")
    if ctx is not None and not isinstance(ctx, str):
        raise InvalidFrameError("context_id must be a string", frame_id=fid, field="context_id",
                                value=ctx)
    # the int64 timestamp column would truncate 1.5 to 1 and so mislabel the frame's order
    _check_int(d.get("timestamp"), frame_id=fid, field="timestamp", what="timestamp")
    marker = d.get("frame_group")
    if marker is not None and not isinstance(marker, bool):
        raise InvalidFrameError("frame_group must be true or false", frame_id=fid,
                                field="frame_group", value=marker)
    dataset = d.get("dataset")
    if dataset is not None and not isinstance(dataset, Mapping):
        raise InvalidFrameError("dataset must be a dict", frame_id=fid, field="dataset",
                                value=dataset)


def validate_frame_dict(d: Mapping[str, Any]) -> None:
    """Validate a whole frame dict in the reference JSON shape.

    Raises:
        InvalidFrameError: naming the frame id, the field path and the offending value.
    """
    fid = d.get("id")
    _validate_top_level(d, fid)
    sources = d.get("sources") or []
    if not isinstance(sources, (list, tuple)):
        raise InvalidFrameError("sources must be a list of dicts", frame_id=fid,
                                field="sources", value=sources)
    if not sources:
        raise InvalidFrameError("a frame needs at least one source", frame_id=fid,
                                field="sources", value=sources)
    seen: set[str] = set()
    for i, src in enumerate(sources):
        _validate_source(src, frame_id=fid, field=f"sources[{i}]")
        sid = src.get("id", "default")
        if not isinstance(sid, str) or not sid:
            raise InvalidFrameError("source id must be a non-empty string", frame_id=fid,
                                    field=f"sources[{i}].id", value=sid)
        if sid in seen:
            raise InvalidFrameError("duplicate source id", frame_id=fid,
                                    field=f"sources[{i}].id", value=sid)
        seen.add(sid)
    rois = d.get("rois") or []
    if not isinstance(rois, (list, tuple)):
        raise InvalidFrameError("rois must be a list of dicts", frame_id=fid, field="rois",
                                value=rois)
    for i, roi in enumerate(rois):
        validate_roi_dict(roi, frame_id=fid, field=f"rois[{i}]", source_ids=seen)
    validate_meta(d.get("meta"), frame_id=fid, field="meta")
