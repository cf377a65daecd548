"""How the evaluator reads ``FrameTables``: the protocol, schemas, per-call caches.

The query layer depends on nothing but three ``pyarrow.Table`` attributes, so it does
not import ``hyperloader.model``; any object with ``frames``, ``rois`` and ``sources``
tables works.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.query._derived import (
    CodedView,
    NumericView,
    column_view,
    flat_values,
    int_column,
    present,
)

__all__ = ["TABLES", "Context", "TablesLike", "schemas_of", "to_bool"]

TABLES = ("frames", "rois", "sources")


class TablesLike(Protocol):
    """Anything with the three ``FrameTables`` tables (see docs/design.md)."""

    @property
    def frames(self) -> pa.Table:
        """One row per frame."""

    @property
    def rois(self) -> pa.Table:
        """One row per ROI, with an int ``frame_index`` column."""

    @property
    def sources(self) -> pa.Table:
        """One row per source, with an int ``frame_index`` column."""


def schemas_of(obj: Any, home: str) -> dict[str, pa.Schema | None]:
    """Return the schema of each table in ``obj``.

    Args:
        obj: a :class:`TablesLike`, a mapping ``{"frames": ..., "rois": ..., "sources": ...}``
            of tables or schemas (missing keys allowed), or one ``pyarrow.Schema``, taken
            as the schema of the ``home`` table.
        home: the table a bare schema describes.

    Raises:
        TypeError: ``obj`` is none of those.
    """
    if isinstance(obj, pa.Schema):
        return {table: obj if table == home else None for table in TABLES}
    if isinstance(obj, Mapping):
        items = {table: obj.get(table) for table in TABLES}
    else:
        items = {table: getattr(obj, table, None) for table in TABLES}
    out: dict[str, pa.Schema | None] = {}
    for table, value in items.items():
        if isinstance(value, pa.Table):
            value = value.schema
        if value is not None and not isinstance(value, pa.Schema):
            raise TypeError(f"{table}: expected a pyarrow Table or Schema, got "
                            f"{type(value).__name__}")
        out[table] = value
    return out


def to_bool(result: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    """Convert a boolean Arrow result to a numpy bool array, nulls as False."""
    if isinstance(result, np.ndarray):
        return result.astype(bool, copy=False)
    filled = pc.fill_null(result, False) if result.null_count else result
    if isinstance(filled, pa.ChunkedArray) and filled.num_chunks == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


class Context:
    """One evaluation over one ``TablesLike``.

    What several leaves or several evaluations share (numpy views, flattened lists,
    dictionary codes) is cached per table by :mod:`hyperloader.query._derived`.
    """

    def __init__(self, tables: TablesLike) -> None:
        self.tables = tables

    def table(self, table: str) -> pa.Table:
        """Return one of the three tables."""
        return getattr(self.tables, table)

    def num_rows(self, table: str) -> int:
        """Return the number of rows in ``table``."""
        return self.table(table).num_rows

    def column(self, table: str, column: str) -> pa.ChunkedArray:
        """Return a column of ``table``."""
        return self.table(table).column(column)

    def view(self, table: str, column: str) -> NumericView | CodedView | None:
        """Return the column as numpy values or dictionary codes; None: use Arrow."""
        return column_view(self.table(table), column)

    def flat(self, table: str, column: str) -> tuple[pa.ChunkedArray, np.ndarray]:
        """Return a list column's elements and, for each element, the index of its row."""
        return flat_values(self.table(table), column)

    def present(self, table: str, column: str) -> np.ndarray:
        """Return bool per row: the column has a value (a non-empty list)."""
        return present(self.table(table), column)

    def any_per_frame(self, table: str, mask: np.ndarray) -> np.ndarray:
        """Return, for each frame, whether any of its rows in ``table`` is set in ``mask``."""
        out = np.zeros(self.num_rows("frames"), dtype=bool)
        frame_index = int_column(self.table(table), "frame_index")
        out[frame_index[np.flatnonzero(mask)]] = True
        return out
