"""Locks that a forked DataLoader worker gets back unlocked.

A ``threading.Lock`` held by some thread of the parent at the moment of a fork stays held
in the child, where that thread does not exist: the child's first ``with lock`` waits
forever. Module-level locks guarding process-wide caches are exactly the ones a worker
uses first, so they are :class:`ForkSafeLock` instead.
"""

from __future__ import annotations

import os
import threading
import weakref

__all__ = ["ForkSafeLock"]


class ForkSafeLock:
    """A non-reentrant lock, renewed (unlocked) in every forked child; use it with ``with``."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        _LIVE.add(self)

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()

    def locked(self) -> bool:
        """Return True while some thread holds the lock."""
        return self._lock.locked()

    def _renew(self) -> None:
        self._lock = threading.Lock()


_LIVE: weakref.WeakSet[ForkSafeLock] = weakref.WeakSet()


def _renew_all() -> None:
    for lock in list(_LIVE):
        lock._renew()


os.register_at_fork(after_in_child=_renew_all)
