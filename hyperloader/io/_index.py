"""The cache index shared by every process on the machine: a small SQLite file in WAL mode.

One row per cached object version: key, uri, size, checksum, etag, last_used, next_use and
mtime_ns, the file's modification time when its checksum was last confirmed.
Triggers keep the entry count and byte total in ``totals``, and each eviction order has an
SQL index, so admitting an object costs O(victims) whatever the number of entries. A write
transaction (``BEGIN IMMEDIATE``) is the machine-wide lock under which the cache evicts and
admits, so the byte budget holds however many processes share the directory. Reads from
hits (``last_used``, ``next_use``) are buffered and written in batches: a hit costs no write.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from hyperloader.io._evict import Candidate
from hyperloader.io._lock import FileLock

__all__ = ["Index", "IndexRow", "Transaction"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    uri TEXT NOT NULL,
    size INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    etag TEXT,
    last_used REAL NOT NULL,
    next_use INTEGER NOT NULL,
    mtime_ns INTEGER
);
CREATE INDEX IF NOT EXISTS entries_uri ON entries(uri);
CREATE INDEX IF NOT EXISTS entries_lru ON entries(last_used);
CREATE INDEX IF NOT EXISTS entries_belady ON entries(next_use DESC, last_used);
CREATE TABLE IF NOT EXISTS totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    entries INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals VALUES (0, 0, 0);
CREATE TRIGGER IF NOT EXISTS entries_added AFTER INSERT ON entries BEGIN
    UPDATE totals SET entries = entries + 1, bytes = bytes + NEW.size WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS entries_removed AFTER DELETE ON entries BEGIN
    UPDATE totals SET entries = entries - 1, bytes = bytes - OLD.size WHERE id = 0;
END;
"""
_VERSION = 2  # PRAGMA user_version; 2 added entries.mtime_ns
_FLUSH_EVERY = 256
_IN_CHUNK = 500  # URIs per look-up statement (SQLite caps bound parameters)
_FLUSH_AFTER_S = 2.0


class IndexRow(NamedTuple):
    """What the index knows about the cached version of a URI.

    ``mtime_ns`` is the file's modification time when its checksum was last confirmed
    (None: never), so an unchanged file need not be hashed again. ``etag`` is the
    server's entity tag for the bytes cached, when it was known at download.
    """

    key: str
    size: int
    checksum: str
    mtime_ns: int | None
    etag: str | None = None


class Transaction:
    """Statements that run inside one exclusive write transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def keys_for(self, uri: str) -> list[str]:
        """Return the keys of every cached version of ``uri``."""
        return [r[0] for r in self._conn.execute("SELECT key FROM entries WHERE uri = ?", (uri,))]

    def delete(self, keys: list[str]) -> None:
        """Remove the rows of ``keys``."""
        self._conn.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in keys])

    def total_bytes(self) -> int:
        """Return the summed size of every entry."""
        return int(self._conn.execute("SELECT bytes FROM totals WHERE id = 0").fetchone()[0])

    def candidates(self, order_by: str) -> Iterator[Candidate]:
        """Yield entries in eviction order, lazily (``order_by`` is a vetted SQL ordering)."""
        # order_by comes from the registry, which only admits vetted column orderings
        sql = f"SELECT key, uri, size FROM entries ORDER BY {order_by}, rowid"
        cursor = self._conn.execute(sql)
        try:
            for row in cursor:
                yield Candidate(*row)
        finally:
            cursor.close()

    def insert(self, key: str, uri: str, size: int, checksum: str, etag: str | None,
               next_use: int, mtime_ns: int | None) -> None:
        """Add the row of ``key`` (absent), read now."""
        self._conn.execute(
            "INSERT INTO entries (key, uri, size, checksum, etag, last_used, next_use, mtime_ns) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, uri, size, checksum, etag, time.time(), next_use, mtime_ns))

    def set_mtime(self, key: str, mtime_ns: int) -> None:
        """Record that the file of ``key`` matched its checksum at ``mtime_ns``."""
        self._conn.execute("UPDATE entries SET mtime_ns = ? WHERE key = ?", (mtime_ns, key))

    def next_uses(self) -> list[tuple[str, str, int]]:
        """Return ``(key, uri, next_use)`` of every entry."""
        return list(self._conn.execute("SELECT key, uri, next_use FROM entries"))

    def set_next_use(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Set ``next_use`` from ``(next_use, key)`` pairs."""
        self._conn.executemany("UPDATE entries SET next_use = ? WHERE key = ?", pairs)


