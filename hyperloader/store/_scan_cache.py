"""The last few scan plans, and whole scans of small versions, kept per version and segments.

A version's segments never change once written, so what was read from them holds until
the version's chain gains a segment: metadata commits and publishing keep it, another
writer's commit does not.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

import pyarrow as pa

from hyperloader._locks import ForkSafeLock
from hyperloader.store import _scan
from hyperloader.store._layout import Store
from hyperloader.store._resolve import Link
from hyperloader.store._scan import ScanPlan

__all__ = ["cached_plan", "cached_scan", "clear_plans"]

T = TypeVar("T")

Segments = tuple[str, ...]


class _Memo(Generic[T]):
    """The values of the last few keys read, each valid for one list of segments.

    Segments never change, so what was read from a chain's segments holds until the
    chain gains a segment; an older value of a key is replaced, the least used dropped.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, ...], tuple[Segments, T]] = OrderedDict()
        self._lock = ForkSafeLock()

    def get(self, key: tuple[str, ...], segments: Segments) -> T | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or hit[0] != segments:
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: tuple[str, ...], segments: Segments, value: T) -> None:
        with self._lock:
            self._entries[key] = (segments, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_PLANS: _Memo[ScanPlan] = _Memo(8)
_SMALL: _Memo[pa.Table] = _Memo(8)  # whole scans of versions of one batch
_SMALL_BYTES = 4 << 20  # the most one kept scan may hold


def clear_plans() -> None:
    """Forget every cached plan and small scan (tests, or to free memory)."""
    _PLANS.clear()
    _SMALL.clear()


def _segments(chain: Sequence[Link]) -> Segments:
    return tuple(s for link in chain for _, s in link.segments)


def cached_plan(store: Store, dataset_id: str, chain: Sequence[Link]) -> ScanPlan:
    """Return ``plan_chain(store, dataset_id, chain)``, cached per version and segments.

    Raises:
        StoreError: when a segment cannot be read.
    """
    key, segments = (store.url, chain[-1].version_id), _segments(chain)
    plan = _PLANS.get(key, segments)
    if plan is None:
        plan = _scan.plan_chain(store, dataset_id, chain)
        _PLANS.put(key, segments, plan)
    return plan


def cached_scan(store: Store, dataset_id: str, chain: Sequence[Link],
                columns: Sequence[str]) -> tuple[int, Iterator[pa.Table]]:
    """Plan the chain (cached) and return its number of frames and ``scan`` of ``columns``.

    The scan of a version of at most ``_scan.BATCH_ROWS`` frames (and ``_SMALL_BYTES``) is read
    at once and kept, so reading a small version again costs no segment reads.

    Raises:
        StoreError: when a segment cannot be read.
    """
    plan = cached_plan(store, dataset_id, chain)
    n = len(plan)
    if not 0 < n <= _scan.BATCH_ROWS:
        return n, _scan.scan(store, dataset_id, plan, columns)
    key, segments = (store.url, chain[-1].version_id, *columns), _segments(chain)
    table = _SMALL.get(key, segments)
    if table is None:
        table = pa.concat_tables(_scan.scan(store, dataset_id, plan, columns))
        if table.nbytes <= _SMALL_BYTES:
            _SMALL.put(key, segments, table)
    return n, iter([table])
