"""Opening encoded bytes or a local file with Pillow, turning every failure into DecodeError."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, UnidentifiedImageError

from hyperloader.errors import DecodeError

__all__ = ["ImageData", "open_image"]

#: Encoded image bytes, or the path of a local file.
ImageData = bytes | bytearray | memoryview | str | os.PathLike[str]


def _reason(exc: Exception, fmt: str | None) -> str:
    kind = fmt or "image"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, UnidentifiedImageError):
        return "not an image (cannot identify image file)"
    if isinstance(exc, Image.DecompressionBombError):
        return f"image too large ({text})"
    if isinstance(exc, FileNotFoundError):
        return f"local file not found ({text})"
    if isinstance(exc, OSError) and "truncated" in text:
        return f"truncated {kind} ({text})"
    return f"corrupt {kind} ({type(exc).__name__}: {text})"


@contextmanager
def open_image(data: ImageData, *, frame_id: str | None = None, source_id: str | None = None,
               uri: str | None = None) -> Iterator[Image.Image]:
    """Yield ``data`` opened as a lazy PIL image; any error inside the block becomes DecodeError.

    Work on the image (``load``, ``convert``, ``np.array``) must happen inside the block:
    the image is closed when it ends.

    Raises:
        DecodeError: The bytes are empty, not an image, truncated or corrupt, or the file
            cannot be read; the message names ``frame_id``, ``source_id`` and ``uri``.
        TypeError: ``data`` is neither bytes-like nor a path.
    """
    ctx = {"frame_id": frame_id, "source_id": source_id, "uri": uri, "decoder": "pil"}
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) == 0:
            raise DecodeError("not an image (empty data)", **ctx)
        src: io.BytesIO | str | os.PathLike[str] = io.BytesIO(data)
    elif isinstance(data, (str, os.PathLike)):
        src = data
    else:
        raise TypeError(f"image data must be bytes, memoryview or a local path, "
                        f"got {type(data).__name__}")
    fmt = None
    try:
        with Image.open(src) as im:
            fmt = im.format
            yield im
    except DecodeError:
        raise
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, struct.error, ...)
        raise DecodeError(_reason(exc, fmt), **ctx) from exc
