"""The one place that converts frames to and from the reference JSON shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from hyperloader.errors import InvalidFrameError
from hyperloader.model._content_type import guess_content_type
from hyperloader.model._frame import SingleFrame, _FrameCommon
from hyperloader.model._group import FrameGroup
from hyperloader.model._parts import MaskSource, Roi, Source, new_id
from hyperloader.model._validate import validate_frame_dict, validate_roi_dict

__all__ = ["frame_from_dict", "frame_to_dict", "is_single_frame_dict", "roi_from_dict",
           "roi_to_dict"]

Frame = SingleFrame | FrameGroup

#: Set in the JSON only where the sources alone would name the wrong class (see
#: :func:`is_single_frame_dict`); every other frame keeps the exact reference shape.
FRAME_GROUP_KEY = "frame_group"

# immutable, so a copy may share them
_SHARED_TYPES = frozenset({str, int, float, bool, type(None), dt.datetime, dt.date})


def copy_json(value: Any) -> Any:
    """Copy the containers of a JSON-like value; immutable scalars are shared, not copied."""
    kind = type(value)
    if kind in _SHARED_TYPES:
        return value
    if kind is dict:
        return {k: v if type(v) in _SHARED_TYPES else copy_json(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SHARED_TYPES else copy_json(v) for v in value]
    return deepcopy(value)  # tuples, datetimes, numpy values, other mappings: rare


def _as_list(values: Any, copy: bool) -> list:
    # a list is shared only on the internal path; anything else becomes a list either way,
    # so both paths compare equal
    return values if type(values) is list and not copy else list(values)


# the keys each part of the JSON maps onto attributes; any other key is kept in ``extra``
_FRAME_KEYS = frozenset({"id", "context_id", "timestamp", "sources", "rois", "meta", "dataset",
                         "saved", "saved_in_version", "num_frames", FRAME_GROUP_KEY})
_ROI_KEYS = frozenset({"id", "label", "labels", "poly", "points", "confidence", "sources",
                       "meta", "mask", "label_num"})
_SOURCE_KEYS = frozenset({"id", "uri", "content_type", "width", "height", "timestamp", "masks",
                          "preview", "meta"})
_MASK_KEYS = frozenset({"id", "uri", "content_type", "timestamp"})
_PREVIEW_KEYS = frozenset({"uri"})


def _read_extra(d: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    if d.keys() <= known:
        return {}
    return {k: copy_json(v) for k, v in d.items() if k not in known}


def _write_extra(d: dict[str, Any], extra: Mapping[str, Any], known: frozenset[str],
                 copy: bool) -> None:
    for k, v in extra.items():
        if k not in known:  # an attribute always wins over a stray extra of the same name
            d[k] = copy_json(v) if copy else v


def roi_to_dict(roi: Roi) -> dict[str, Any]:
    """Return a ROI in the reference JSON shape (``label`` is a list).

    The result shares nothing mutable with ``roi``: changing it leaves the ROI as it was.
    """
    return _roi_dict(roi, copy=True)


def _roi_dict(roi: Roi, *, copy: bool) -> dict[str, Any]:
    """``roi_to_dict``; with ``copy=False`` lists and dicts are the ROI's own (read-only use)."""
    d: dict[str, Any] = {"id": roi.id, "label": _as_list(roi.labels, copy)}
    if roi.poly is not None:
        d["poly"] = _as_list(roi.poly, copy)
    if roi.points is not None:
        d["points"] = _as_list(roi.points, copy)
    if roi.confidence is not None:
        d["confidence"] = roi.confidence
    d["sources"] = _as_list(roi.sources, copy)
    if roi.meta:
        d["meta"] = copy_json(roi.meta) if copy else roi.meta
    if roi.mask is not None:
        d["mask"] = copy_json(roi.mask) if copy else roi.mask
    if roi.label_num is not None:
        d["label_num"] = roi.label_num
    if roi.extra:
        _write_extra(d, roi.extra, _ROI_KEYS, copy)
    return d


