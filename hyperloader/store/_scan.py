"""Stream a version's live rows from its segments in frame-id order, in bounded memory.

``merge`` (``_resolve``) builds a whole version in memory; a scan never does. It makes two
passes over the segments of the version's chain:

1. ``plan_chain`` reads only the ``id`` and ``_tombstone`` columns and applies the rule
   ``merge`` applies (the last write of an id wins, a tombstone drops it) to find, for
   each live frame in id order, the segment and row that hold it: a few dozen bytes per
   row, never the frame JSON.
2. ``scan`` reads the wanted columns batch by batch. Segments are written sorted by id, so
   the live rows of one segment come in id order and each segment is read once, front to
   back: the output is a k-way merge of the segments, interleaved as the plan says.
   Memory holds one output batch and, per open segment, one read batch and one decoded
   page. A segment written before segments were sorted is held from its first needed row
   to its last.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.store._arrow import sorted_order
from hyperloader.store._layout import Store
from hyperloader.store._resolve import Link
from hyperloader.store._segments import TOMBSTONE, SegmentReader

__all__ = ["BATCH_ROWS", "LazyRows", "ScanPlan", "plan_chain", "scan"]

log = logging.getLogger(__name__)

#: Rows per table a scan yields.
BATCH_ROWS = 1024
# Rows per batch read from a segment: a scan holds about one of these per open segment.
_READ_ROWS = 256

T = TypeVar("T")


@dataclass(frozen=True)
class ScanPlan:
    """Where each live frame of a version is, in frame-id order.

    ``segment[i]`` indexes ``segments`` and ``row[i]`` is the row inside that segment of
    the i-th frame; ``in_order[s]`` says whether segment ``s``'s live rows ascend.
    """

    segments: tuple[str, ...]
    segment: np.ndarray
    row: np.ndarray
    in_order: np.ndarray

    def __len__(self) -> int:
        return len(self.row)


def _rows_ascend(segment: np.ndarray, row: np.ndarray, n_segments: int) -> np.ndarray:
    by = np.argsort(segment, kind="stable")
    seg, rows = segment[by], row[by]
    back = (seg[1:] == seg[:-1]) & (rows[1:] <= rows[:-1])
    ascend = np.ones(n_segments, np.bool_)
    ascend[seg[1:][back]] = False
    return ascend


def plan_chain(store: Store, dataset_id: str, chain: Sequence[Link]) -> ScanPlan:
    """Resolve the chain (root ancestor first) to the location of each live frame.

    Raises:
        StoreError: when a segment cannot be read.
    """
    segments = tuple(s for link in chain for _, s in link.segments)
    parts = []
    for segment_id in segments:
        with SegmentReader(store, dataset_id, segment_id) as reader:
            parts.append(reader.read(["id", TOMBSTONE]))
    if not parts:
        empty = np.zeros(0, np.int64)
        return ScanPlan((), empty.astype(np.int32), empty, np.zeros(0, np.bool_))
    sizes = np.array([p.num_rows for p in parts], np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    table = pa.concat_tables(parts)
    # A stable sort keeps the writes of one id in chain order, so the last of each run of
    # equal ids is its last write. (No hash kernels: their tables stay in the allocator.)
    order = sorted_order(table["id"])
    ids = table["id"].take(pa.array(order))
    last = np.ones(len(order), np.bool_)
    if len(order) > 1:
        same = pc.equal(ids.slice(0, len(order) - 1), ids.slice(1))
        last[:-1] = ~same.to_numpy(zero_copy_only=False)
    final = order[last]
    tomb = table[TOMBSTONE].take(pa.array(final)).fill_null(False)
    final = final[~tomb.to_numpy(zero_copy_only=False)]
    segment = (np.searchsorted(starts, final, side="right") - 1).astype(np.int32)
    row = final - starts[segment]
    return ScanPlan(segments, segment, row, _rows_ascend(segment, row, len(segments)))


class _Cursor:
    """The rows of one segment, read forward a batch at a time.

    With ``forward`` (the segment's live rows ascend) batches behind the last row taken
    are dropped; otherwise every batch read is kept until the cursor closes.
    """

    def __init__(self, reader: SegmentReader, columns: Sequence[str], forward: bool) -> None:
        self._reader = reader
        if reader.num_rows <= _READ_ROWS:  # one batch anyway: read it, free the file now
            self._batches = iter(reader.read(columns).to_batches())
            reader.close()
        else:
            self._batches = reader.iter_batches(columns, _READ_ROWS)
        self._forward = forward
        self._held: list[pa.RecordBatch] = []
        self._start = self._end = 0  # segment rows of the held batches: [start, end)

    def take(self, rows: np.ndarray) -> pa.Table:
        """Return ``rows`` (segment row numbers; ascending when ``forward``)."""
        top = int(rows.max())
        while self._end <= top:
            batch = next(self._batches)
            self._held.append(batch)
            self._end += batch.num_rows
        out = pa.Table.from_batches(self._held).take(pa.array(rows - self._start))
        while self._forward and self._held and self._start + self._held[0].num_rows <= top:
            self._start += self._held.pop(0).num_rows
        return out

    def close(self) -> None:
        """Release the segment."""
        close = getattr(self._batches, "close", None)
        if close is not None:
            close()
        self._reader.close()
        self._held.clear()


def scan(store: Store, dataset_id: str, plan: ScanPlan,
         columns: Sequence[str]) -> Iterator[pa.Table]:
    """Yield ``columns`` of the plan's frames in its order, ``BATCH_ROWS`` rows per table.

    A segment is opened when its first row is due and closed after its last.

    Raises:
        StoreError: when a segment cannot be read.
    """
    n = len(plan)
    reversed_first = np.unique(plan.segment[::-1], return_index=True)
    last_pos = dict(zip(reversed_first[0].tolist(), (n - 1 - reversed_first[1]).tolist(),
                        strict=True))
    cursors: dict[int, _Cursor] = {}
    try:
        for start in range(0, n, BATCH_ROWS):
            stop = min(n, start + BATCH_ROWS)
            seg, row = plan.segment[start:stop], plan.row[start:stop]
            by = np.argsort(seg, kind="stable")
            pieces = []
            for group in np.split(by, np.flatnonzero(np.diff(seg[by])) + 1):
                s = int(seg[group[0]])
                if s not in cursors:
                    cursors[s] = _open(store, dataset_id, plan, s, columns)
                pieces.append(cursors[s].take(row[group]))
            table = pa.concat_tables(pieces, promote_options="permissive")
            if len(pieces) > 1:
                inverse = np.empty(len(by), np.int64)
                inverse[by] = np.arange(len(by))
                table = table.take(pa.array(inverse))
            for s in [s for s in cursors if last_pos[s] < stop]:
                cursors.pop(s).close()
            yield table
    finally:
        for cursor in cursors.values():
            cursor.close()


def _open(store: Store, dataset_id: str, plan: ScanPlan, s: int,
          columns: Sequence[str]) -> _Cursor:
    forward = bool(plan.in_order[s])
    if not forward:
        log.debug("segment %s is not sorted by id: held in memory while it is scanned",
                  plan.segments[s])
    return _Cursor(SegmentReader(store, dataset_id, plan.segments[s]), columns, forward)


class LazyRows(Generic[T]):
    """An iterator over items made from the rows of a scan, started on first use.

    ``operator.length_hint`` gives the number of items left (starting the scan), so a
    progress bar can show a total without a second pass.

    Args:
        start: returns ``(number of rows, iterator of tables)``; called once, lazily.
        columns: the columns passed to ``make``, in order.
        make: builds one item from one row's values.
    """

    def __init__(self, start: Callable[[], tuple[int, Iterator[pa.Table]]],
                 columns: Sequence[str], make: Callable[..., T]) -> None:
        self._start, self._columns, self._make = start, list(columns), make
        self._tables: Iterator[pa.Table] | None = None
        self._rows: Iterator[tuple[Any, ...]] = iter(())
        self._left = 0

    def _begin(self) -> Iterator[pa.Table]:
        if self._tables is None:
            self._left, self._tables = self._start()
        return self._tables

    def __iter__(self) -> LazyRows[T]:
        return self

    def __next__(self) -> T:
        tables = self._begin()
        while True:
            row = next(self._rows, None)
            if row is not None:
                self._left -= 1
                return self._make(*row)
            columns = next(tables).to_pydict()  # StopIteration ends the iteration
            self._rows = zip(*(columns[c] for c in self._columns), strict=True)

    def __length_hint__(self) -> int:
        self._begin()
        return self._left

    def close(self) -> None:
        """Stop early and release the segments still open."""
        if self._tables is not None and hasattr(self._tables, "close"):
            self._tables.close()
        self._tables, self._rows, self._left = iter(()), iter(()), 0
