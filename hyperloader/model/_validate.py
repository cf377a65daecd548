"""Validation of the frame JSON; every failure names the frame id, field path and value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

from hyperloader.errors import InvalidFrameError
from hyperloader.model._geometry import POLY_SEPARATOR

__all__ = ["validate_frame_dict", "validate_meta", "validate_poly", "validate_roi_dict"]


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and not (
        isinstance(v, float) and math.isnan(v))


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
    """Check one ROI dict: labels, polygon, confidence, sources and meta."""
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
    if source_ids is not None:
        for sid in roi.get("sources") or ():
            if sid not in source_ids:
                raise InvalidFrameError(f"ROI names unknown source; frame has {sorted(source_ids)}",
                                        frame_id=frame_id, field=f"{field}.sources", value=sid)
    validate_meta(roi.get("meta"), frame_id=frame_id, field=f"{field}.meta")


def _validate_source(src: Mapping[str, Any], *, frame_id: str | None, field: str) -> None:
    uri = src.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidFrameError("source uri must be a non-empty string", frame_id=frame_id,
                                field=f"{field}.uri", value=uri)
    for dim in ("width", "height"):
        v = src.get(dim)
        # an int64 column would silently truncate 3.5, so fractions are rejected too
        if v is not None and not (_is_number(v) and math.isfinite(v) and v >= 0
                                  and v == int(v)):
            raise InvalidFrameError(f"{dim} must be a non-negative integer", frame_id=frame_id,
                                    field=f"{field}.{dim}", value=v, uri=uri)
    for j, mask in enumerate(src.get("masks") or ()):
        muri = mask.get("uri")
        if not isinstance(muri, str) or not muri.strip():
            raise InvalidFrameError("mask uri must be a non-empty string", frame_id=frame_id,
                                    field=f"{field}.masks[{j}].uri", value=muri)
    validate_meta(src.get("meta"), frame_id=frame_id, field=f"{field}.meta")


def validate_frame_dict(d: Mapping[str, Any]) -> None:
    """Validate a whole frame dict in the reference JSON shape.

    Raises:
        InvalidFrameError: naming the frame id, the field path and the offending value.
    """
    fid = d.get("id")
    sources = d.get("sources") or []
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
    for i, roi in enumerate(d.get("rois") or []):
        validate_roi_dict(roi, frame_id=fid, field=f"rois[{i}]", source_ids=seen)
    validate_meta(d.get("meta"), frame_id=fid, field="meta")
    ts = d.get("timestamp")
    if ts is not None and not _is_number(ts):
        raise InvalidFrameError("timestamp must be a number", frame_id=fid, field="timestamp",
                                value=ts)
