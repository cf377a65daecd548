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
   back, skipping its row groups that hold no wanted row (``_cursor``): the output is a
   k-way merge of the segments, interleaved as the plan says. Memory holds one output
   batch and, per open segment, one read batch and one decoded page. A segment written
   before segments were sorted is held from its first needed row to its last.

One frame (``read_frame``) is found by a binary search of the plan's ids and read from the
one row group that holds it.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.model import TimestampKeys
from hyperloader.store._arrow import sorted_order
from hyperloader.store._cursor import SegmentCursor, read_row
from hyperloader.store._layout import Store
from hyperloader.store._resolve import Link
from hyperloader.store._segments import TOMBSTONE, SegmentReader

__all__ = ["BATCH_ROWS", "ScanPlan", "find_id", "plan_chain", "read_frame", "scan"]

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


def scan(store: Store, dataset_id: str, plan: ScanPlan,
         columns: Sequence[str]) -> Iterator[pa.Table]:
    """Yield ``columns`` of the plan's frames in its order, ``BATCH_ROWS`` rows per table.

    A segment is opened when its first row is due and closed after its last.

    Raises:
        StoreError: when a segment cannot be read.
    """
    n = len(plan)
    # the plan's positions grouped by segment: by_segment[bounds[s]:bounds[s + 1]] are s's
    by_segment = np.argsort(plan.segment, kind="stable")
    bounds = np.searchsorted(plan.segment[by_segment], np.arange(len(plan.segments) + 1))
    cursors: dict[int, SegmentCursor] = {}
    try:
        for start in range(0, n, BATCH_ROWS):
            stop = min(n, start + BATCH_ROWS)
            seg, row = plan.segment[start:stop], plan.row[start:stop]
            by = np.argsort(seg, kind="stable")
            pieces = []
            for group in np.split(by, np.flatnonzero(np.diff(seg[by])) + 1):
                s = int(seg[group[0]])
                if s not in cursors:
                    wanted = plan.row[by_segment[bounds[s]:bounds[s + 1]]]
                    cursors[s] = _open(store, dataset_id, plan, s, columns, wanted)
                pieces.append(cursors[s].take(row[group]))
            table = pa.concat_tables(pieces, promote_options="permissive")
            if len(pieces) > 1:
                inverse = np.empty(len(by), np.int64)
                inverse[by] = np.arange(len(by))
                table = table.take(pa.array(inverse))
            for s in [s for s in cursors if by_segment[bounds[s + 1] - 1] < stop]:
                cursors.pop(s).close()
            yield table
    finally:
        for cursor in cursors.values():
            cursor.close()


def _open(store: Store, dataset_id: str, plan: ScanPlan, s: int, columns: Sequence[str],
          wanted: np.ndarray) -> SegmentCursor:
    forward = bool(plan.in_order[s])
    if not forward:
        log.debug("segment %s is not sorted by id: held in memory while it is scanned",
                  plan.segments[s])
    return SegmentCursor(SegmentReader(store, dataset_id, plan.segments[s]), columns, wanted,
                         forward=forward, batch_rows=_READ_ROWS)


def find_id(ids: pa.ChunkedArray, frame_id: str) -> int | None:
    """Return the index of ``frame_id`` in the sorted ``ids`` (a binary search), or None."""
    i = bisect.bisect_left(ids, frame_id, key=lambda s: s.as_py())
    return i if i < len(ids) and ids[i].as_py() == frame_id else None


def read_frame(store: Store, dataset_id: str, plan: ScanPlan, frame_id: str,
               columns: Sequence[str]) -> tuple[pa.Table, TimestampKeys] | None:
    """Return ``columns`` of the frame ``frame_id`` (one row) and the timestamp meta keys.

    The plan locates the frame; only the row group that holds it is read, from the one
    segment that holds it. Returns None when the plan has no such frame.

    Raises:
        StoreError: when the segment cannot be read.
    """
    i = find_id(plan.ids, frame_id)
    if i is None:
        return None
    with SegmentReader(store, dataset_id, plan.segments[plan.segment[i]]) as reader:
        stamps = reader.timestamp_keys()
        return read_row(reader, int(plan.row[i]), columns, _READ_ROWS), stamps
