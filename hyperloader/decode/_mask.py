"""Decoding mask images as stored values, and reading an alpha mask from them."""

from __future__ import annotations

import numpy as np

from ._pil import ImageData, open_image

__all__ = ["alpha_from_mask", "decode_mask"]

# Modes whose stored values come back unchanged; the rest are converted to RGB.
_AS_STORED = frozenset({"L", "P", "LA", "PA", "RGB", "RGBA", "I", "F",
                        "I;16", "I;16L", "I;16B", "I;16N"})


def decode_mask(data: ImageData, *, frame_id: str | None = None, source_id: str | None = None,
                uri: str | None = None) -> np.ndarray:
    """Decode a mask image (usually PNG) to its stored pixel values, without colour conversion.

    ============  ===================================================================
    stored mode   result
    ============  ===================================================================
    ``L``         ``(H, W) uint8`` values (e.g. cityscapes ``*_labelIds.png``)
    ``P``         ``(H, W) uint8`` palette *indices*; the palette colours are ignored
    ``1``         ``(H, W) uint8`` of 0 and 255
    ``I;16``      ``(H, W) uint16`` values (e.g. 16-bit instance-id PNGs)
    ``I``/``F``   ``(H, W) int32`` / ``float32`` values
    ``LA``/``PA`` ``(H, W, 2) uint8``: value (or palette index) and alpha
    ``RGB``       ``(H, W, 3) uint8``
    ``RGBA``      ``(H, W, 4) uint8``
    other         converted to RGB, ``(H, W, 3) uint8``
    ============  ===================================================================

    Args:
        data: Encoded bytes or a local file path.
        frame_id: Frame id, only used in the error message.
        source_id: Source id, only used in the error message.
        uri: URI the bytes came from, only used in the error message.

    Returns:
        A writable, C-contiguous array in native byte order, shaped as above.

    Raises:
        DecodeError: The data is not a decodable image.
    """
    with open_image(data, frame_id=frame_id, source_id=source_id, uri=uri) as im:
        im.load()
        if im.mode == "1":
            im = im.convert("L")
        elif im.mode not in _AS_STORED:
            im = im.convert("RGB")
        arr = np.array(im)
    return arr.astype(arr.dtype.newbyteorder("="), copy=False)


def alpha_from_mask(mask: np.ndarray) -> np.ndarray:
    """Turn a decoded alpha-channel mask into opacities in ``[0, 1]``.

    The opacity comes from the single channel of an ``(H, W)`` mask, the alpha channel of
    an LA ``(H, W, 2)`` or RGBA ``(H, W, 4)`` mask, or the mean of an RGB ``(H, W, 3)``
    mask. ``uint8`` values are divided by 255, ``uint16`` by 65535; bool gives 0 or 1 and
    float values are clipped to ``[0, 1]``.

    Args:
        mask: A mask as returned by :func:`decode_mask`.

    Returns:
        ``float32`` array of shape ``(1, H, W)``.

    Raises:
        ValueError: The shape or dtype cannot be read as opacity.
    """
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] in (1, 2, 4):
        arr = arr[:, :, arr.shape[2] - 1]
    elif arr.ndim == 3 and arr.shape[2] == 3:
        arr = _scaled(arr).mean(axis=2, dtype=np.float32)
        return np.ascontiguousarray(arr[None])
    elif arr.ndim != 2:
        raise ValueError(f"alpha mask must be (H, W) or (H, W, 1|2|3|4), got shape {arr.shape}")
    return np.ascontiguousarray(_scaled(arr)[None])


def _scaled(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255)
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / np.float32(65535)
    if np.issubdtype(arr.dtype, np.floating):
        return np.clip(arr, 0, 1).astype(np.float32)
    raise ValueError(f"alpha mask dtype must be bool, uint8, uint16 or float, got {arr.dtype}")
