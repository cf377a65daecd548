"""Row arithmetic on Arrow tables: last writes per id, id order, cheap gathers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["last_rows", "sorted_order", "take_rows"]


def last_rows(ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Row numbers of the last occurrence of each id (any order)."""
    n = len(ids)
    rows = np.arange(n, dtype=np.int64)
    if pc.count_distinct(ids).as_py() == n:
        return rows
    grouped = pa.table({"id": ids, "row": rows}).group_by("id").aggregate([("row", "max")])
    return grouped["row_max"].to_numpy()


def sorted_order(ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Return indices that sort ``ids``; a cheap check first, as ids often come sorted."""
    n = len(ids)
    if n < 2 or pc.all(pc.less(ids.slice(0, n - 1), ids.slice(1))).as_py():
        return np.arange(n, dtype=np.int64)
    return pc.sort_indices(ids).to_numpy().astype(np.int64)


def _compact(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # Arrow gathers from one big chunk several times faster than across many; a string
    # column past 2 GiB cannot be one chunk, and stays as it is.
    if column.num_chunks <= 1:
        return column
    try:
        return pa.chunked_array([column.combine_chunks()], column.type)
    except (pa.ArrowInvalid, pa.ArrowCapacityError, OverflowError):
        return column


def take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """Return ``table.take(rows)`` with as few copies as the shape of ``rows`` allows.

    The identity costs nothing. Mostly-ascending rows (a small commit on a big base) are
    gathered as zero-copy slices of their runs and copied once; anything else is a take.
    """
    n = len(rows)
    if n == 0:
        return table.slice(0, 0)
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    if not len(breaks) and rows[0] == 0 and n == table.num_rows:
        return table
    if len(breaks) < n // 8:
        starts = np.concatenate([[0], breaks])
        lengths = np.diff(np.concatenate([starts, [n]]))
        pieces = [table.slice(int(rows[s]), int(k)) for s, k in zip(starts, lengths,
                                                                   strict=True)]
        gathered = pa.concat_tables(pieces)
        return pa.table([_compact(c) for c in gathered.columns], schema=table.schema)
    indices = pa.array(rows)
    return pa.table([_compact(c).take(indices) for c in table.columns], schema=table.schema)
