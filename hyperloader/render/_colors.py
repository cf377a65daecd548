"""Stable colours for labels and mask values."""

from __future__ import annotations

import colorsys
import zlib

__all__ = ["label_color", "text_color", "value_color"]

_GOLDEN = 0.618033988749895


def _hsv(h: float, s: float = 0.75, v: float = 0.95) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def label_color(label: str | None) -> tuple[int, int, int]:
    """Return the RGB colour of ``label``: the same in every process and every run."""
    if not label:
        return (200, 200, 200)
    return _hsv(zlib.crc32(label.encode("utf-8")) * _GOLDEN)


def value_color(value: int) -> tuple[int, int, int]:
    """Return a distinct RGB colour for a mask pixel value that maps to no label."""
    return _hsv(value * _GOLDEN, s=0.6, v=0.85)


def text_color(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Return black or white, whichever reads better on ``background``."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)
