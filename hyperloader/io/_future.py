"""The known future access order of a cache, as seen by one process (for Belady eviction)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

__all__ = ["NEVER", "FutureOrder"]

NEVER = 2**62  # the next_use of a URI that is not read again (or of any URI, with no order)


class FutureOrder:
    """Positions at which each URI will be read, and a cursor that follows the reads.

    The order is global (for example the whole epoch, or several epochs back to back);
    each process moves its own cursor as it reads. When DataLoader workers each read an
    interleaved share of one global order, their cursors stay close to the global progress,
    which is what Belady needs. A read of a URI advances the cursor past that URI's next
    position; reads of URIs outside the order leave it alone.

    With a ``period`` the order is taken to repeat (epochs): a URI whose reads in the known
    order are all behind the cursor is expected again one period after its last read,
    instead of never. Belady then keeps, of the entries already read, those the next
    epoch needs first, and an entry another worker read last epoch still has a sensible
    place before that worker announces this epoch's order.
    """

    def __init__(self, uris: Iterable[str] = ()) -> None:
        self._positions: dict[str, list[int]] = {}
        self._length = 0
        self._cursor = 0
        self._start = 0
        self._period: int | None = None
        self.extend(uris)

    def reset(self, uris: Iterable[str], positions: Iterable[int] | None = None, *,
              period: int | None = None) -> None:
        """Replace the known order with ``uris`` and move the cursor to its start.

        Args:
            uris: the reads, in order.
            positions: each read's place in an order shared with other processes (say
                ``epoch * len(plan) + plan_index``, non-decreasing); ``0, 1, 2, ...`` when None.
            period: the order repeats every ``period`` positions (the epoch stride of
                ``positions``); None: a URI read for the last time is never read again.

        Raises:
            ValueError: ``positions`` decrease, their count differs from ``uris``, or
                ``period`` is not positive.
        """
        if period is not None and int(period) <= 0:
            raise ValueError(f"period must be a positive number of positions, got {period!r}")
        self._period = None if period is None else int(period)
        self._positions = {}
        self._length = 0
        uris = list(uris)
        positions = None if positions is None else [int(p) for p in positions]
        self._start = positions[0] if positions else 0
        self._cursor = self._start
        self._length = self._start
        self.extend(uris, positions)

    def extend(self, uris: Iterable[str], positions: Iterable[int] | None = None) -> None:
        """Append ``uris`` to the known order (the next epoch, say), at ``positions``.

        Raises:
            ValueError: as ``reset``.
        """
        uris = list(uris)
        if positions is None:
            positions = range(self._length, self._length + len(uris))
        positions = list(positions)
        if len(positions) != len(uris):
            raise ValueError(f"got {len(positions)} positions for {len(uris)} URIs")
        last = self._length - 1
        for uri, pos in zip(uris, positions, strict=True):
            if pos < last:
                raise ValueError(f"future positions must not decrease: {pos} after {last} "
                                 f"(uri {uri!r})")
            self._positions.setdefault(uri, []).append(pos)
            last = pos
        self._length = max(self._length, last + 1)

    @property
    def start(self) -> int:
        """The first position of the known order (reads before it are in the past)."""
        return self._start

    def observe(self, uri: str) -> None:
        """Record that ``uri`` is being read now."""
        positions = self._positions.get(uri)
        if not positions:
            return
        i = bisect_left(positions, self._cursor)
        if i < len(positions):
            self._cursor = positions[i] + 1

    def next_use(self, uri: str) -> int:
        """Return the position of the next read of ``uri``, or ``NEVER``.

        With a ``period``, a URI past its last known read comes back one period later.
        """
        positions = self._positions.get(uri)
        if not positions:
            return NEVER
        i = bisect_left(positions, self._cursor)
        if i < len(positions):
            return positions[i]
        return NEVER if self._period is None else min(positions[-1] + self._period, NEVER)

    def knows(self, uri: str) -> bool:
        """Return True when ``uri`` is in the known order (read or still to come)."""
        return uri in self._positions

    @property
    def cursor(self) -> int:
        """How far through the known order this process has read."""
        return self._cursor

    def __len__(self) -> int:
        return self._length - self._start
