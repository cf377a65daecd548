"""Arrays derived from an Arrow table once and kept while the table lives.

A version's tables are resolved once and queried many times, so what each evaluation
would otherwise recompute is cached per ``pyarrow.Table`` object: numpy views of scalar
columns, a list column's flattened values with the row of each value, and string columns
dictionary-encoded, so that a term compares against a few distinct strings and then
small integer codes. Tables are immutable, so an entry never goes stale; it is dropped
when its table is garbage-collected. Results never depend on whether a path was cached.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CodedView", "NumericView", "column_view", "flat_values", "int_column",
           "present", "table_cache"]

#: False: :func:`column_view` gives None, so every leaf runs on Arrow (tests compare).
FAST_PATHS = True
#: A string column is coded when it has at most this many distinct values, or ...
_MAX_SMALL_DICTIONARY = 256
#: ... when at most this share of its values are distinct (labels, cameras; not ids).
_MAX_DISTINCT_SHARE = 0.25
_SAMPLE = 8192
#: Above this many distinct hits a term gathers a lookup table instead of comparing codes.
_MAX_COMPARES = 4

_CACHES: dict[int, tuple[weakref.ref, dict[Hashable, Any]]] = {}


def table_cache(table: pa.Table) -> dict[Hashable, Any]:
    """Return the derived-array cache of ``table`` (a fresh dict when it cannot be kept)."""
    key = id(table)
    entry = _CACHES.get(key)
    if entry is not None and entry[0]() is table:
        return entry[1]
    cache: dict[Hashable, Any] = {}
    try:
        ref = weakref.ref(table, functools.partial(_forget, key))
    except TypeError:
        return cache
    _CACHES[key] = (ref, cache)
    return cache


def _forget(key: int, ref: weakref.ref) -> None:
    # runs before the table's memory is freed, so its id cannot have been reused yet
    entry = _CACHES.get(key)
    if entry is not None and entry[0] is ref:
        _CACHES.pop(key, None)


def _cached(table: pa.Table, key: Hashable, build: Callable[[], Any]) -> Any:
    cache = table_cache(table)
    if key not in cache:
        cache[key] = build()
    return cache[key]


def _frozen(*arrays: np.ndarray | None) -> None:
    # cached arrays are shared by every evaluation: writing to one is a bug, so it raises
    for array in arrays:
        if array is not None and array.flags.writeable:
            array.setflags(write=False)


def _is_list(dtype: pa.DataType) -> bool:
    return pa.types.is_list(dtype) or pa.types.is_large_list(dtype)


def _numpy(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(array, pa.ChunkedArray):
        return np.asarray(array.to_numpy())
    return np.asarray(array.to_numpy(zero_copy_only=False))


def int_column(table: pa.Table, column: str) -> np.ndarray:
    """Return an integer column without nulls (``frame_index``) as numpy."""
    def build() -> np.ndarray:
        out = _numpy(table.column(column))
        _frozen(out)
        return out
    return _cached(table, ("int", column), build)


def flat_values(table: pa.Table, column: str) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Return a list column's elements and, for each element, the index of its row."""
    return _cached(table, ("flat", column), lambda: _flatten(table.column(column)))


