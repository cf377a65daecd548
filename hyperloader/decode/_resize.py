"""Nearest-neighbour resizing for label and alpha masks, in exact integer arithmetic."""

from __future__ import annotations

import numpy as np

__all__ = ["resize_nearest"]


def _source_index(n_out: int, n_in: int) -> np.ndarray:
    # Output pixel i samples the input pixel under its centre: floor((i + 0.5) * n_in / n_out).
    i = np.arange(n_out, dtype=np.int64)
    return ((2 * i + 1) * n_in) // (2 * n_out)


def resize_nearest(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a mask with nearest-neighbour sampling, so label values are never blended.

    Output pixel ``(i, j)`` takes the input pixel under its centre, like Pillow's
    ``NEAREST`` (computed exactly in integers, so ties never depend on float rounding).
    Works for any dtype and any trailing channel dimensions.

    Args:
        arr: Array of shape ``(H, W, ...)``.
        size: Output ``(height, width)``.

    Returns:
        A new C-contiguous array of shape ``(height, width, ...)`` and the same dtype.

    Raises:
        ValueError: ``arr`` has fewer than 2 dimensions, is empty, or ``size`` is not
            two positive integers.
    """
    arr = np.asarray(arr)
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"size must be (height, width), got {size!r}") from exc
    if h <= 0 or w <= 0 or (h, w) != tuple(size):
        raise ValueError(f"size must be two positive integers, got {size!r}")
    if arr.ndim < 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"cannot resize an array of shape {arr.shape}")
    rows = _source_index(h, arr.shape[0])
    cols = _source_index(w, arr.shape[1])
    return np.ascontiguousarray(arr.take(rows, axis=0).take(cols, axis=1))
