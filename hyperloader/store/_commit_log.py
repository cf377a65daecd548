"""Append-only commit logs whose files are created exclusively, one writer per sequence number.

A log is a directory of ``<seq:010d>.json`` files. Appending is optimistic: fold the
entries, build the next entry from them, and create file ``last + 1`` *exclusively*. When
another writer took that number first, re-read and try again, so two writers never share
a sequence number and nobody's commit is lost.

How a file is created exclusively depends on the backend (registry keyed by protocol):

- local disk: write a temporary file, then ``os.link`` it to the final name; ``link``
  fails when the name exists, and readers never see a half-written commit. Where hard
  links are not supported, ``open(O_CREAT | O_EXCL)``.
- ``memory://``: check and write under a process lock (the filesystem lives in one process).
- ``s3://``: a conditional PUT (``If-None-Match: *``, s3fs ``mode="create"``); S3 answers
  412 when the key exists. Verified against moto's server (tests/store/test_commit_log.py).
- anything else: check then write, with a warning that concurrent writers are unsafe.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from hyperloader._locks import ForkSafeLock
from hyperloader.errors import StoreError
from hyperloader.store._layout import Store

__all__ = ["CommitLog", "Entries", "exclusive_create", "register_exclusive_writer"]

log = logging.getLogger(__name__)

Entries = list[tuple[int, dict[str, Any]]]
ExclusiveWriter = Callable[[Store, str, bytes], bool]

_MEMORY_LOCK = ForkSafeLock()
_WARNED: set[str] = set()


def _local_create(store: Store, path: str, data: bytes) -> bool:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".tmp-{uuid.uuid4().hex}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here (some network filesystems): O_EXCL instead
        return _create_excl(path, data)
    finally:
        os.unlink(tmp)


def _create_excl(path: str, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def _memory_create(store: Store, path: str, data: bytes) -> bool:
    with _MEMORY_LOCK:
        if store.fs.exists(path):
            return False
        store.fs.pipe_file(path, data)
        return True


def _s3_create(store: Store, path: str, data: bytes) -> bool:
    try:
        store.fs.pipe_file(path, data, mode="create")
    except FileExistsError:
        return False
    finally:
        store.fs.invalidate_cache(posixpath.dirname(path))
    return True


def _unsafe_create(store: Store, path: str, data: bytes) -> bool:
    if store.protocol not in _WARNED:
        _WARNED.add(store.protocol)
        log.warning("no exclusive-create support for %s://; concurrent writers to one "
                    "version may overwrite each other's commits", store.protocol)
    if store.fs.exists(path):
        return False
    store.fs.pipe_file(path, data)
    return True


_WRITERS: dict[str, ExclusiveWriter] = {
    "file": _local_create, "local": _local_create, "memory": _memory_create,
    "s3": _s3_create, "s3a": _s3_create,
}


def register_exclusive_writer(protocol: str, writer: ExclusiveWriter) -> None:
    """Install ``writer(store, path, data) -> created`` for filesystems of ``protocol``."""
    _WRITERS[protocol] = writer


def exclusive_create(store: Store, path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` unless it exists; return whether this call created it.

    Raises:
        StoreError: when the backend fails for another reason than the file existing.
    """
    writer = _WRITERS.get(store.protocol, _unsafe_create)
    try:
        return writer(store, path, data)
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            return False
        raise StoreError(f"cannot write {path!r} in store {store.url!r}: {exc}",
                         uri=store.url) from exc


# Commit files never change once created, so their parsed content is cached by path.
_ENTRY_CACHE: dict[tuple[str, str], dict[str, Any]] = {}
_ENTRY_CACHE_MAX = 200_000


class CommitLog:
    """One directory of exclusively-created, immutable, numbered JSON commits."""

    def __init__(self, store: Store, directory: str) -> None:
        self.store = store
        self.directory = directory

    def _path(self, seq: int) -> str:
        return posixpath.join(self.directory, f"{seq:010d}.json")

    def seqs(self) -> list[int]:
        """Return the committed sequence numbers, ascending."""
        out = []
        for path in self.store.ls(self.directory):
            name = posixpath.basename(path)
            if name.endswith(".json") and name[:-5].isdigit():
                out.append(int(name[:-5]))
        return sorted(out)

    def entries(self) -> Entries:
        """Return every ``(seq, entry)`` pair, ascending.

        Raises:
            StoreError: when a commit file is unreadable.
        """
        out = []
        for seq in self.seqs():
            key = (self.store.protocol, self._path(seq))
            entry = _ENTRY_CACHE.get(key)
            if entry is None:
                entry = self.store.read_json(key[1])
                if len(_ENTRY_CACHE) >= _ENTRY_CACHE_MAX:
                    _ENTRY_CACHE.clear()
                _ENTRY_CACHE[key] = entry
            out.append((seq, entry))
        return out

    def append(self, make: Callable[[Entries], dict[str, Any] | None],
               max_tries: int = 200) -> int | None:
        """Append the entry ``make(entries)`` builds from the current entries.

        ``make`` is called again with fresh entries whenever another writer wins the
        sequence number; it may raise to abort, or return None when nothing is to be done.

        Returns:
            The sequence number written, or None when ``make`` returned None.

        Raises:
            StoreError: when the log stays contended for ``max_tries`` attempts.
        """
        for attempt in range(max_tries):
            entries = self.entries()
            entry = make(entries)
            if entry is None:
                return None
            seq = entries[-1][0] + 1 if entries else 0
            data = json.dumps(entry, separators=(",", ":")).encode()
            if exclusive_create(self.store, self._path(seq), data):
                _ENTRY_CACHE[(self.store.protocol, self._path(seq))] = json.loads(data)
                return seq
            log.debug("commit %s taken by another writer; retrying", self._path(seq))
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 25)))
        raise StoreError(f"commit log {self.directory!r} stayed contended after {max_tries} "
                         "attempts", uri=self.store.url)
