"""Timestamp meta read back from the frame JSON: ISO strings become datetimes again.

The frame JSON has no datetime type, so a ``datetime`` (or ``date``) meta value is written
as its ``isoformat()``. Only the meta columns know that it was one: a key whose column kind
is ``timestamp`` holds nothing else (one meta key keeps one type), so its strings can be
parsed back, while a string that merely looks like a date, under a ``string`` key, stays a
string. Nested meta and source meta have no columns and stay as the JSON holds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from hyperloader.model._columns import FrameTables

__all__ = ["TimestampKeys"]

_DATE_LEN = len("2024-05-01")  # date.isoformat(); a datetime's always has a time part


@dataclass(frozen=True, slots=True)
class TimestampKeys:
    """The frame and ROI meta keys stored as timestamps, to restore in frames read back.

    An empty instance is falsy, so a reader can skip :meth:`restore` for datasets without
    timestamp meta.
    """

    frames: frozenset[str] = frozenset()
    rois: frozenset[str] = frozenset()

    @classmethod
    def from_kinds(cls, kinds: Mapping[str, Mapping[str, str]]) -> TimestampKeys:
        """Build from ``{"frames": {key: kind}, "rois": {key: kind}}`` (a version's schema)."""
        return cls(*(frozenset(k for k, kind in (kinds.get(t) or {}).items()
                               if kind == "timestamp") for t in ("frames", "rois")))

    @classmethod
    def from_tables(cls, tables: FrameTables) -> TimestampKeys:
        """Build from the ``meta.*`` column types of ``tables``."""
        return cls(*(frozenset(k for k, dtype in tables.meta_schema(t).items()
                               if pa.types.is_timestamp(dtype)) for t in ("frames", "rois")))

    def __bool__(self) -> bool:
        return bool(self.frames or self.rois)

    def restore(self, d: dict[str, Any]) -> dict[str, Any]:
        """Turn the ISO strings under timestamp keys of frame dict ``d`` into datetimes, in place.

        A value written from a ``date`` comes back as a ``date``, one from a naive
        ``datetime`` as a naive ``datetime`` (the columns read it as UTC, as they did when it
        was written) and one from an aware ``datetime`` as an equal aware ``datetime``.

        Returns:
            ``d``.
        """
        if self.frames:
            _restore(d.get("meta"), self.frames)
        if self.rois:
            for roi in d.get("rois") or ():
                _restore(roi.get("meta"), self.rois)
        return d


def _restore(meta: Any, keys: frozenset[str]) -> None:
    if not meta or not isinstance(meta, dict):
        return
    for key in keys:
        value = meta.get(key)
        if type(value) is str:
            meta[key] = _parse(value)


def _parse(text: str) -> Any:
    try:
        if len(text) == _DATE_LEN:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:  # not written by isoformat(): keep what the store holds
        return text
