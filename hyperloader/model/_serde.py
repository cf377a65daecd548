"""The one place that converts frames to and from the reference JSON shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperloader.errors import InvalidFrameError
from hyperloader.model._content_type import guess_content_type
from hyperloader.model._frame import SingleFrame, _FrameCommon
from hyperloader.model._group import FrameGroup
from hyperloader.model._parts import MaskSource, Roi, Source, new_id
from hyperloader.model._validate import validate_frame_dict, validate_roi_dict

__all__ = ["frame_from_dict", "frame_to_dict", "roi_from_dict", "roi_to_dict"]

Frame = SingleFrame | FrameGroup


def roi_to_dict(roi: Roi) -> dict[str, Any]:
    """Return a ROI in the reference JSON shape (``label`` is a list)."""
    d: dict[str, Any] = {"id": roi.id, "label": list(roi.labels)}
    if roi.poly is not None:
        d["poly"] = list(roi.poly)
    if roi.points is not None:
        d["points"] = list(roi.points)
    if roi.confidence is not None:
        d["confidence"] = roi.confidence
    d["sources"] = list(roi.sources)
    if roi.meta:
        d["meta"] = roi.meta
    if roi.mask is not None:
        d["mask"] = roi.mask
    if roi.label_num is not None:
        d["label_num"] = roi.label_num
    return d


def roi_from_dict(d: Mapping[str, Any], *, frame_id: str | None = None,
                  field: str = "rois[0]", source_ids: set[str] | None = None) -> Roi:
    """Build a ROI from JSON; accepts ``labels`` as well as ``label``.

    Raises:
        InvalidFrameError: when the ROI is malformed.
    """
    validate_roi_dict(d, frame_id=frame_id, field=field, source_ids=source_ids)
    labels = d.get("label", d.get("labels")) or []
    return Roi(labels=list(labels), poly=_opt_list(d.get("poly")),
               confidence=d.get("confidence"), sources=list(d.get("sources") or ["default"]),
               meta=dict(d.get("meta") or {}), id=d.get("id") or new_id(),
               points=_opt_list(d.get("points")), mask=d.get("mask"),
               label_num=d.get("label_num"))


def _opt_list(v: Any) -> list | None:
    return None if v is None else list(v)


def _source_to_dict(src: Source) -> dict[str, Any]:
    d: dict[str, Any] = {"id": src.id, "uri": src.uri,
                         "content_type": src.content_type or guess_content_type(src.uri)}
    if d["content_type"] is None:
        del d["content_type"]
    for key in ("width", "height"):
        if getattr(src, key) is not None:
            d[key] = getattr(src, key)
    d["timestamp"] = src.timestamp if src.timestamp is not None else 0
    if src.masks:
        d["masks"] = [_mask_to_dict(m) for m in src.masks]
    if src.preview_uri is not None:
        d["preview"] = {"uri": src.preview_uri}
    if src.meta:
        d["meta"] = src.meta
    return d


def _mask_to_dict(m: MaskSource) -> dict[str, Any]:
    d: dict[str, Any] = {"id": m.id, "uri": m.uri}
    ctype = m.content_type or guess_content_type(m.uri)
    if ctype:
        d["content_type"] = ctype
    if m.timestamp is not None:
        d["timestamp"] = m.timestamp
    return d


def _source_from_dict(d: Mapping[str, Any]) -> Source:
    masks = [MaskSource(id=str(m.get("id", f"{i:02d}")), uri=m["uri"],
                        content_type=m.get("content_type"), timestamp=m.get("timestamp"))
             for i, m in enumerate(d.get("masks") or [])]
    preview = d.get("preview") or {}
    return Source(id=d.get("id") or "default", uri=d["uri"], content_type=d.get("content_type"),
                  width=d.get("width"), height=d.get("height"), timestamp=d.get("timestamp"),
                  masks=masks, preview_uri=preview.get("uri"), meta=dict(d.get("meta") or {}))


def frame_to_dict(frame: _FrameCommon) -> dict[str, Any]:
    """Return ``frame`` (SingleFrame or FrameGroup) in the reference JSON shape."""
    sources = frame.sources
    d: dict[str, Any] = {
        "id": frame.id,
        "context_id": frame.context_id,
        "timestamp": frame.timestamp,
        "sources": [_source_to_dict(s) for s in sources],
        "rois": [roi_to_dict(r) for r in frame.rois],
    }
    if isinstance(frame, SingleFrame) and frame._source.timestamp is None:
        d["sources"][0]["timestamp"] = frame.timestamp
    if frame.meta:
        d["meta"] = frame.meta
    if frame.dataset is not None:
        d["dataset"] = dict(frame.dataset)
    if frame.saved is not None:
        d["saved"] = frame.saved
    if frame.saved_in_version is not None:
        d["saved_in_version"] = frame.saved_in_version
    d["num_frames"] = len(sources)
    return d


def _apply_common(frame: _FrameCommon, d: Mapping[str, Any]) -> None:
    frame.dataset = dict(d["dataset"]) if d.get("dataset") else None
    frame.saved = d.get("saved")
    frame.saved_in_version = d.get("saved_in_version")


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
    frame._init_common(d.get("id"), dict(d.get("meta") or {}), d.get("context_id"),
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
    group = FrameGroup(metadata=dict(d.get("meta") or {}), context_id=d.get("context_id"),
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


def frame_from_dict(d: Mapping[str, Any]) -> Frame:
    """Build a SingleFrame or a FrameGroup, whichever the JSON describes.

    A frame with one source whose id is ``"default"`` is a SingleFrame; anything else is
    a FrameGroup.

    Raises:
        InvalidFrameError: when the dict is malformed.
    """
    sources = d.get("sources") or []
    if len(sources) == 1 and sources[0].get("id", "default") == "default":
        return single_frame_from_dict(d)
    return frame_group_from_dict(d)
