"""The image decoder registry: a name -> decode function dict with a helpful lookup error."""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from hyperloader.errors import close_matches

__all__ = ["DEFAULT_DECODER", "ImageDecoder", "available_decoders", "get_decoder",
           "register_decoder"]

logger = logging.getLogger(__name__)

#: Name of the decoder used when none is asked for.
DEFAULT_DECODER = "pil"


class ImageDecoder(Protocol):
    """What a registered decoder is: encoded bytes (or a local path) in, uint8 HxWx3 out.

    It must return exactly ``decode_size`` when one is given and raise
    ``hyperloader.errors.DecodeError`` (with the context it was passed) on bad data.
    """

    def __call__(self, data: bytes | bytearray | memoryview | str, *,
                 decode_size: tuple[int, int] | None = None, frame_id: str | None = None,
                 source_id: str | None = None, uri: str | None = None) -> np.ndarray: ...


_DECODERS: dict[str, ImageDecoder] = {}


def register_decoder(name: str, fn: ImageDecoder) -> None:
    """Register (or replace) an image decoder under ``name``.

    Args:
        name: Registry key, e.g. ``"torchvision"``.
        fn: Callable following the :class:`ImageDecoder` signature.

    Raises:
        ValueError: ``name`` is empty or not a string.
        TypeError: ``fn`` is not callable.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"decoder name must be a non-empty string, got {name!r}")
    if not callable(fn):
        raise TypeError(f"decoder {name!r} must be callable, got {type(fn).__name__}")
    if name in _DECODERS and _DECODERS[name] is not fn:
        logger.debug("replacing image decoder %r", name)
    _DECODERS[name] = fn


def get_decoder(name: str = DEFAULT_DECODER) -> ImageDecoder:
    """Return the decoder registered under ``name``.

    Args:
        name: Registry key; ``"pil"`` is always there.

    Returns:
        The decode function.

    Raises:
        ValueError: No decoder has that name; the message lists the known ones.
    """
    try:
        return _DECODERS[name]
    except (KeyError, TypeError):
        known = ", ".join(available_decoders())
        hint = close_matches(name, _DECODERS) if isinstance(name, str) else []
        did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ValueError(f"unknown decoder {name!r}{did_you_mean}; known: {known}") from None


def available_decoders() -> list[str]:
    """List the registered decoder names.

    Returns:
        The names, sorted.
    """
    return sorted(_DECODERS)
