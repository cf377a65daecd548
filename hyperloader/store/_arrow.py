"""Gathering rows from Arrow tables with as few copies as the row pattern allows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["take_rows"]


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
