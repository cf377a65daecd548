"""LazyRows: items made from the rows of a scan, started on first use."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import pyarrow as pa

__all__ = ["LazyRows"]

T = TypeVar("T")


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
