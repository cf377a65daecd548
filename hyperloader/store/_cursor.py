"""Read chosen rows of one segment, reading only the row groups that hold them.

A segment is written in row groups of ``ROW_GROUP_ROWS`` rows, each of which can be read
alone. A scan of a whole version wants nearly all of them, but a sparse scan (the few
frames a diff compares) or one frame's lookup wants a few: the others are skipped, neither
fetched nor decoded, and so is the rest of a row group once its last wanted row is read
(when a few batches of it are left). Rows are counted in the stream of the row groups
read: a row's *position* is its row number less the rows of the row groups skipped before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa

from hyperloader.store._segments import SegmentReader

__all__ = ["SegmentCursor", "read_row"]

# A cursor jumps over the rest of a row group when that skips this many batches or more:
# starting to read another row group costs about as much as decoding a batch or two.
_JUMP_BATCHES = 4


def _group_of(starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.searchsorted(starts, rows, side="right") - 1


class SegmentCursor:
    """The wanted rows of one segment, read forward a batch at a time.

    Only the row groups holding a wanted row are read. With ``forward`` (rows are taken
    in ascending order) batches behind the last row taken are dropped, and rows far apart
    are taken from each batch as it is read, jumping to the next wanted row's group;
    otherwise every batch read is kept until the cursor closes.

    Args:
        reader: the segment, closed by :meth:`close`.
        columns: the columns to read.
        wanted: every row :meth:`take` will be asked for (any order).
        forward: whether rows are taken in ascending order.
        batch_rows: rows per batch read; a segment of no more rows is read at once.
    """

    def __init__(self, reader: SegmentReader, columns: Sequence[str], wanted: np.ndarray, *,
                 forward: bool, batch_rows: int) -> None:
        self._reader, self._columns = reader, columns
        self._forward, self._batch_rows = forward, batch_rows
        self._held: list[pa.RecordBatch] = []
        self._start = self._end = 0  # positions of the held batches: [start, end)
        self._shift: np.ndarray | None = None  # per row group: its position less its row
        if reader.num_rows <= batch_rows:  # one batch anyway: read it, free the file now
            self._batches: Iterator[pa.RecordBatch] = iter(reader.read(columns).to_batches())
            reader.close()
            return
        self._rows = reader.row_group_starts  # row group g holds rows [rows[g], rows[g + 1])
        used = np.zeros(len(self._rows) - 1, np.bool_)
        used[_group_of(self._rows, wanted)] = True
        self._groups = np.flatnonzero(used).tolist()  # the row groups read
        self._starts = np.concatenate([[0], np.cumsum(np.diff(self._rows)[used])])
        self._shift = np.zeros(len(used), np.int64)
        self._shift[used] = self._starts[:-1] - self._rows[:-1][used]
        if used.all():
            self._batches = reader.iter_batches(columns, batch_rows)
        else:
            self._batches = reader.iter_batches(columns, batch_rows, row_groups=self._groups)

    def take(self, rows: np.ndarray) -> pa.Table:
        """Return ``rows`` (segment row numbers, wanted; ascending when ``forward``)."""
        if self._shift is not None:
            rows = rows + self._shift[_group_of(self._rows, rows)]
        top = int(rows.max())
        if self._forward and top - self._start > 2 * (len(rows) + self._batch_rows):
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
            if self._end <= rows[lo]:
                self._jump(int(rows[lo]))
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

    def _jump(self, position: int) -> None:
        """Go on reading at the row group of ``position`` if that skips enough rows."""
        if self._shift is None:
            return
        k = int(_group_of(self._starts, np.array([position]))[0])
        if self._starts[k] - self._end < _JUMP_BATCHES * self._batch_rows:
            return
        self._close_batches()
        self._batches = self._reader.iter_batches(self._columns, self._batch_rows,
                                                  row_groups=self._groups[k:])
        self._held, self._start = [], int(self._starts[k])
        self._end = self._start

    def _close_batches(self) -> None:
        close = getattr(self._batches, "close", None)
        if close is not None:
            close()

    def close(self) -> None:
        """Release the segment."""
        self._close_batches()
        self._reader.close()
        self._held.clear()


def read_row(reader: SegmentReader, row: int, columns: Sequence[str],
             batch_rows: int) -> pa.Table:
    """Return ``columns`` of segment row ``row`` as a one-row table, and close ``reader``.

    Only the row's row group is read, up to the batch of ``batch_rows`` rows holding it.
    """
    rows = np.array([row], np.int64)
    cursor = SegmentCursor(reader, columns, rows, forward=True, batch_rows=batch_rows)
    try:
        return cursor.take(rows)
    finally:
        cursor.close()
