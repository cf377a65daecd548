"""COCO test data and comparisons shared by the convert and CLI tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

BOOKKEEPING = ("dataset", "saved", "saved_in_version")


def box_mask(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """A binary ``h`` x ``w`` mask (Fortran order, as pycocotools wants) of a filled box."""
    binary = np.zeros((h, w), np.uint8, order="F")
    x, y, bw, bh = box
    binary[y:y + bh, x:x + bw] = 1
    return binary


def box_rle(h: int, w: int, box: tuple[int, int, int, int]) -> dict:
    """An uncompressed COCO RLE of a filled box, counted by hand (column-major runs)."""
    counts, cur, run = [], 0, 0
    for v in box_mask(h, w, box).flatten(order="F"):
        if v != cur:
            counts.append(run)
            cur, run = v, 0
        run += 1
    counts.append(run)
    return {"size": [h, w], "counts": counts}


def frame_docs(frames: Iterable[Any]) -> dict[str, dict]:
    """Frames as ``{id: to_dict()}`` without the store's bookkeeping keys."""
    out = {}
    for f in frames:
        d = f.to_dict()
        for key in BOOKKEEPING:
            d.pop(key, None)
        out[d["id"]] = d
    return out
