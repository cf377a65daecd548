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
    """

    def __init__(self, uris: Iterable[str] = ()) -> None:
        self._positions: dict[str, list[int]] = {}
        self._length = 0
        self._cursor = 0
        self.extend(uris)

    def reset(self, uris: Iterable[str]) -> None:
        """Replace the known order with ``uris`` and move the cursor to its start."""
        self._positions = {}
        self._length = 0
        self._cursor = 0
        self.extend(uris)

    def extend(self, uris: Iterable[str]) -> None:
        """Append ``uris`` to the known order (the next epoch, say)."""
        for uri in uris:
            self._positions.setdefault(uri, []).append(self._length)
            self._length += 1

    def observe(self, uri: str) -> None:
        """Record that ``uri`` is being read now."""
        positions = self._positions.get(uri)
        if not positions:
            return
        i = bisect_left(positions, self._cursor)
        if i < len(positions):
            self._cursor = positions[i] + 1

    def next_use(self, uri: str) -> int:
        """Return the position of the next read of ``uri``, or ``NEVER``."""
        positions = self._positions.get(uri)
        if not positions:
            return NEVER
        i = bisect_left(positions, self._cursor)
        return positions[i] if i < len(positions) else NEVER

    @property
    def cursor(self) -> int:
        """How far through the known order this process has read."""
        return self._cursor

    def __len__(self) -> int:
        return self._length
