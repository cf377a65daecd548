"""Cache entries on disk: validated look-ups, torn-entry repair, download-and-admit with eviction.

Eviction (to admit a download, or to ``trim`` the directory) deletes rows and unlinks files
inside one index transaction; a reader that already opened a file keeps reading it.

This is the part of the cache that every process shares (the index and the files); the
``Cache`` object around it keeps what is per process (counters, the verified memo, the
future order, the thread pool).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from hyperloader.io._evict import Candidate, EvictionPolicy, take_until
from hyperloader.io._fetch import download_to, file_digest, over_budget
from hyperloader.io._future import NEVER
from hyperloader.io._index import Index, IndexRow, Transaction
from hyperloader.io._layout import CacheLayout, content_key
from hyperloader.io._retry import RetryPolicy

__all__ = ["Admitted", "EntryStore", "Found", "unchanged"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """An index row for a URI and what its file looks like: ``ok``, ``missing``, ``corrupt``.

    ``mtime_ns`` is the file's modification time when found ``ok`` (else None).
    """

    row: IndexRow
    path: str
    state: str
    mtime_ns: int | None = None


@dataclass(frozen=True)
class Admitted:
    """A download now in the cache, and how many entries made room for it.

    ``handle`` is the entry opened for reading before it became visible (when asked for):
    it reads the downloaded bytes even if another process evicts the entry at once.
    """

    key: str
    path: str
    size: int
    evicted: int
    mtime_ns: int
    handle: IO[bytes] | None = None


class EntryStore:
    """The shared index plus the directory layout of one cache directory.

    Args:
        layout: the directory's paths.
        index: this process's index handle.
        policy: the eviction strategy.
        verify: ``"checksum"``, ``"always"`` or ``"size"`` (see ``CacheOptions``).
    """

    def __init__(self, layout: CacheLayout, index: Index, policy: EvictionPolicy,
                 verify: str) -> None:
        self.layout, self.index, self.policy, self.verify = layout, index, policy, verify

    def find(self, uri: str) -> Found | None:
        """Return the cached version of ``uri`` and the state of its file, or None."""
        row = self.index.lookup(uri)
        if row is None:
            return None
        return self.check(uri, row)

    def check(self, uri: str, row: IndexRow) -> Found:
        """Return the state of the file of ``row``, hashing it only when ``verify`` asks.

        Under ``"checksum"`` a file whose size and modification time are those recorded
        when its MD5 was last confirmed is trusted; any other file is hashed, and a match
        is recorded so that the next process need not hash it again.
        """
        path = self.layout.entry_path(row.key, uri)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return Found(row, path, "missing")
        if stat.st_size != row.size:
            return Found(row, path, "corrupt")
        trusted = self.verify == "size" or (self.verify == "checksum"
                                            and stat.st_mtime_ns == row.mtime_ns)
        if not trusted:
            try:
                if file_digest(path)[1] != row.checksum:
                    return Found(row, path, "corrupt")
            except FileNotFoundError:
                return Found(row, path, "missing")
            if self.verify == "checksum":
                self.index.set_mtime(row.key, stat.st_mtime_ns)
        return Found(row, path, "ok", stat.st_mtime_ns)

    def drop(self, found: Found) -> None:
        """Remove a torn entry's row and file."""
        with self.index.transaction() as tx:
            tx.delete([found.row.key])
            _unlink(found.path)

    def download(self, uri: str, *, next_use: int, max_bytes: int, retry: RetryPolicy,
                 want_etag: bool = False, keep_open: bool = False) -> Admitted:
        """Fetch ``uri`` (one request) into a temp file, then evict and admit it.

        The caller holds the URI's download lock. The entry's key is derived from the
        URI and the MD5 of the bytes received, so no metadata request is needed first
        (``want_etag`` adds one on the fsspec path, to record the ETag). ``keep_open``
        returns the entry opened (``Admitted.handle``; the caller closes it).

        Raises:
            StoreError: the object is missing, larger than ``max_bytes``, or every attempt
                failed.
        """
        tmp = self.layout.temp_path(uri)
        handle: IO[bytes] | None = None
        try:
            size, md5, etag = download_to(uri, tmp, max_bytes=max_bytes, retry=retry,
                                          want_etag=want_etag)
            _check_budget(uri, size, max_bytes)
            key = content_key(uri, md5)
            path = self.layout.entry_path(key, uri)
            # opened before it is visible: no eviction can come between admission and read
            handle = open(tmp, "rb") if keep_open else None
            evicted, mtime_ns = self._admit((uri, key, size, md5, etag, next_use), tmp, path,
                                            max_bytes)
        except BaseException:
            if handle is not None:
                handle.close()
            raise
        finally:
            _unlink(tmp)
        return Admitted(key, path, size, evicted, mtime_ns, handle)

    def _admit(self, row: tuple[str, str, int, str, str | None, int], tmp: str, path: str,
               max_bytes: int) -> tuple[int, int]:
        """Evict to make room, move ``tmp`` to ``path`` and index ``row``, atomically.

        Returns:
            The number of entries evicted and the new file's modification time.
        """
        uri, key, size = row[:3]
        with self.index.transaction() as tx:
            stale = [k for k in tx.keys_for(uri) if k != key]  # older versions of the object
            tx.delete([*stale, key])
            for old in stale:
                _unlink(self.layout.entry_path(old, uri))
            need = tx.total_bytes() + size - max_bytes
            victims = take_until(tx.candidates(self.policy.order_by), need)
            self._evict(tx, victims)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(tmp, path)
            mtime_ns = os.stat(path).st_mtime_ns
            tx.insert(key, uri, size, *row[3:], mtime_ns)
        if victims:
            logger.debug("evicted %d entries (%d bytes) for %s", len(victims),
                         sum(v.size for v in victims), uri)
        return len(victims), mtime_ns

    def trim(self, max_bytes: int) -> tuple[int, int]:
        """Evict entries in the policy's order until they hold at most ``max_bytes``.

        One transaction under the write lock, so no download is admitted halfway through.

        Args:
            max_bytes: the size to shrink the directory's entries to (0 empties it).

        Returns:
            The number of entries evicted and the bytes they held.
        """
        with self.index.transaction() as tx:
            need = tx.total_bytes() - max_bytes
            victims = take_until(tx.candidates(self.policy.order_by), need)
            self._evict(tx, victims)
        freed = sum(v.size for v in victims)
        if victims:
            logger.debug("trimmed %d entries (%d bytes) to fit %d bytes", len(victims), freed,
                         max_bytes)
        return len(victims), freed

    def _evict(self, tx: Transaction, victims: list[Candidate]) -> None:
        """Delete the rows of ``victims`` and unlink their files, inside ``tx``."""
        if victims:
            tx.delete([v.key for v in victims])
            for victim in victims:
                _unlink(self.layout.entry_path(victim.key, victim.uri))

    def refresh_next_use(self, next_use_of: Callable[[str], int | None], *,
                         shared_from: int | None = None) -> None:
        """Recompute ``next_use`` after the future order changed, in one transaction.

        Args:
            next_use_of: the next read of a URI in this process's order, None when the
                URI is not in it.
            shared_from: when the order is this process's share of one that other
                processes read too, the position it starts at: an entry outside it keeps
                the ``next_use`` another process gave it unless that is already in the
                past (below ``shared_from``). When None, entries outside it are never read.
        """
        with self.index.transaction() as tx:
            updates = []
            for key, uri, current in tx.next_uses():
                new = next_use_of(uri)
                if new is None:
                    if shared_from is not None and current >= shared_from:
                        continue
                    new = NEVER
                if new != current:
                    updates.append((new, key))
            tx.set_next_use(updates)

    def audit(self, *, repair: bool = False) -> dict[str, int]:
        """Compare the index with the files under ``objects/``, under the write lock.

        With ``repair``, files without a row (left by a process killed while admitting)
        are deleted and rows without a file are dropped, in the same transaction.
        """
        with self.index.transaction() as tx:
            rows = self.index.rows()
            files = dict(self.layout.entry_files())
            expected = {self.layout.entry_path(key, uri): (key, size) for key, uri, size in rows}
            orphans = files.keys() - expected.keys()
            missing = expected.keys() - files.keys()
            if repair:
                for path in orphans:
                    _unlink(path)
                tx.delete([expected[path][0] for path in missing])
        return {"entries": len(rows), "bytes_cached": sum(s for _, s in expected.values()),
                "disk_files": len(files), "disk_bytes": sum(files.values()),
                "orphans": len(orphans), "missing": len(missing)}


def _check_budget(uri: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise over_budget(uri, size, max_bytes)


def unchanged(path: str, size: int, mtime_ns: int | None) -> bool:
    """Return True when the file at ``path`` has ``size`` bytes and, unless None, ``mtime_ns``."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return False
    return stat.st_size == size and (mtime_ns is None or stat.st_mtime_ns == mtime_ns)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
