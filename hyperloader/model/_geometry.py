"""Polygon helpers: the multi-part separator, boxes and ellipses as polygons."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["POLY_SEPARATOR", "box_to_poly", "ellipse_to_poly", "join_parts", "split_parts"]

#: Value placed between the parts of a multi-part polygon in the flat ``poly`` list.
POLY_SEPARATOR = -999999999


def split_parts(poly: Sequence[float]) -> list[list[float]]:
    """Split a flat ``poly`` at :data:`POLY_SEPARATOR` into its parts."""
    parts: list[list[float]] = [[]]
    for v in poly:
        if v == POLY_SEPARATOR:
            parts.append([])
        else:
            parts[-1].append(v)
    return parts


def join_parts(parts: Sequence[Sequence[float]]) -> list[float]:
    """Join polygon parts into one flat list separated by :data:`POLY_SEPARATOR`."""
    flat: list[float] = []
    for i, part in enumerate(parts):
        if i:
            flat.append(POLY_SEPARATOR)
        flat.extend(part)
    return flat


def is_multipart(poly: Sequence) -> bool:
    """Return True when ``poly`` is a list of parts rather than a flat list."""
    if len(poly) == 0:  # len(), not bool(): a numpy array has no truth value
        return False
    first = poly[0]
    return isinstance(first, (list, tuple)) or (
        hasattr(first, "__len__") and not isinstance(first, str))


def box_to_poly(box_xywh: Sequence[float]) -> list[float]:
    """Return the 4-corner polygon ``[x,y, x+w,y, x+w,y+h, x,y+h]`` of a box."""
    x, y, w, h = box_xywh
    return [x, y, x + w, y, x + w, y + h, x, y + h]


def ellipse_to_poly(xyrrt: Sequence[float], vertices: int = 32) -> list[float]:
    """Approximate the ellipse ``(cx, cy, rx, ry, theta_degrees)`` by a polygon."""
    cx, cy, rx, ry, theta = xyrrt
    t = math.radians(theta)
    ct, st = math.cos(t), math.sin(t)
    out: list[float] = []
    for k in range(vertices):
        a = 2 * math.pi * k / vertices
        ex, ey = rx * math.cos(a), ry * math.sin(a)
        out += [round(cx + ex * ct - ey * st, 3), round(cy + ex * st + ey * ct, 3)]
    return out
