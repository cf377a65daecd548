"""Cache entries on disk: validated look-ups, torn-entry repair, download-and-admit with eviction.

This is the part of the cache that every process shares (the index and the files); the
``Cache`` object around it keeps what is per process (counters, the verified memo, the
future order, the thread pool).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from hyperloader.errors import StoreError
from hyperloader.io._evict import EvictionPolicy, take_until
from hyperloader.io._fetch import download_to, fetch_info, file_digest
from hyperloader.io._index import Index, IndexRow
from hyperloader.io._layout import CacheLayout, content_key
from hyperloader.io._retry import RetryPolicy

__all__ = ["Admitted", "EntryStore", "Found", "has_size"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """An index row for a URI and what its file looks like: ``ok``, ``missing``, ``corrupt``."""

    row: IndexRow
    path: str
    state: str


@dataclass(frozen=True)
class Admitted:
    """A download now in the cache, and how many entries made room for it."""

    key: str
    path: str
    size: int
    evicted: int


class EntryStore:
    """The shared index plus the directory layout of one cache directory.

    Args:
        layout: the directory's paths.
        index: this process's index handle.
        policy: the eviction strategy.
        verify: ``"checksum"`` or ``"size"`` (see ``CacheOptions``).
    """

    def __init__(self, layout: CacheLayout, index: Index, policy: EvictionPolicy,
                 verify: str) -> None:
        self.layout, self.index, self.policy, self.verify = layout, index, policy, verify

    def find(self, uri: str) -> Found | None:
        """Return the cached version of ``uri`` and the state of its file, or None."""
        row = self.index.lookup(uri)
        if row is None:
            return None
        path = self.layout.entry_path(row.key, uri)
        return Found(row, path, self._check(path, row))

    def _check(self, path: str, row: IndexRow) -> str:
        try:
            if os.stat(path).st_size != row.size:
                return "corrupt"
            if self.verify == "checksum" and file_digest(path)[1] != row.checksum:
                return "corrupt"
        except FileNotFoundError:
            return "missing"
        return "ok"

    def drop(self, found: Found) -> None:
        """Remove a torn entry's row and file."""
        with self.index.transaction() as tx:
            tx.delete([found.row.key])
            _unlink(found.path)

    def download(self, uri: str, *, next_use: int, max_bytes: int,
                 retry: RetryPolicy) -> Admitted:
        """Fetch ``uri`` into a temp file, then evict and admit it (caller holds its lock).

        Raises:
            StoreError: the object is missing, larger than ``max_bytes``, or every attempt
                failed.
        """
        info = fetch_info(uri, retry=retry)
        _check_budget(uri, info.size, max_bytes)
        key = content_key(info)
        tmp = self.layout.temp_path(key)
        try:
            size, md5 = download_to(uri, tmp, expected=info, retry=retry)
            _check_budget(uri, size, max_bytes)
            path = self.layout.entry_path(key, uri)
            evicted = self._admit((uri, key, size, md5, info.etag, next_use), tmp, path,
                                  max_bytes)
        finally:
            _unlink(tmp)
        return Admitted(key, path, size, evicted)

    def _admit(self, row: tuple[str, str, int, str, str | None, int], tmp: str, path: str,
               max_bytes: int) -> int:
        """Evict to make room, then move ``tmp`` to ``path`` and index ``row``, atomically."""
        uri, key, size = row[:3]
        with self.index.transaction() as tx:
            stale = [k for k in tx.keys_for(uri) if k != key]  # older versions of the object
            tx.delete([*stale, key])
            for old in stale:
                _unlink(self.layout.entry_path(old, uri))
            need = tx.total_bytes() + size - max_bytes
            victims = take_until(tx.candidates(self.policy.order_by), need)
            if victims:
                tx.delete([v.key for v in victims])
                for victim in victims:
                    _unlink(self.layout.entry_path(victim.key, victim.uri))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(tmp, path)
            tx.insert(key, uri, size, *row[3:])
        if victims:
            logger.debug("evicted %d entries (%d bytes) for %s", len(victims),
                         sum(v.size for v in victims), uri)
        return len(victims)

    def refresh_next_use(self, next_use_of: Callable[[str], int]) -> None:
        """Recompute every entry's ``next_use`` (after the future order changed)."""
        with self.index.transaction() as tx:
            tx.set_next_use([(next_use_of(uri), key) for key, uri in tx.uris()])

    def audit(self) -> dict[str, int]:
        """Compare the index with the files under ``objects/``, under the write lock."""
        with self.index.transaction():
            rows = self.index.rows()
            files = dict(self.layout.entry_files())
        expected = {self.layout.entry_path(key, uri): size for key, uri, size in rows}
        return {"entries": len(rows), "bytes_cached": sum(expected.values()),
                "disk_files": len(files), "disk_bytes": sum(files.values()),
                "orphans": len(files.keys() - expected.keys()),
                "missing": len(expected.keys() - files.keys())}


def _check_budget(uri: str, size: int | None, max_bytes: int) -> None:
    if size is not None and size > max_bytes:
        raise StoreError(f"{uri!r} is {size} bytes, more than the whole cache budget "
                         f"max_bytes={max_bytes}; raise max_bytes or read it with fetch_bytes",
                         uri=uri, attempts=1, transient=False)


def has_size(path: str, size: int) -> bool:
    """Return True when the file at ``path`` exists and is ``size`` bytes long."""
    try:
        return os.stat(path).st_size == size
    except FileNotFoundError:
        return False


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
