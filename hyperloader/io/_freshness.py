"""Whether a cached entry still holds what the server has: when to ask, and what it means."""

from __future__ import annotations

import threading
import time

from hyperloader.errors import StoreError
from hyperloader.io._fetch import ObjectInfo, fetch_info
from hyperloader.io._index import IndexRow
from hyperloader.io._retry import RetryPolicy

__all__ = ["Freshness", "stale_reason"]


class Freshness:
    """When this process last compared each URI with the server (``revalidate_after_s``).

    Args:
        after_s: seconds between two checks of one URI; None never checks.
        retry: the backoff for the HEAD.
    """

    def __init__(self, after_s: float | None, retry: RetryPolicy) -> None:
        self.after_s, self.retry = after_s, retry
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether entries are ever checked."""
        return self.after_s is not None

    def due(self, uri: str) -> bool:
        """Return whether ``uri`` should be checked now."""
        if self.after_s is None:
            return False
        with self._lock:
            last = self._checked.get(uri)
        return last is None or time.monotonic() - last >= self.after_s

    def mark(self, uri: str, when: float | None = None) -> None:
        """Record that ``uri`` matched the server at ``when`` (``time.monotonic()``; now)."""
        with self._lock:
            self._checked[uri] = time.monotonic() if when is None else when

    def check(self, uri: str, row: IndexRow) -> str | None:
        """Ask the server (one HEAD) and return why ``row`` is stale, or None; marks ``uri``.

        Raises:
            StoreError: the server could not say (a missing object is an answer: stale).
        """
        now = time.monotonic()
        try:
            reason = stale_reason(row, fetch_info(uri, retry=self.retry))
        except StoreError as exc:
            if not isinstance(exc.__cause__, FileNotFoundError):
                raise
            reason = "the object is gone"
        self.mark(uri, now)
        return reason


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
