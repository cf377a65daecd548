"""The local disk cache: remote objects become local files, under a byte budget, once per machine.

A hit costs one dictionary look-up and one ``stat``: an entry whose file still has the size
and modification time recorded when its MD5 was last confirmed is trusted, any other is
hashed again. ``set_future_order`` loads what the index knows of the coming URIs with a few
statements, so a warm epoch does not query the index per object. A miss takes the URI's
download lock, streams the object to a temp file with one GET (the entry is keyed by the
URI and the MD5 of the bytes received), then evicts and admits in one index transaction
and moves the file in place with ``os.replace``. Several threads, DataLoader
workers and training processes may share one directory.

Counters are per ``Cache`` object (per process after pickling); ``bytes_cached`` and
``entries`` come from the shared index. By default remote objects are taken as immutable: a
hit never asks the server again. With ``CacheOptions(revalidate_after_s=...)`` a hit this
process has not checked for that long costs one HEAD, and a changed object is fetched again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, NamedTuple

from hyperloader._fs import is_local
from hyperloader.errors import StoreError
from hyperloader.io._entries import EntryStore, unchanged
from hyperloader.io._fetch import local_path
from hyperloader.io._freshness import Freshness
from hyperloader.io._future import FutureOrder
from hyperloader.io._index import Index
from hyperloader.io._layout import CacheLayout
from hyperloader.io._lock import FileLock
from hyperloader.io._options import DEFAULT_MAX_BYTES, CacheOptions, default_cache_dir, parse_size

__all__ = ["Cache"]

logger = logging.getLogger(__name__)

_COUNTERS = ("hits", "misses", "local", "corrupt", "failed", "bytes_fetched", "evictions",
             "revalidated", "stale")
_MEMO_MAX = 1 << 18  # verified entries remembered per process (a forgotten one is re-checked)


class _Got(NamedTuple):
    """What ``_ensure`` found: a path, how (local, hit, miss), and a miss's open entry."""

    path: str
    outcome: str
    handle: IO[bytes] | None = None