def _flatten(col: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    parents = _numpy(pc.list_parent_indices(col))
    _frozen(parents)
    return pc.list_flatten(col), parents


def present(table: pa.Table, column: str) -> np.ndarray:
    """Return bool per row: the value is not null (for a list: not null nor empty)."""
    def build() -> np.ndarray:
        col = table.column(column)
        valid = (pc.greater(pc.list_value_length(col), 0) if _is_list(col.type)
                 else pc.is_valid(col))
        out = _numpy(pc.fill_null(valid, False)).astype(bool, copy=False)
        _frozen(out)
        return out
    return _cached(table, ("present", column), build)


@dataclass(frozen=True)
class NumericView:
    """An int64, float64, bool or timestamp (as int64) column as numpy.

    Attributes:
        values: one value per row; a null row holds 0 (False).
        valid: bool per row, or None when no row is null.
    """

    values: np.ndarray
    valid: np.ndarray | None

    def __post_init__(self) -> None:
        _frozen(self.values, self.valid)

    def where(self, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Return bool per row: not null and ``test`` holds."""
        mask = np.asarray(test(self.values), dtype=bool)
        if self.valid is not None:
            mask &= self.valid
        return mask


@dataclass(frozen=True)
class CodedView:
    """A string (or dictionary) column, or a list of them, as dictionary codes.

    Attributes:
        dictionary: the distinct values a matcher tests.
        codes: per row, the position in ``dictionary`` of its value (a list's first
            value); ``len(dictionary)`` where there is none.
        more_codes: for a list column, the codes of the values after each list's first.
        more_rows: the row of each of ``more_codes``.
    """

    dictionary: pa.Array
    codes: np.ndarray
    more_codes: np.ndarray | None = None
    more_rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        _frozen(self.codes, self.more_codes, self.more_rows)

    def rows_where(self, hits: np.ndarray) -> np.ndarray:
        """Return bool per row: one of its values is a dictionary entry set in ``hits``."""
        test = _code_test(hits, self.codes.dtype)
        if test is None:
            return np.zeros(len(self.codes), dtype=bool)
        out = test(self.codes)
        more_codes, more_rows = self.more_codes, self.more_rows  # both set, or both None
        if more_codes is not None and more_rows is not None and len(more_codes):
            out[more_rows[np.flatnonzero(test(more_codes))]] = True
        return out


def _code_test(hits: np.ndarray,
               dtype: np.dtype) -> Callable[[np.ndarray], np.ndarray] | None:
    chosen = [dtype.type(code) for code in np.flatnonzero(hits)]
    if not chosen:
        return None
    if len(chosen) <= _MAX_COMPARES:  # a few compares of small ints beat a gather
        def test(codes: np.ndarray) -> np.ndarray:
            out = codes == chosen[0]
            for code in chosen[1:]:
                out |= codes == code
            return out
        return test
    lookup = np.zeros(len(hits) + 1, dtype=bool)
    lookup[:-1] = hits
    return lambda codes: lookup[codes]


def column_view(table: pa.Table, column: str) -> NumericView | CodedView | None:
    """Return the fast form of a column, or None where the Arrow path is as good."""
    if not FAST_PATHS:
        return None
    return _cached(table, ("view", column), lambda: _build_view(table, column))


def _build_view(table: pa.Table, column: str) -> NumericView | CodedView | None:
    col = table.column(column)
    if not _is_list(col.type):
        if (view := _numeric(col)) is not None:
            return view
        coded = _codes(col)
        return None if coded is None else CodedView(*coded)
    values, parents = _flatten(col)
    coded = _codes(values)
    if coded is None:
        return None
    dictionary, codes = coded
    first = np.ones(len(codes), dtype=bool)
    first[1:] = parents[1:] != parents[:-1]  # parents ascend: a new row starts a list
    row_codes = np.full(table.num_rows, len(dictionary), dtype=codes.dtype)
    row_codes[parents[first]] = codes[first]
    more = ~first
    return CodedView(dictionary, row_codes, codes[more], parents[more])


def _numeric(col: pa.ChunkedArray) -> NumericView | None:
    dtype = col.type
    if pa.types.is_timestamp(dtype):
        col = col.cast(pa.int64())
    elif dtype not in (pa.int64(), pa.float64(), pa.bool_()):
        return None
    valid = None
    if col.null_count:
        valid = _numpy(pc.is_valid(col)).astype(bool, copy=False)
        col = col.fill_null(pa.scalar(False if dtype == pa.bool_() else 0, col.type))
    return NumericView(_numpy(col), valid)


def _worth_coding(values: pa.ChunkedArray) -> bool:
    sample = pc.count_distinct(values.slice(0, _SAMPLE)).as_py()
    return sample <= max(_MAX_SMALL_DICTIONARY, _MAX_DISTINCT_SHARE * min(len(values), _SAMPLE))


def _codes(values: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray] | None:
    """Return ``(dictionary, code per value)`` for string or dictionary values, else None."""
    if not pa.types.is_dictionary(values.type):
        plain = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
        if not (plain and _worth_coding(values)):
            return None
        values = pc.dictionary_encode(values)
        if isinstance(values, pa.Array):
            values = pa.chunked_array([values])
        size = len(values.chunk(0).dictionary) if values.num_chunks else 0
        if size > max(_MAX_SMALL_DICTIONARY, _MAX_DISTINCT_SHARE * len(values)):
            return None
    values = values.unify_dictionaries()
    dictionary = (values.chunk(0).dictionary if values.num_chunks
                  else pa.array([], values.type.value_type))
    size = len(dictionary)
    code_type = next(t for t in (np.int8, np.int16, np.int32, np.int64)
                     if size <= np.iinfo(t).max)
    codes = np.full(len(values), size, dtype=code_type)
    start = 0
    for chunk in values.chunks:
        part = codes[start:start + len(chunk)]
        part[:] = _numpy(chunk.indices.fill_null(0) if chunk.null_count else chunk.indices)
        if chunk.null_count:
            part[~_numpy(chunk.is_valid()).astype(bool, copy=False)] = size
        start += len(chunk)
    return dictionary, codes
