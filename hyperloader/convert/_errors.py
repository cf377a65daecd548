"""The error raised for malformed annotation files."""

from __future__ import annotations

from hyperloader.errors import HyperloaderError

__all__ = ["ConvertError"]


class ConvertError(HyperloaderError, ValueError):
    """An annotation file is malformed or cannot be mapped to frames.

    Attributes: ``path`` (the file) and ``where`` (e.g. ``annotations[12]``).
    """

    def __init__(self, reason: str, *, path: str | None = None, where: str = "") -> None:
        loc = f"{path}" if path else "annotation file"
        if where:
            loc += f" {where}"
        super().__init__(f"{loc}: {reason}", path=path, where=where)
