"""Flat polygon lists: splitting multi-part polygons and their bounding box."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["POLY_SEPARATOR", "polygon_bbox_xyxy", "polygon_parts"]

#: Value that separates the parts of a multi-part flat polygon list. It equals
#: ``hyperloader.model.POLY_SEPARATOR``; decode defines its own copy so it does not import model.
POLY_SEPARATOR = -999999999


def _flat(poly: Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        arr = np.asarray(poly, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"polygon must be a flat list of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"polygon must be a flat [x0, y0, x1, y1, ...] list, got {arr.shape}")
    return arr


def parts_xy(poly: Sequence[float] | np.ndarray) -> list[np.ndarray]:
    """Split a flat polygon into float64 ``(k, 2)`` vertex arrays, one per non-empty part."""
    arr = _flat(poly)
    cuts = np.flatnonzero(arr == POLY_SEPARATOR)
    parts: list[np.ndarray] = []
    for i, part in enumerate(np.split(arr, cuts)):
        if i:
            part = part[1:]  # drop the separator that starts every piece but the first
        if part.size == 0:
            continue
        if part.size % 2:
            raise ValueError(
                f"polygon part {len(parts)} has an odd number of coordinates ({part.size}); "
                "expected x, y pairs"
            )
        if not np.isfinite(part).all():
            raise ValueError(f"polygon part {len(parts)} has a non-finite coordinate")
        parts.append(part.reshape(-1, 2))
    return parts


def polygon_parts(poly: Sequence[float] | np.ndarray) -> list[list[float]]:
    """Split a flat polygon list into its parts.

    Args:
        poly: Flat ``[x0, y0, x1, y1, ...]`` list; parts are joined by ``POLY_SEPARATOR``.

    Returns:
        One flat ``[x0, y0, ...]`` float list per part. Empty parts (a leading, trailing or
        doubled separator) are dropped, so an empty polygon gives ``[]``.

    Raises:
        ValueError: The polygon is not a flat list of numbers, a part has an odd number of
            coordinates, or a coordinate is NaN or infinite.
    """
    return [part.ravel().tolist() for part in parts_xy(poly)]


def polygon_bbox_xyxy(poly: Sequence[float] | np.ndarray) -> tuple[float, float, float, float]:
    """Return the box ``(x0, y0, x1, y1)`` that covers every vertex of every part.

    Args:
        poly: Flat polygon list, possibly multi-part (see :func:`polygon_parts`).

    Returns:
        ``(min x, min y, max x, max y)`` over all vertices, as floats, unclipped.

    Raises:
        ValueError: The polygon has no vertices or is malformed (see :func:`polygon_parts`).
    """
    parts = parts_xy(poly)
    if not parts:
        raise ValueError("polygon has no vertices; cannot compute its bounding box")
    xy = np.concatenate(parts)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])
