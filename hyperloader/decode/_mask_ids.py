"""Mapping semantic-mask pixel values to class ids with a vectorised sorted-key lookup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np

__all__ = ["map_mask_to_ids"]

#: An ``(r, g, b)`` tuple or an int; :func:`_key_value` rejects any other tuple at run time.
MaskKey = tuple[int, ...] | int
_K = TypeVar("_K", bound=MaskKey)


def _pack(r: int, g: int, b: int) -> int:
    return (r << 16) | (g << 8) | b


def _key_value(key: MaskKey, rgb: bool) -> int | None:
    """Turn a key into the value it matches in this mask, or None if it can never match."""
    if isinstance(key, tuple):
        try:
            r, g, b = (int(c) for c in key)
        except (TypeError, ValueError):
            r = g = b = -1
        if (r, g, b) != key or not (0 <= min(r, g, b) and max(r, g, b) <= 255):
            raise ValueError(f"mask key {key!r} must be an (r, g, b) tuple of 0..255 ints")
        if rgb:
            return _pack(r, g, b)
        return r if r == g == b else None  # a grey mask value v reads as (v, v, v)
    try:
        v = int(key)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"mask key {key!r} must be an int or an (r, g, b) tuple") from exc
    if v != key or v < 0:
        raise ValueError(f"mask key {key!r} must be a non-negative integer")
    if rgb:
        return _pack(v, v, v) if v <= 255 else None
    return v


def _table(value_to_id: Mapping[_K, int], rgb: bool) -> tuple[np.ndarray, np.ndarray]:
    table: dict[int, int] = {}
    for key, class_id in value_to_id.items():
        value = _key_value(key, rgb)
        if value is None:
            continue
        if value in table and table[value] != int(class_id):
            raise ValueError(f"mask key {key!r} maps to {class_id} but an equal key maps to "
                             f"{table[value]}")
        table[value] = int(class_id)
    keys = np.fromiter(table.keys(), dtype=np.int64, count=len(table))
    ids = np.fromiter(table.values(), dtype=np.int64, count=len(table))
    order = np.argsort(keys)
    return keys[order], ids[order]


def _flatten(mask: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return (H, W) integer values to look up, and whether they are packed RGB."""
    if mask.ndim == 3 and mask.shape[2] in (1, 2):
        mask = mask[:, :, 0]
    if mask.dtype == np.bool_:
        mask = mask.view(np.uint8)
    if not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(f"mask dtype must be integer, got {mask.dtype}")
    if mask.ndim == 2:
        return mask, False
    if mask.ndim != 3 or mask.shape[2] not in (3, 4):
        raise ValueError(f"mask must be (H, W) or (H, W, 1|2|3|4), got shape {mask.shape}")
    if mask.dtype != np.uint8 and mask.size and (mask.min() < 0 or mask.max() > 255):
        raise ValueError("an RGB mask must hold 0..255 values")
    rgb = mask[:, :, :3].astype(np.int32)
    return (rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2], True


def map_mask_to_ids(mask: np.ndarray, value_to_id: Mapping[_K, int],
                    ignore_index: int = 255) -> np.ndarray:
    """Map every mask pixel value to a class id; unmapped pixels get ``ignore_index``.

    Keys are ``(r, g, b)`` tuples or ints. A grey mask value ``v`` (an ``(H, W)`` mask,
    e.g. mode ``L`` or ``P`` indices) reads as ``(v, v, v)``, so ``(7, 7, 7)`` and ``7``
    both match it; an int key ``v <= 255`` matches the RGB pixel ``(v, v, v)``. Grey masks
    may hold values above 255 (16-bit ids), matched by int keys. Keys that cannot occur in
    this mask (a non-grey tuple for a grey mask) are skipped. An alpha channel is ignored.

    Args:
        mask: ``(H, W)`` integer mask, or ``(H, W, 3|4)`` uint8 RGB(A) mask.
        value_to_id: Pixel value -> class id.
        ignore_index: Id for pixels whose value has no key.

    Returns:
        ``int64`` array of shape ``(H, W)``.

    Raises:
        ValueError: The mask's shape or dtype is unsupported, a key is malformed, or two
            equal keys (``7`` and ``(7, 7, 7)``) map to different ids.
    """
    values, rgb = _flatten(np.asarray(mask))
    keys, ids = _table(value_to_id, rgb)
    if not rgb and values.dtype in (np.uint8, np.uint16):
        lut = np.full(np.iinfo(values.dtype).max + 1, ignore_index, dtype=np.int64)
        fits = keys <= np.iinfo(values.dtype).max
        lut[keys[fits]] = ids[fits]
        return lut[values]
    if keys.size == 0:
        return np.full(values.shape, ignore_index, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, values), keys.size - 1)
    return np.where(keys[at] == values, ids[at], np.int64(ignore_index))
