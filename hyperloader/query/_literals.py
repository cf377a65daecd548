"""Column kinds and query literals typed against them (numbers, booleans, ISO dates).

A query is compiled without a schema, so its values stay text until evaluation, when
each is parsed for the kind of column it meets. A value that cannot be read as that kind
is a type mismatch, reported as a ``QuerySyntaxError`` at the value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyarrow as pa

__all__ = ["Instant", "column_kind", "parse_bool", "parse_instant", "parse_number", "to_unit"]

_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}([T ]|$)")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def column_kind(dtype: pa.DataType) -> tuple[str | None, bool]:
    """Classify a column type as ``(kind, is_list)``.

    ``kind`` is one of ``string``, ``int``, ``float``, ``bool``, ``timestamp``, ``null``,
    or None for a type queries cannot compare. Dictionary columns count as their values;
    list columns as their elements (a term matches when any element matches).
    """
    is_list = pa.types.is_list(dtype) or pa.types.is_large_list(dtype)
    if is_list:
        dtype = dtype.value_type
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "string", is_list
    if pa.types.is_integer(dtype):
        return "int", is_list
    if pa.types.is_floating(dtype):
        return "float", is_list
    if pa.types.is_boolean(dtype):
        return "bool", is_list
    if pa.types.is_timestamp(dtype):
        return "timestamp", is_list
    if pa.types.is_null(dtype):
        return "null", is_list
    return None, is_list


def parse_number(text: str) -> int | float | None:
    """Read a decimal number; None when ``text`` is not one (NaN and infinities are not)."""
    text = text.strip()
    if _INT.fullmatch(text):
        value = int(text)
        return value if -(2**63) <= value < 2**63 else float(value)
    if _NUMBER.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else None
    return None


def parse_bool(text: str) -> bool | None:
    """Read ``true`` / ``false`` (any case); None otherwise."""
    return {"true": True, "false": False}.get(text.strip().lower())


@dataclass(frozen=True)
class Instant:
    """A point in time from an ISO-8601 literal; ``whole_day`` for a bare date."""

    micros: int
    whole_day: bool

    def next_day(self) -> int:
        """Return the first microsecond of the following day."""
        return self.micros + 86_400_000_000


def parse_instant(text: str) -> Instant | None:
    """Read an ISO-8601 date or datetime; naive values are UTC. None if not ISO."""
    text = text.strip()
    if not _ISO_START.match(text):
        return None
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    micros = (value - _EPOCH) // timedelta(microseconds=1)
    return Instant(micros, bool(_DATE_ONLY.fullmatch(text)))


def to_unit(micros: int, unit: str) -> int:
    """Convert microseconds since the epoch to a timestamp unit (floor)."""
    return micros * _PER_SECOND[unit] // 1_000_000
