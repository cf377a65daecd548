"""Build a :class:`Roi` from the reference SDK's ``add_annotation`` keyword arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hyperloader.errors import InvalidFrameError
from hyperloader.model._geometry import box_to_poly, ellipse_to_poly, is_multipart, join_parts
from hyperloader.model._parts import Roi, new_id

__all__ = ["make_roi"]


def _plain(values: Any) -> list:
    # numpy arrays and scalars become Python lists and numbers, so the JSON stays plain
    values = values.tolist() if hasattr(values, "tolist") else values
    return [v.item() if hasattr(v, "item") and not isinstance(v, (list, tuple)) else v
            for v in values]


def _flat(poly: Sequence) -> list:
    if is_multipart(poly):
        return join_parts([_plain(part) for part in poly])
    return _plain(poly)


def make_roi(*, poly2d_xy: Sequence | None = None, box2d_xywh: Sequence[float] | None = None,
             ellipse2d_xyrrt: Sequence[float] | None = None,
             points2d_xy: Sequence | None = None, labels: Sequence[str] | str | None = None,
             confidence: float | None = None, metadata: dict[str, Any] | None = None,
             id: str | None = None, sources: Sequence[str], frame_id: str | None = None,
             field: str = "rois[-1]") -> Roi:
    """Turn ``add_annotation`` arguments into a ROI (geometry normalised to a flat poly)."""
    given = [g for g in (poly2d_xy, box2d_xywh, ellipse2d_xyrrt) if g is not None]
    if len(given) > 1:
        raise InvalidFrameError("give only one of poly2d_xy, box2d_xywh, ellipse2d_xyrrt",
                                frame_id=frame_id, field=field, value=given)
    poly = None
    if poly2d_xy is not None:
        poly = _flat(poly2d_xy)
    elif box2d_xywh is not None:
        if len(box2d_xywh) != 4:
            raise InvalidFrameError("box2d_xywh needs 4 numbers", frame_id=frame_id,
                                    field=f"{field}.box2d_xywh", value=box2d_xywh)
        poly = box_to_poly(_plain(box2d_xywh))
    elif ellipse2d_xyrrt is not None:
        if len(ellipse2d_xyrrt) != 5:
            raise InvalidFrameError("ellipse2d_xyrrt needs 5 numbers (cx, cy, rx, ry, theta)",
                                    frame_id=frame_id, field=f"{field}.ellipse2d_xyrrt",
                                    value=ellipse2d_xyrrt)
        poly = ellipse_to_poly(_plain(ellipse2d_xyrrt))
    points = None
    if points2d_xy is not None:
        points = _flat(points2d_xy)
    if isinstance(labels, str):
        labels = [labels]
    return Roi(labels=list(labels or []), poly=poly, confidence=confidence,
               sources=list(sources), meta=dict(metadata or {}), id=id or new_id(),
               points=points)
