"""Decoding an encoded image to an RGB (or grayscale) uint8 numpy array with Pillow."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ._pil import ImageData, open_image
from ._registry import register_decoder

__all__ = ["decode_image", "image_size"]

_MODES = ("RGB", "L")
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def _check_size(decode_size: tuple[int, int] | None) -> tuple[int, int] | None:
    if decode_size is None:
        return None
    try:
        h, w = (int(v) for v in decode_size)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"decode_size must be (height, width), got {decode_size!r}") from exc
    if h <= 0 or w <= 0 or (h, w) != tuple(decode_size):
        raise ValueError(f"decode_size must be two positive integers, got {decode_size!r}")
    return h, w


def _to_8bit(im: Image.Image) -> Image.Image:
    """Scale 16-bit and 32-bit integer images to 8 bits (``v >> 8``); Pillow would clip."""
    arr = np.asarray(im).astype(np.int64)
    return Image.fromarray((np.clip(arr, 0, 65535) >> 8).astype(np.uint8), mode="L")


def decode_image(data: ImageData, *, decode_size: tuple[int, int] | None = None,
                 mode: str = "RGB", frame_id: str | None = None, source_id: str | None = None,
                 uri: str | None = None) -> np.ndarray:
    """Decode an encoded image to a uint8 array.

    Grayscale, palette, RGBA/LA (the alpha channel is dropped, not composited), CMYK and
    YCbCr images are converted to RGB. 16-bit grayscale PNGs are scaled to 8 bits with
    ``v >> 8``; float images are clipped to ``[0, 255]``. Pixels come as stored: EXIF
    orientation is not applied, so they match annotations made on the stored pixels.

    With ``decode_size`` a JPEG is decoded with DCT scaling (``Image.draft``), which
    yields the smallest 1/1, 1/2, 1/4 or 1/8 scale no smaller than the request, and is then
    resized with an antialiased bilinear filter only when that scale is not already exact.
    Other formats are decoded fully and resized. The result is always exactly ``(h, w)``;
    the aspect ratio is not preserved.

    Args:
        data: Encoded bytes (``bytes``, ``bytearray``, ``memoryview``) or a local file path.
        decode_size: Output ``(height, width)``, or None to keep the stored size.
        mode: ``"RGB"`` for ``(H, W, 3)`` or ``"L"`` for ``(H, W)`` grayscale.
        frame_id: Frame id, only used in the error message.
        source_id: Source id, only used in the error message.
        uri: URI the bytes came from, only used in the error message.

    Returns:
        A writable, C-contiguous ``uint8`` array of shape ``(H, W, 3)`` (or ``(H, W)``).

    Raises:
        DecodeError: The data is empty, not an image, truncated or corrupt, or the file
            cannot be read. The message names the frame, source and URI.
        ValueError: ``decode_size`` or ``mode`` is invalid.
    """
    size = _check_size(decode_size)
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    with open_image(data, frame_id=frame_id, source_id=source_id, uri=uri) as im:
        if im.format == "JPEG" and (size is not None or mode == "L"):
            im.draft(mode, None if size is None else (size[1], size[0]))
        im.load()
        if im.mode in _SIXTEEN_BIT:
            im = _to_8bit(im)
        if im.mode != mode:
            im = im.convert(mode)
        if size is not None and im.size != (size[1], size[0]):
            im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.array(im, dtype=np.uint8)  # a writable copy, as torch.from_numpy wants


def image_size(data: ImageData, *, frame_id: str | None = None, source_id: str | None = None,
               uri: str | None = None) -> tuple[int, int]:
    """Read an image's stored size from its header without decoding the pixels.

    Args:
        data: Encoded bytes or a local file path.
        frame_id: Frame id, only used in the error message.
        source_id: Source id, only used in the error message.
        uri: URI the bytes came from, only used in the error message.

    Returns:
        ``(width, height)`` in pixels, as stored (EXIF orientation not applied).

    Raises:
        DecodeError: The data is not a recognisable image.
    """
    with open_image(data, frame_id=frame_id, source_id=source_id, uri=uri) as im:
        return im.size


register_decoder("pil", decode_image)
