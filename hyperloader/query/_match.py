"""One leaf (term or range) + one column type -> a vectorised matcher over column values.

A matcher takes flat values (no lists, no dictionaries: the evaluator unwraps those) and
returns a boolean Arrow array whose nulls mean "no value"; the evaluator turns them into
``False``. Numeric, boolean and timestamp matchers also have a numpy form, which the
evaluator runs on a column's cached numpy values. Type mismatches are raised here, before
any data is read.

Wildcards (``*``, ``?``) and ``/regex/`` are case-sensitive and match the whole value.
A bare ISO date against a timestamp column denotes the whole (UTC) day, in terms and in
range bounds alike; a datetime denotes that instant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.errors import QuerySyntaxError
from hyperloader.query._ast import Range, Term
from hyperloader.query._literals import (
    column_kind,
    parse_bool,
    parse_instant,
    parse_number,
    to_unit,
)

__all__ = ["Matcher", "build_matcher"]

ArrowTest = Callable[[pa.Array | pa.ChunkedArray], pa.Array | pa.ChunkedArray]
NumpyTest = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Matcher:
    """A leaf's test over flat column values, in one or two forms.

    Attributes:
        arrow: over Arrow values; nulls in the result mean "no value".
        numpy: None, or the same test over numpy int64 / float64 / bool values (timestamps
            as int64 in the column's unit); the caller masks out null rows.
    """

    arrow: ArrowTest
    numpy: NumpyTest | None = None

_EXPECT = {"int": "a number", "float": "a number", "bool": "true or false",
           "timestamp": "an ISO-8601 date (e.g. 2024-05-01 or 2024-05-01T12:00:00Z)"}


def build_matcher(node: Term | Range, dtype: pa.DataType, name: str,
                  query: str) -> Matcher | None:
    """Build the matcher for ``node`` on a column of type ``dtype``; None: never matches.

    Args:
        node: the leaf to match.
        dtype: the column's Arrow type.
        name: the field as the user wrote it, for messages.
        query: the query text, for messages.

    Raises:
        QuerySyntaxError: the value does not fit the column type, a range on a string or
            boolean field, a wildcard on a non-string field, or an invalid regex.
    """
    kind, is_list = column_kind(dtype)
    if kind is None:
        raise QuerySyntaxError(query, f"field {name!r} has type {dtype}, which queries "
                               "cannot compare", node.field.pos)
    if kind == "null":
        return None
    base = dtype.value_type if is_list else dtype
    base = base.value_type if pa.types.is_dictionary(base) else base
    mismatch = _Mismatch(query, name, kind, dtype, node.pos)
    if isinstance(node, Range):
        return _range(node, kind, base, mismatch)
    return _term(node, kind, base, mismatch)


class _Mismatch:
    def __init__(self, query: str, name: str, kind: str, dtype: pa.DataType,
                 pos: int | None) -> None:
        self.query, self.name, self.kind, self.dtype, self.pos = query, name, kind, dtype, pos

    def __call__(self, what: str) -> QuerySyntaxError:
        reason = f"type mismatch: {self.name!r} is a {self.kind} field ({self.dtype}); {what}"
        return QuerySyntaxError(self.query, reason, self.pos)

    def value(self, value: str) -> QuerySyntaxError:
        return self(f"{value!r} is not {_EXPECT[self.kind]}")


def _like_pattern(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            char, i = pattern[i + 1], i + 1
            out.append("\\" + char if char in "%_\\" else char)
        elif char in "*?":
            out.append("%" if char == "*" else "_")
        else:
            out.append("\\" + char if char in "%_" else char)
        i += 1
    return "".join(out)


def _term(node: Term, kind: str, base: pa.DataType, mismatch: _Mismatch) -> Matcher:
    value = node.value
    if node.mode != "exact" and kind != "string":
        what = "wildcards" if node.mode == "wildcard" else "regular expressions"
        raise mismatch(f"{what} need a string field")
    if node.mode == "wildcard":
        like = _like_pattern(value)
        return Matcher(lambda values: pc.match_like(values, like))
    if node.mode == "regex":
        regex = f"^(?:{value})$"
        try:
            pc.match_substring_regex(pa.array([""]), regex)
        except pa.ArrowInvalid as exc:
            raise QuerySyntaxError(mismatch.query, f"bad regular expression: {exc}",
                                   node.pos) from None
        return Matcher(lambda values: pc.match_substring_regex(values, regex))
    if kind == "string":
        return Matcher(lambda values: pc.equal(values, value))
    if kind == "timestamp":
        instant = parse_instant(value)
        if instant is None:
            raise mismatch.value(value)
        if instant.whole_day:
            return _between(base.unit, instant.micros, True, instant.next_day(), False)
        return _between(base.unit, instant.micros, True, instant.micros, True)
    parsed = parse_bool(value) if kind == "bool" else parse_number(value)
    if parsed is None:
        raise mismatch.value(value)
    return Matcher(lambda values: pc.equal(values, parsed), lambda values: values == parsed)


def _range(node: Range, kind: str, base: pa.DataType, mismatch: _Mismatch) -> Matcher:
    if kind in ("string", "bool"):
        raise mismatch("ranges need a numeric or timestamp field")
    if kind == "timestamp":
        low = high = None
        include_low, include_high = node.include_low, node.include_high
        if node.low is not None:
            start = parse_instant(node.low)
            if start is None:
                raise mismatch.value(node.low)
            # a whole day: "[day" starts at its midnight, "{day" after its last instant
            low = start.next_day() if start.whole_day and not include_low else start.micros
            include_low = include_low or start.whole_day
        if node.high is not None:
            end = parse_instant(node.high)
            if end is None:
                raise mismatch.value(node.high)
            high = end.next_day() if end.whole_day and include_high else end.micros
            include_high = include_high and not end.whole_day
        return _between(base.unit, low, include_low, high, include_high)
    bounds = []
    for text in (node.low, node.high):
        number = None if text is None else parse_number(text)
        if text is not None and number is None:
            raise mismatch.value(text)
        bounds.append(number)
    return _compare(bounds[0], node.include_low, bounds[1], node.include_high)


def _compare(low, include_low: bool, high, include_high: bool) -> Matcher:
    def arrow(values):
        mask = None
        if low is not None:
            mask = (pc.greater_equal if include_low else pc.greater)(values, low)
        if high is not None:
            upper = (pc.less_equal if include_high else pc.less)(values, high)
            mask = upper if mask is None else pc.and_(mask, upper)
        return pc.is_valid(values) if mask is None else mask

    def numpy(values: np.ndarray) -> np.ndarray:
        mask = None
        if low is not None:
            mask = values >= low if include_low else values > low
        if high is not None:
            upper = values <= high if include_high else values < high
            mask = upper if mask is None else np.logical_and(mask, upper, out=mask)
        return np.ones(len(values), dtype=bool) if mask is None else mask

    return Matcher(arrow, numpy)


def _between(unit: str, low: int | None, include_low: bool, high: int | None,
             include_high: bool) -> Matcher:
    low = None if low is None else to_unit(low, unit)
    high = None if high is None else to_unit(high, unit)
    compare = _compare(low, include_low, high, include_high)
    return Matcher(lambda values: compare.arrow(pc.cast(values, pa.int64())), compare.numpy)