def roi_from_dict(d: Mapping[str, Any], *, frame_id: str | None = None,
                  field: str = "rois[0]", source_ids: set[str] | None = None) -> Roi:
    """Build a ROI from JSON; accepts ``labels`` as well as ``label``.

    Keys the model does not interpret go to ``Roi.extra`` and are written back as read.

    Raises:
        InvalidFrameError: when the ROI is malformed.
    """
    validate_roi_dict(d, frame_id=frame_id, field=field, source_ids=source_ids)
    labels = d.get("label", d.get("labels")) or []
    return Roi(labels=list(labels), poly=_opt_list(d.get("poly")),
               confidence=d.get("confidence"), sources=list(d.get("sources") or ["default"]),
               meta=_copy_meta(d.get("meta")), id=d.get("id") or new_id(),
               points=_opt_list(d.get("points")), mask=copy_json(d.get("mask")),
               label_num=d.get("label_num"), extra=_read_extra(d, _ROI_KEYS))


def _copy_meta(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    if not meta:
        return {}
    return {k: v if type(v) in _SHARED_TYPES else copy_json(v) for k, v in meta.items()}


def _opt_list(v: Any) -> list | None:
    return None if v is None else list(v)


def _source_to_dict(src: Source, copy: bool) -> dict[str, Any]:
    d: dict[str, Any] = {"id": src.id, "uri": src.uri,
                         "content_type": src.content_type or guess_content_type(src.uri)}
    if d["content_type"] is None:
        del d["content_type"]
    for key in ("width", "height"):
        if getattr(src, key) is not None:
            d[key] = getattr(src, key)
    d["timestamp"] = src.timestamp if src.timestamp is not None else 0
    if src.masks:
        d["masks"] = [_mask_to_dict(m, copy) for m in src.masks]
    if src.preview_uri is not None or src.preview_extra:
        preview: dict[str, Any] = {} if src.preview_uri is None else {"uri": src.preview_uri}
        _write_extra(preview, src.preview_extra, _PREVIEW_KEYS, copy)
        d["preview"] = preview
    if src.meta:
        d["meta"] = copy_json(src.meta) if copy else src.meta
    if src.extra:
        _write_extra(d, src.extra, _SOURCE_KEYS, copy)
    return d


def _mask_to_dict(m: MaskSource, copy: bool) -> dict[str, Any]:
    d: dict[str, Any] = {"id": m.id, "uri": m.uri}
    ctype = m.content_type or guess_content_type(m.uri)
    if ctype:
        d["content_type"] = ctype
    if m.timestamp is not None:
        d["timestamp"] = m.timestamp
    if m.extra:
        _write_extra(d, m.extra, _MASK_KEYS, copy)
    return d


def _source_from_dict(d: Mapping[str, Any]) -> Source:
    masks = [MaskSource(id=m["id"] if m.get("id") is not None else f"{i:02d}", uri=m["uri"],
                        content_type=m.get("content_type"), timestamp=m.get("timestamp"),
                        extra=_read_extra(m, _MASK_KEYS))
             for i, m in enumerate(d.get("masks") or [])]
    preview = d.get("preview") or {}
    return Source(id=d.get("id") or "default", uri=d["uri"], content_type=d.get("content_type"),
                  width=d.get("width"), height=d.get("height"), timestamp=d.get("timestamp"),
                  masks=masks, preview_uri=preview.get("uri"), meta=_copy_meta(d.get("meta")),
                  extra=_read_extra(d, _SOURCE_KEYS),
                  preview_extra=_read_extra(preview, _PREVIEW_KEYS))


def frame_to_dict(frame: _FrameCommon) -> dict[str, Any]:
    """Return ``frame`` (SingleFrame or FrameGroup) in the reference JSON shape.

    The result shares nothing mutable with ``frame``: changing it leaves the frame as it was.
    """
    return _frame_dict(frame, copy=True)


def _frame_dict(frame: _FrameCommon, *, copy: bool) -> dict[str, Any]:
    """``frame_to_dict``; ``copy=False`` shares the frame's lists and dicts (read-only use)."""
    sources = frame.sources
    d: dict[str, Any] = {
        "id": frame.id,
        "context_id": frame.context_id,
        "timestamp": frame.timestamp,
        "sources": [_source_to_dict(s, copy) for s in sources],
        "rois": [_roi_dict(r, copy=copy) for r in frame.rois],
    }
    if isinstance(frame, SingleFrame) and frame._source.timestamp is None:
        d["sources"][0]["timestamp"] = frame.timestamp
    is_group = isinstance(frame, FrameGroup)
    if sources and _single_by_sources(d["sources"]) == is_group:
        d[FRAME_GROUP_KEY] = is_group
    if frame.meta:
        d["meta"] = copy_json(frame.meta) if copy else frame.meta
    if frame.dataset is not None:
        d["dataset"] = dict(frame.dataset)
    if frame.saved is not None:
        d["saved"] = frame.saved
    if frame.saved_in_version is not None:
        d["saved_in_version"] = frame.saved_in_version
    d["num_frames"] = len(sources)
    if frame.extra:
        _write_extra(d, frame.extra, _FRAME_KEYS, copy)
    return d


def _apply_common(frame: _FrameCommon, d: Mapping[str, Any]) -> None:
    frame.dataset = dict(d["dataset"]) if d.get("dataset") else None
    frame.saved = d.get("saved")
    frame.saved_in_version = d.get("saved_in_version")
    frame.extra = _read_extra(d, _FRAME_KEYS)


def _rois_from_dicts(d: Mapping[str, Any], frame_id: str, source_ids: list[str]) -> list[Roi]:
    rois = []
    for i, r in enumerate(d.get("rois") or []):
        roi = roi_from_dict(r, frame_id=frame_id, field=f"rois[{i}]")
        if not r.get("sources"):  # a ROI naming no source belongs to the whole frame
            roi.sources = list(source_ids)
        rois.append(roi)
    return rois


def single_frame_from_dict(d: Mapping[str, Any]) -> SingleFrame:
    """Build a SingleFrame from JSON with exactly one source.

    Raises:
        InvalidFrameError: when the dict is malformed or has several sources.
    """
    validate_frame_dict(d)
    if len(d["sources"]) != 1:
        raise InvalidFrameError("a SingleFrame has exactly one source; use FrameGroup",
                                frame_id=d.get("id"), field="sources", value=len(d["sources"]))
    src = _source_from_dict(d["sources"][0])
    frame = SingleFrame.__new__(SingleFrame)
    frame._init_common(d.get("id"), _copy_meta(d.get("meta")), d.get("context_id"),
                       d.get("timestamp"))
    frame._source = src
    frame.annotations = _rois_from_dicts(d, frame.id, [src.id])
    _apply_common(frame, d)
    return frame


def frame_group_from_dict(d: Mapping[str, Any]) -> FrameGroup:
    """Build a FrameGroup: single-source ROIs go to their member, the rest are global.

    Raises:
        InvalidFrameError: when the dict is malformed.
    """
    validate_frame_dict(d)
    group = FrameGroup(metadata=_copy_meta(d.get("meta")), context_id=d.get("context_id"),
                       timestamp=d.get("timestamp"), id=d.get("id"))
    for s in d["sources"]:
        src = _source_from_dict(s)
        member = SingleFrame.__new__(SingleFrame)
        member._init_common(None, src.meta, None, src.timestamp)
        member._source = src
        member.annotations = []
        group._frames[src.id] = member
    rois = _rois_from_dicts(d, group.id, list(group._frames))
    group._loaded_rois = rois
    for roi in rois:
        if len(roi.sources) == 1:
            group._frames[roi.sources[0]].annotations.append(roi)
        else:
            group.global_annotations.append(roi)
    _apply_common(group, d)
    return group


def _single_by_sources(sources: Any) -> bool:
    return (isinstance(sources, (list, tuple)) and len(sources) == 1
            and isinstance(sources[0], Mapping) and sources[0].get("id", "default") == "default")


def is_single_frame_dict(d: Mapping[str, Any]) -> bool:
    """Return True when the frame JSON ``d`` describes a SingleFrame, False for a FrameGroup.

    A frame with one source whose id is ``"default"`` is a SingleFrame; anything else is a
    FrameGroup. The reference JSON has no other way to tell, so where that rule would pick
    the wrong class (a group whose one member is keyed ``"default"``, a SingleFrame whose
    source has another id) ``to_dict()`` adds ``"frame_group": true`` / ``false``, which wins.
    """
    marker = d.get(FRAME_GROUP_KEY)
    if isinstance(marker, bool):
        return not marker
    return _single_by_sources(d.get("sources"))


def frame_from_dict(d: Mapping[str, Any]) -> Frame:
    """Build a SingleFrame or a FrameGroup, whichever the JSON describes.

    A frame with one source whose id is ``"default"`` is a SingleFrame; anything else is
    a FrameGroup, unless ``"frame_group"`` says otherwise (see :func:`is_single_frame_dict`).

    Raises:
        InvalidFrameError: when the dict is malformed.
    """
    if is_single_frame_dict(d):
        return single_frame_from_dict(d)
    return frame_group_from_dict(d)
