"""Whether a cached entry still holds what the server has: size and ETag compared."""

from __future__ import annotations

from hyperloader.io._fetch import ObjectInfo
from hyperloader.io._index import IndexRow

__all__ = ["stale_reason"]


def stale_reason(row: IndexRow, info: ObjectInfo) -> str | None:
    """Return why the entry ``row`` no longer matches the object ``info``, or None.

    The size must agree. An S3 ETag that is a content MD5 (objects not uploaded in parts)
    must equal the MD5 of the bytes cached; any other ETag must equal the one recorded at
    download. With neither (no ETag then, or now), the size is all there is to compare.
    """
    if info.size is not None and info.size != row.size:
        return f"size {row.size} cached, {info.size} now"
    if info.md5 is not None:
        return None if info.md5 == row.checksum else (
            f"content MD5 {row.checksum} cached, ETag {info.etag} now")
    if info.etag and row.etag and info.etag != row.etag:
        return f"ETag {row.etag} cached, {info.etag} now"
    return None
