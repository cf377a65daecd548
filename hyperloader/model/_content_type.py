"""Infer a MIME content type from a URI's extension."""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import urlsplit

__all__ = ["guess_content_type"]

_EXTRA = {".webp": "image/webp", ".mkv": "video/x-matroska", ".npy": "application/x-npy"}


def guess_content_type(uri: str) -> str | None:
    """Return the content type implied by ``uri``'s extension, or None when unknown."""
    if not isinstance(uri, str):  # let validation report a missing URI, not a TypeError
        return None
    path = urlsplit(uri).path if "://" in uri else uri
    ext = posixpath.splitext(path)[1].lower()
    return _EXTRA.get(ext) or mimetypes.types_map.get(ext)
