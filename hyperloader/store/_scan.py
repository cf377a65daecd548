"""Stream a version's live rows from its segments in frame-id order, in bounded memory.

``merge`` (``_resolve``) builds a whole version in memory; a scan never does. It makes two
passes over the segments of the version's chain:

1. ``plan_chain`` reads only the ``id`` and ``_tombstone`` columns and applies the rule
   ``merge`` applies (the last write of an id wins, a tombstone drops it) to find, for
   each live frame in id order, its id and the segment and row that hold it: a few dozen
   bytes per row, never the frame JSON. A plan is all a version's length, ids or diff
   need (``_scan_cache`` keeps the last few).
2. ``scan`` reads the wanted columns batch by batch. Segments are written sorted by id, so
   the live rows of one segment come in id order and each segment is read once, front to
   back: the output is a k-way merge of the segments, interleaved as the plan says.
   Memory holds one output batch and, per open segment, one read batch and one decoded
   page. A segment written before segments were sorted is held from its first needed row
   to its last.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.store._arrow import sorted_order
from hyperloader.store._layout import Store
from hyperloader.store._resolve import Link
from hyperloader.store._segments import TOMBSTONE, SegmentReader

__all__ = ["BATCH_ROWS", "ScanPlan", "plan_chain", "scan"]

log = logging.getLogger(__name__)

#: Rows per table a scan yields.
BATCH_ROWS = 1024
# Rows per batch read from a segment: a scan holds about one of these per open segment.
_READ_ROWS = 256



@dataclass(frozen=True)
class ScanPlan:
    """Where each live frame of a version is, in frame-id order.

    ``ids[i]`` is the id of the i-th frame, ``segment[i]`` indexes ``segments`` and
    ``row[i]`` is the row inside that segment that holds it; ``in_order[s]`` says whether
    segment ``s``'s live rows ascend.
    """

    segments: tuple[str, ...]
    ids: pa.ChunkedArray
    segment: np.ndarray
    row: np.ndarray
    in_order: np.ndarray

    def __len__(self) -> int:
        return len(self.row)

    def subset(self, positions: np.ndarray) -> ScanPlan:
        """Return the plan of the frames at ``positions`` (ascending), in the same order."""
        segment, row = self.segment[positions], self.row[positions]
        return ScanPlan(self.segments, self.ids.take(pa.array(positions, pa.int64())),
                        segment, row, _rows_ascend(segment, row, len(self.segments)))


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
        return ScanPlan((), pa.chunked_array([], pa.string()), empty.astype(np.int32), empty,
                        np.zeros(0, np.bool_))
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
    live = np.flatnonzero(last)  # positions in id order
    tomb = table[TOMBSTONE].take(pa.array(order[live])).fill_null(False)
    live = live[~tomb.to_numpy(zero_copy_only=False)]
    final = order[live]
    segment = (np.searchsorted(starts, final, side="right") - 1).astype(np.int32)
    row = final - starts[segment]
    return ScanPlan(segments, ids.take(pa.array(live)), segment, row,
                    _rows_ascend(segment, row, len(segments)))


class _Cursor:
    """The rows of one segment, read forward a batch at a time.

    With ``forward`` (the segment's live rows ascend) batches behind the last row taken
    are dropped, and so are batches skipped between rows far apart; otherwise every batch
    read is kept until the cursor closes.
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
        if self._forward and top - self._start > 2 * (len(rows) + _READ_ROWS):
            return self._take_sparse(rows)
        while self._end <= top:
            batch = next(self._batches)
            self._held.append(batch)
            self._end += batch.num_rows
        out = pa.Table.from_batches(self._held).take(pa.array(rows - self._start))
        while self._forward and self._held and self._start + self._held[0].num_rows <= top:
            self._start += self._held.pop(0).num_rows
        return out

    def _take_sparse(self, rows: np.ndarray) -> pa.Table:
        # Rows far apart (a diff's few changed frames): take them from each batch as it is
        # read, holding one batch, not every batch between them.
        pieces, lo = [], 0
        while lo < len(rows):
            while self._end <= rows[lo]:  # every held row is behind: hold the next batch
                batch = next(self._batches)
                self._held, self._start = [batch], self._end
                self._end += batch.num_rows
            hi = lo + int(np.searchsorted(rows[lo:], self._end))
            held = pa.Table.from_batches(self._held)
            pieces.append(held.take(pa.array(rows[lo:hi] - self._start)))
            lo = hi
        while len(self._held) > 1 and self._start + self._held[0].num_rows <= rows[-1]:
            self._start += self._held.pop(0).num_rows
        return pa.concat_tables(pieces)

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