class Index:
    """One process's handle on the shared index; thread-safe, opened lazily.

    Args:
        path: the SQLite file.
        lock_path: a lock file that serialises creating the schema.
        timeout_s: how long a statement waits for another process's write transaction.
        write_lock_path: a lock file held around every write transaction (by default
            ``path + ".write.lock"``).

    Writers queue on that file lock, taken before this process's mutex, rather than in
    SQLite's busy handler: the handler sleeps 1, 2, 5, ... 100 ms between tries, and a
    thread sleeping there held the mutex, so every other thread of its process (look-ups
    included) waited behind it. With two DataLoader workers admitting a cold epoch, that
    added up to seconds of stalls per pass.
    """

    def __init__(self, path: str, lock_path: str, timeout_s: float = 60.0, *,
                 write_lock_path: str | None = None) -> None:
        self.path = path
        self.lock_path = lock_path
        self.write_lock_path = write_lock_path or path + ".write.lock"
        self.timeout_s = timeout_s
        self._mutex = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._touches: dict[str, tuple[float, int]] = {}
        self._last_flush = time.monotonic()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            with FileLock(self.lock_path, self.timeout_s):
                conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
                _migrate(conn)
            self._conn = conn
        return self._conn

    def lookup(self, uri: str) -> IndexRow | None:
        """Return the newest cached version of ``uri``, or None."""
        with self._mutex:
            row = self._connection().execute(
                "SELECT key, size, checksum, mtime_ns, etag FROM entries WHERE uri = ? "
                "ORDER BY last_used DESC LIMIT 1", (uri,)).fetchone()
        return None if row is None else IndexRow(*row)

    def lookup_many(self, uris: Iterable[str]) -> dict[str, IndexRow]:
        """Return the newest cached version of each of ``uris`` that has one."""
        found: dict[str, tuple[float, IndexRow]] = {}
        with self._mutex:
            conn = self._connection()
            wanted = list(dict.fromkeys(uris))
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start:start + _IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                for uri, last_used, *rest in conn.execute(
                        "SELECT uri, last_used, key, size, checksum, mtime_ns, etag "
                        f"FROM entries WHERE uri IN ({marks})", chunk):
                    if uri not in found or found[uri][0] < last_used:
                        found[uri] = (last_used, IndexRow(*rest))
        return {uri: row for uri, (_, row) in found.items()}

    def touch(self, key: str, next_use: int) -> None:
        """Record a read of ``key`` (its next read is at ``next_use``); written in a batch."""
        with self._mutex:
            self._touches[key] = (time.time(), next_use)
            due = (len(self._touches) >= _FLUSH_EVERY
                   or time.monotonic() - self._last_flush > _FLUSH_AFTER_S)
        if due:
            with self.transaction():
                pass  # a transaction flushes the buffered touches first

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the machine-wide write lock; buffered touches are written first."""
        with FileLock(self.write_lock_path, self.timeout_s), self._mutex:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self._touches:
                    conn.executemany(
                        "UPDATE entries SET last_used = MAX(last_used, ?), next_use = ? "
                        "WHERE key = ?", [(t, n, k) for k, (t, n) in self._touches.items()])
                yield Transaction(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self._touches.clear()
            self._last_flush = time.monotonic()

    def totals(self) -> tuple[int, int]:
        """Return ``(entries, bytes)`` over every process's entries."""
        with self._mutex:
            n, size = self._connection().execute(
                "SELECT entries, bytes FROM totals WHERE id = 0").fetchone()
        return int(n), int(size)

    def rows(self) -> list[tuple[str, str, int]]:
        """Return ``(key, uri, size)`` of every entry (for audits)."""
        with self._mutex:
            return list(self._connection().execute("SELECT key, uri, size FROM entries"))

    def close(self) -> None:
        """Write buffered touches and close the connection; reopened on next use."""
        if self._conn is not None and self._touches:
            # before taking the mutex: a transaction takes the write lock, then the mutex
            with self.transaction():
                pass
        with self._mutex:
            if self._conn is None:
                return
            self._conn.close()
            self._conn = None

    def set_mtime(self, key: str, mtime_ns: int) -> None:
        """Record that the file of ``key`` matched its checksum at ``mtime_ns``."""
        with self.transaction() as tx:
            tx.set_mtime(key, mtime_ns)

    def __del__(self) -> None:
        # Unflushed touches only cost recency accuracy; a collector must never block on a lock.
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring an index written by an older hyperloader up to ``_VERSION`` (under the lock)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= _VERSION:
        return
    columns = {row[1] for row in conn.execute("PRAGMA table_info(entries)")}
    if "mtime_ns" not in columns:  # rows get it once their checksum is confirmed again
        conn.execute("ALTER TABLE entries ADD COLUMN mtime_ns INTEGER")
    conn.execute(f"PRAGMA user_version = {_VERSION}")
