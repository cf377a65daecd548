"""Mask overlays: pixel values mapped to label colours, or read as opacity."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from PIL import Image

from hyperloader.render._colors import label_color, value_color

__all__ = ["MaskMode", "label_colors", "normalize_mask_labels", "overlay_alpha", "overlay_labels",
           "pixel_key"]


class MaskMode(str, enum.Enum):
    """How a mask is drawn.

    ``labels`` maps pixel values to label colours; ``alpha`` uses the mask as opacity.
    """

    LABELS = "labels"
    ALPHA = "alpha"


def pixel_key(value: Any) -> int:
    """Pack a grey value or an RGB(A) list into one int ``0xRRGGBB`` (grey ``v`` = ``v,v,v``)."""
    if isinstance(value, (list, tuple)):
        vals = [int(v) for v in value][:3]
        if len(vals) == 1:
            vals = vals * 3
    else:
        vals = [int(value)] * 3
    r, g, b = vals
    return (r << 16) | (g << 8) | b


def normalize_mask_labels(mask_labels: Any) -> dict[int, list[str]]:
    """Return ``{packed pixel value: labels}`` from any accepted mask-label mapping.

    Accepts ``{(r, g, b) or v: labels}`` (``set_masks_labels``' form) or the version
    metadata's list form ``[{"value": [r, g, b], "labels": [...]}, ...]``.
    """
    if not mask_labels:
        return {}
    items: Iterable[tuple[Any, Any]]
    if isinstance(mask_labels, Mapping):
        items = mask_labels.items()
    else:
        items = ((m["value"], m.get("labels", m.get("label"))) for m in mask_labels)
    out: dict[int, list[str]] = {}
    for value, labels in items:
        if isinstance(value, str):  # JSON object keys: "1,1,1" or "1"
            value = [int(v) for v in value.strip("()[] ").split(",")]
        out[pixel_key(value)] = [labels] if isinstance(labels, str) else list(labels or [])
    return out


def _packed(mask: np.ndarray) -> np.ndarray:
    if mask.ndim == 2:
        m = mask.astype(np.int64)
        return (m << 16) | (m << 8) | m
    m = mask[..., :3].astype(np.int64)
    if m.shape[-1] < 3:
        m = np.repeat(m[..., :1], 3, axis=-1)
    return (m[..., 0] << 16) | (m[..., 1] << 8) | m[..., 2]


def overlay_labels(image: Image.Image, mask: np.ndarray, *, colors: Mapping[int, tuple],
                   alpha: float) -> Image.Image:
    """Blend label colours over ``image`` where the mask is not 0.

    Args:
        image: the RGB image (same size as the mask).
        mask: ``(h, w)`` or ``(h, w, c)`` pixel values.
        colors: ``{packed value: rgb}``; other non-zero values get a colour of their own.
        alpha: opacity of the colours.
    """
    codes = _packed(mask)
    uniq, inverse = np.unique(codes, return_inverse=True)
    lut = np.array([colors.get(int(c)) or value_color(int(c)) for c in uniq], np.float32)
    weight = np.where(uniq == 0, 0.0, alpha).astype(np.float32)
    inverse = inverse.reshape(codes.shape)
    base = np.asarray(image, np.float32)
    a = weight[inverse][..., None]
    out = base * (1 - a) + lut[inverse] * a
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def overlay_alpha(image: Image.Image, mask: np.ndarray) -> Image.Image:
    """Use the mask as opacity: 255 keeps a pixel, 0 turns it black (alpha channel if any)."""
    if mask.ndim == 3:
        op = mask[..., 3] if mask.shape[-1] == 4 else mask[..., :3].max(axis=-1)
    else:
        op = mask
    a = (op.astype(np.float32) / 255.0)[..., None]
    out = np.asarray(image, np.float32) * a
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def label_colors(mask_labels: Mapping[int, list[str]]) -> dict[int, tuple[int, int, int]]:
    """Return ``{packed value: colour of its first label}``."""
    return {k: label_color(v[0] if v else None) for k, v in mask_labels.items()}