class Cache:
    """A bounded, content-addressed disk cache of remote objects, shared across processes.

    Args:
        directory: where entries live; ``$HYPERLOADER_CACHE_DIR``, else
            ``~/.cache/hyperloader``, when None. Keep it on a local disk (SQLite and
            ``flock`` are unreliable on network file systems).
        max_bytes: the budget for all entries in ``directory``, shared by every process
            using it. An object larger than the budget raises ``StoreError``.
        options: eviction strategy, verification, threads, retry and timeouts.

    Local paths and ``file://`` URLs are returned in place, never copied (counted as
    ``local``). Every other ``get`` counts exactly one of ``hits``, ``misses`` (this object
    downloaded it, ``prefetch`` included) or ``failed``; ``corrupt`` counts torn entries
    found (then fetched again, as a miss) and ``evictions`` the entries this object dropped.
    With ``CacheOptions(revalidate_after_s=...)``, ``revalidated`` counts the checks asked
    of the server and ``stale`` the entries they found changed (then fetched again).

    With ``CacheOptions(eviction="belady")`` and ``set_future_order``, the entry read
    furthest in the future goes first, so a cache smaller than the dataset keeps a stable
    part of it across epochs instead of re-downloading everything (LRU's worst case). The
    index stores each entry's next read; use one strategy per directory.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES, options: CacheOptions | None = None) -> None:
        if int(max_bytes) <= 0:
            raise ValueError(f"Cache max_bytes must be > 0, got {max_bytes}")
        self.directory = os.path.abspath(os.path.expanduser(os.fspath(directory)
                                                            if directory else default_cache_dir()))
        self.max_bytes = int(max_bytes)
        self.options = options or CacheOptions()
        self._future = FutureOrder()
        self._reset_runtime()

    def _reset_runtime(self) -> None:
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        self._counters = dict.fromkeys(_COUNTERS, 0)
        # uri -> (key, path, size, mtime_ns): a hit when the file still has that size and,
        # unless None, that modification time
        self._verified: dict[str, tuple[str, str, int, int | None]] = {}
        self._freshness = Freshness(self.options.revalidate_after_s, self.options.retry)
        self._layout = CacheLayout(self.directory)
        self._store: EntryStore | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._policy = self.options.eviction_policy()

    def __getstate__(self) -> dict[str, Any]:
        return {"directory": self.directory, "max_bytes": self.max_bytes,
                "options": self.options, "future": self._future}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.directory, self.max_bytes = state["directory"], state["max_bytes"]
        self.options, self._future = state["options"], state["future"]
        self._reset_runtime()

    def __repr__(self) -> str:
        return (f"Cache({self.directory!r}, max_bytes={self.max_bytes}, "
                f"eviction={self.options.eviction!r})")

    # -- public interface -------------------------------------------------------------------

    def get(self, uri: str) -> str:
        """Return a local path holding the content of ``uri``, downloading it if needed.

        Raises:
            StoreError: the object is missing, larger than the budget, or every attempt failed.
        """
        return self._ensure(uri)[0]

    def open(self, uri: str) -> IO[bytes]:
        """Open the content of ``uri`` for reading, immune to a concurrent eviction.

        Raises:
            StoreError: as ``get``.
        """
        path, _, handle = self._ensure(uri, keep_open=True)
        if handle is not None:  # just downloaded: opened before anyone could evict it
            return handle
        try:
            return open(path, "rb")
        except FileNotFoundError:  # a hit evicted by another process between get and open
            with self._mutex:
                self._verified.pop(uri, None)
            path, _, handle = self._ensure(uri, keep_open=True)
            return handle if handle is not None else open(path, "rb")

    def prefetch(self, uris: Iterable[str]) -> list[Future[str]]:
        """Start downloading ``uris`` in the background; return one future per unique URI."""
        pool = self._thread_pool()
        return [pool.submit(self._prefetch_one, uri) for uri in dict.fromkeys(uris)]

    def _prefetch_one(self, uri: str) -> str:
        try:
            return self._ensure(uri, observe=False)[0]
        except StoreError as exc:  # also kept in the future, which nobody may look at
            logger.warning("prefetch of %s failed: %s", uri, exc)
            raise

    def invalidate(self, uri: str) -> None:
        """Drop the cached copy of ``uri`` so that the next ``get`` downloads it again."""
        if not is_local(uri):
            self._drop(self._entries(), uri)

    def set_future_order(self, uris: Iterable[str], positions: Iterable[int] | None = None,
                         *, order_start: int | None = None, period: int | None = None) -> int:
        """Tell the cache the order it will be read in, replacing what it knew (for Belady).

        Without ``positions`` the order is the whole future of the cache: call it before
        handing the cache to DataLoader workers (the order travels with the pickled
        cache, and each worker follows it with its own cursor); entries outside it are
        evicted first. With ``positions``, ``uris`` are this process's share of an order
        that other processes sharing the directory read too (each DataLoader worker's
        shard of an epoch, say): ``positions`` place each read in that common order
        (``epoch * len(plan) + plan_index``, non-decreasing), and entries of the other
        shares keep their place unless it is before ``order_start`` (the common order's
        first position, e.g. ``epoch * len(plan)``; the first of ``positions`` when
        None), which makes it a read of the past. This is what the torch datasets do.
        With ``period`` (the epoch stride of ``positions``) the order is taken to repeat:
        an entry read for the last time this epoch is expected back one period later,
        not never (see ``FutureOrder``); the torch datasets pass their epoch stride.

        It rewrites ``next_use`` in the index (one pass) and loads the rows of ``uris``,
        so call it once per epoch, not per batch. With a strategy that ignores the future
        (``"lru"``) it only records the order.

        Returns:
            How many of the distinct remote ``uris`` are not cached (as ``count_missing``).

        Raises:
            ValueError: ``positions`` decrease or do not match ``uris`` in number, or
                ``period`` is not positive.
        """
        uris = list(uris)
        with self._mutex:
            self._future.reset(uris, positions, period=period)
            start = self._future.start if order_start is None else int(order_start)
        self._refresh_next_use(shared_from=None if positions is None else start)
        return self._preload(uris)

    def advise(self, uris: Iterable[str], positions: Iterable[int] | None = None) -> int:
        """Append ``uris`` (at ``positions``) to the known future order: the next epoch, say.

        Returns:
            How many of the distinct remote ``uris`` are not cached.

        Raises:
            ValueError: as ``set_future_order``.
        """
        uris = list(uris)
        with self._mutex:
            self._future.extend(uris, positions)
            start = self._future.start
        self._refresh_next_use(shared_from=None if positions is None else start)
        return self._preload(uris)

    def count_missing(self, uris: Iterable[str]) -> int:
        """Return how many of the distinct remote ``uris`` have no entry in the index.

        Entries are not checked on disk here (``get`` does that); after
        ``set_future_order`` this is a dictionary look-up per URI.
        """
        remote = [u for u in dict.fromkeys(uris) if not is_local(u)]
        with self._mutex:
            unknown = [u for u in remote if u not in self._verified]
        if not unknown:
            return 0
        return len(unknown) - len(self._entries().index.lookup_many(unknown))

    def stats(self) -> dict[str, int]:
        """Return this object's counters plus the shared ``bytes_cached`` and ``entries``."""
        entries, cached = self._entries().index.totals()
        with self._mutex:
            out = dict(self._counters)
        out.update(bytes_cached=cached, entries=entries, max_bytes=self.max_bytes)
        return out

    def audit(self, *, repair: bool = False) -> dict[str, int]:
        """Compare the index with the disk under the write lock (a diagnostic).

        Args:
            repair: also delete orphan files and drop rows whose file is gone, so the
                disk holds exactly what the budget counts. It scans every entry file:
                run it after a crash, not per batch.

        Returns:
            ``entries`` and ``bytes_cached`` per the index, ``disk_files`` and
            ``disk_bytes`` found under ``objects/``, ``orphans`` (files without a row)
            and ``missing`` (rows without a file), all as found before any repair.
        """
        if repair:
            with self._mutex:
                self._verified.clear()
        return self._entries().audit(repair=repair)

    def trim(self, max_bytes: int | str | None = None) -> dict[str, int]:
        """Evict entries, in the eviction strategy's order, until the directory fits a size.

        It acts on the directory that every process shares, in one index transaction,
        and counts in ``evictions``. A file a reader already opened stays readable; a
        later ``get`` of an evicted object downloads it again.

        Args:
            max_bytes: the size to shrink to, in bytes or as text such as ``"500MB"``;
                this cache's ``max_bytes`` when None.

        Returns:
            ``evicted`` (entries) and ``bytes_freed``, then the ``bytes_cached`` and
            ``entries`` left.

        Raises:
            ValueError: ``max_bytes`` is negative or not a size.
        """
        limit = self.max_bytes if max_bytes is None else parse_size(max_bytes)
        if limit < 0:
            raise ValueError(f"Cache.trim max_bytes must be >= 0, got {max_bytes!r}")
        store = self._entries()
        evicted, freed = store.trim(limit)
        with self._mutex:
            self._verified.clear()  # evicted URIs must be looked up again
        self._count(evictions=evicted)
        entries, cached = store.index.totals()
        return {"evicted": evicted, "bytes_freed": freed, "bytes_cached": cached,
                "entries": entries}

    def clear(self) -> dict[str, int]:
        """Evict every entry of the directory, for every process sharing it (``trim(0)``).

        Returns:
            As ``trim``: ``evicted``, ``bytes_freed``, ``bytes_cached`` and ``entries``.
        """
        return self.trim(0)

    def close(self) -> None:
        """Cancel queued prefetches, wait for running ones, release threads and the index.

        The cache stays usable; resources are re-created on the next call.
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        store, self._store = self._store, None
        if store is not None:
            store.index.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------

    def _check_pid(self) -> None:
        if self._pid != os.getpid():  # forked: never reuse the parent's connection or threads
            self._reset_runtime()

    def _entries(self) -> EntryStore:
        self._check_pid()
        with self._mutex:
            if self._store is None:
                self._layout.create()
                self._layout.sweep_temp()
                index = Index(self._layout.index, self._layout.index_lock,
                              self.options.index_timeout_s,
                              write_lock_path=self._layout.index_write_lock)
                self._store = EntryStore(self._layout, index, self._policy, self.options.verify)
            return self._store

    def _thread_pool(self) -> ThreadPoolExecutor:
        self._check_pid()
        with self._mutex:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.options.num_threads,
                                                thread_name_prefix="hyperloader-cache")
            return self._pool

    def _count(self, **deltas: int) -> None:
        with self._mutex:
            for name, delta in deltas.items():
                self._counters[name] += delta

    def _ensure(self, uri: str, *, observe: bool = True, keep_open: bool = False) -> _Got:
        """Return ``(path, outcome, handle)``; outcome ``"local"``, ``"hit"`` or ``"miss"``.

        ``observe=False`` (prefetching) leaves the future-order cursor where it is. With
        ``keep_open`` a miss comes with its entry already open (``handle``, else None).
        """
        try:
            if is_local(uri):
                local = local_path(uri)
                self._count(local=1)
                return _Got(local, "local")
            store = self._entries()
            with self._mutex:
                if observe:
                    self._future.observe(uri)
                next_use = self._future.next_use(uri)
                known = self._verified.get(uri)
            if known is not None and unchanged(known[1], known[2], known[3]):
                store.index.touch(known[0], next_use)
                path: str | None = known[1]
            else:
                path = self._lookup(store, uri, next_use, repair=False)
            if path is not None and not self._stale(store, uri):
                self._count(hits=1)
                return _Got(path, "hit")
            return self._fetch_locked(store, uri, next_use, keep_open)
        except StoreError:
            self._count(failed=1)
            raise

    def _remember(self, uri: str, key: str, path: str, size: int, mtime_ns: int | None) -> None:
        if self.options.verify != "checksum":
            mtime_ns = None  # trusted on size for the rest of this process
        with self._mutex:
            if len(self._verified) >= _MEMO_MAX:
                self._verified.pop(next(iter(self._verified)))
            self._verified[uri] = (key, path, size, mtime_ns)

    def _preload(self, uris: list[str]) -> int:
        """Remember the index rows of ``uris`` whose checksum was confirmed.

        Returns:
            How many of the distinct remote ``uris`` have no entry.
        """
        remote = [u for u in dict.fromkeys(uris) if not is_local(u)]
        if not remote:
            return 0
        found = self._entries().index.lookup_many(remote)
        if self.options.verify != "always":  # "always" hashes every entry once per process
            for uri, row in found.items():
                if row.mtime_ns is not None:
                    path = self._layout.entry_path(row.key, uri)
                    self._remember(uri, row.key, path, row.size, row.mtime_ns)
        return len(remote) - len(found)

    def _refresh_next_use(self, *, shared_from: int | None) -> None:
        def next_use_of(uri: str) -> int | None:
            with self._mutex:
                return self._future.next_use(uri) if self._future.knows(uri) else None

        if self._policy.uses_future:
            self._entries().refresh_next_use(next_use_of, shared_from=shared_from)

    def _lookup(self, store: EntryStore, uri: str, next_use: int, *,
                repair: bool) -> str | None:
        """Return the path of a valid entry for ``uri``; drop a torn one when ``repair``."""
        found = store.find(uri)
        if found is None:
            return None
        if found.state == "ok":
            self._remember(uri, found.row.key, found.path, found.row.size, found.mtime_ns)
            store.index.touch(found.row.key, next_use)
            return found.path
        if repair:
            if found.state == "corrupt":
                logger.warning("cache entry for %s at %s is torn or corrupt; fetching it again",
                               uri, found.path)
                self._count(corrupt=1)
            store.drop(found)  # a missing file: evicted meanwhile, or a crash
        return None

    def _stale(self, store: EntryStore, uri: str) -> bool:
        """Ask the server whether the entry of ``uri`` changed, when a check is due.

        A changed (or deleted) object's entry is dropped and True returned: the caller
        fetches it again. A check that fails otherwise serves the cached copy.
        """
        if not self._freshness.due(uri):
            return False
        row = store.index.lookup(uri)
        if row is None:  # evicted meanwhile: the path in hand is still readable, or not
            return False
        try:
            reason = self._freshness.check(uri, row)
        except StoreError as exc:
            logger.warning("cannot check %s against the server (%s); serving the cached copy",
                           uri, exc)
            return False
        self._count(revalidated=1)
        if reason is None:
            return False
        logger.info("cache entry for %s is stale (%s); fetching it again", uri, reason)
        self._count(stale=1)
        self._drop(store, uri, only_key=row.key)
        return True

    def _drop(self, store: EntryStore, uri: str, only_key: str | None = None) -> None:
        """Drop the entry of ``uri`` under its download lock.

        With ``only_key``, only if it is still that version (not a newer download by
        another process).
        """
        with FileLock(self._layout.lock_path(uri), self.options.lock_timeout_s):
            found = store.find(uri)
            if found is not None and only_key in (None, found.row.key):
                store.drop(found)
        with self._mutex:
            self._verified.pop(uri, None)

    def _fetch_locked(self, store: EntryStore, uri: str, next_use: int,
                      keep_open: bool = False) -> _Got:
        with FileLock(self._layout.lock_path(uri), self.options.lock_timeout_s):
            path = self._lookup(store, uri, next_use, repair=True)
            if path is not None:  # another thread or process fetched it meanwhile
                self._count(hits=1)
                return _Got(path, "hit")
            checked = time.monotonic()
            new = store.download(uri, next_use=next_use, max_bytes=self.max_bytes,
                                 retry=self.options.retry, want_etag=self._freshness.enabled,
                                 keep_open=keep_open)
        if self._freshness.enabled:  # what was just fetched is as fresh as a check
            self._freshness.mark(uri, checked)
        self._remember(uri, new.key, new.path, new.size, new.mtime_ns)
        self._count(misses=1, bytes_fetched=new.size, evictions=new.evicted)
        return _Got(new.path, "miss", new.handle)

