"""A bounded, concurrent read-ahead over work items that yields results in input order."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

__all__ = ["Prefetcher"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_ON_ERROR = ("raise", "skip")


class _Failure:
    """An exception raised in a worker thread, carried to the consumer as a value."""

    __slots__ = ("exc", "item")

    def __init__(self, item: Any, exc: BaseException) -> None:
        self.item = item
        self.exc = exc


class _Largest:
    """The largest result size finished so far, raised from any worker thread."""

    __slots__ = ("_lock", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def offer(self, size: int) -> None:
        if size > self.value:
            with self._lock:
                self.value = max(self.value, size)


def _run(fetch: Callable[[Any], Any], size_of: Callable[[Any], int], largest: _Largest,
         item: Any) -> tuple[Any, int]:
    # Module-level on purpose: worker threads must hold no reference to the Prefetcher,
    # so dropping the last consumer reference collects it (and cancels the rest).
    try:
        result = fetch(item)
        size = int(size_of(result))
    except Exception as exc:  # noqa: BLE001 - travels to the consumer, re-raised there
        return _Failure(item, exc), 0
    largest.offer(size)
    return result, size


class Prefetcher(Generic[T, R]):
    """Run ``fetch`` over ``items`` on a thread pool, ahead of the consumer, in bounded memory.

    Results come out in the order of ``items``. At most ``max_items`` are submitted and not
    yet consumed; no new item is submitted while the finished results waiting for the
    consumer, plus the in-flight ones at the average size so far, reach ``max_bytes``
    (before the first result, sizes are unknown and at most ``num_threads`` are submitted).
    The byte bound is therefore exceeded by at most one result's worth of misestimate.
    An exception raised by ``fetch`` is re-raised in the consumer with its original
    traceback (or, with ``on_error="skip"``, logged, counted and skipped).

    Args:
        items: the work items; read lazily, on the consumer's thread.
        fetch: turns one item into one result; called on a worker thread.
        max_items: the most items submitted and not yet consumed.
        max_bytes: the read-ahead budget, measured by ``size_of``.
        num_threads: worker threads.
        size_of: the size of a result in bytes (``len`` by default).
        on_error: ``"raise"`` or ``"skip"``.

    ``close()`` (also on ``with`` exit and garbage collection) cancels the work not yet
    started and returns at once; fetches already running finish in the background.
    """

    def __init__(self, items: Iterable[T], fetch: Callable[[T], R], *, max_items: int = 16,
                 max_bytes: int = 256 * 2**20, num_threads: int = 8,
                 size_of: Callable[[R], int] | Callable[[Sized], int] = len,
                 on_error: str = "raise") -> None:
        if max_items < 1 or max_bytes < 1 or num_threads < 1:
            raise ValueError(f"Prefetcher needs max_items, max_bytes and num_threads >= 1, got "
                             f"{max_items}, {max_bytes}, {num_threads}")
        if on_error not in _ON_ERROR:
            raise ValueError(f"Prefetcher on_error must be one of {_ON_ERROR}, got {on_error!r}")
        self._items = iter(items)
        self._fetch, self._size_of, self._on_error = fetch, size_of, on_error
        self.max_items, self.max_bytes, self.num_threads = max_items, max_bytes, num_threads
        self._pending: deque[Future[tuple[Any, int]]] = deque()
        self._pool: ThreadPoolExecutor | None = None
        self._exhausted = self._closed = False
        self._seen_bytes = self._seen_items = 0
        self._largest = _Largest()
        self.stall_seconds = 0.0
        self._counts = {"submitted": 0, "yielded": 0, "skipped": 0, "max_in_flight": 0}

    def __iter__(self) -> Prefetcher[T, R]:
        return self

    def __next__(self) -> R:
        while not self._closed:
            self._fill()
            if not self._pending:
                self.close()
                break
            future = self._pending.popleft()
            if not future.done():
                start = time.perf_counter()
                future.result()
                self.stall_seconds += time.perf_counter() - start
            value, size = future.result()
            if isinstance(value, _Failure):
                self._fail(value)
                continue
            self._seen_bytes += size
            self._seen_items += 1
            self._counts["yielded"] += 1
            return value
        raise StopIteration

    def _fail(self, failure: _Failure) -> None:
        if self._on_error == "skip":
            self._counts["skipped"] += 1
            logger.warning("Prefetcher skipped item %r: %r", failure.item, failure.exc)
            return
        self.close()
        exc = failure.exc
        if hasattr(exc, "add_note"):
            exc.add_note(f"(raised by fetch({failure.item!r}) in a Prefetcher worker thread)")
        raise exc

    def _fill(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.num_threads,
                                            thread_name_prefix="hyperloader-prefetch")
        while not self._exhausted and len(self._pending) < self.max_items:
            if self._pending and self._expected_bytes() >= self.max_bytes:
                break
            if not self._seen_items and len(self._pending) >= self.num_threads:
                break  # sizes unknown yet: do not queue more than the threads can start
            try:
                item = next(self._items)
            except StopIteration:
                self._exhausted = True
                break
            self._pending.append(self._pool.submit(_run, self._fetch, self._size_of,
                                                   self._largest, item))
            self._counts["submitted"] += 1
        self._counts["max_in_flight"] = max(self._counts["max_in_flight"], len(self._pending))

    def _expected_bytes(self) -> float:
        bound = len(self._pending) * self._largest.value
        if bound < self.max_bytes:
            # No finished result exceeds the largest finished so far, nor does the average
            # that stands in for those in flight: within budget without walking the futures.
            return bound
        average = self._seen_bytes / self._seen_items if self._seen_items else 0.0
        total = 0.0
        for future in self._pending:
            total += future.result()[1] if future.done() else average
        return total

    def stats(self) -> dict[str, float]:
        """Return counts (submitted, yielded, skipped, max_in_flight) and ``stall_seconds``."""
        return {**self._counts, "stall_seconds": self.stall_seconds}

    def close(self) -> None:
        """Cancel the work not yet started and release the threads; idempotent."""
        self._closed = True
        pending, self._pending = self._pending, deque()
        for future in pending:
            future.cancel()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Prefetcher[T, R]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_pool", None) is not None:
            self.close()
