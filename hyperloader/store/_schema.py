"""One type per meta key: the kinds of a batch's meta columns checked against a version's.

A schema is ``{"frames": {key: kind}, "rois": {key: kind}}`` with kinds ``int``, ``float``,
``string``, ``bool`` and ``timestamp``. ``int`` and ``float`` mix into ``float``.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.errors import InvalidFrameError
from hyperloader.model import FrameTables

__all__ = ["Schema", "batch_schema", "check_batch", "merge_schemas"]

Schema = dict[str, dict[str, str]]
_TABLES = ("frames", "rois")


def _kind(dtype: pa.DataType) -> str:
    if pa.types.is_boolean(dtype):
        return "bool"
    if pa.types.is_integer(dtype):
        return "int"
    if pa.types.is_floating(dtype):
        return "float"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    return "string"


def _combine(known: str | None, kind: str) -> str | None:
    """Return the merged kind, or None when the two kinds cannot share a column."""
    if known is None or known == kind:
        return kind
    if {known, kind} == {"int", "float"}:
        return "float"
    return None


def batch_schema(tables: FrameTables) -> Schema:
    """Return the meta kinds of a batch's ``frames`` and ``rois`` tables."""
    return {t: {k: _kind(v) for k, v in tables.meta_schema(t).items()} for t in _TABLES}


def merge_schemas(a: Schema, b: Schema) -> Schema:
    """Merge two compatible schemas (``int`` + ``float`` gives ``float``)."""
    out = {t: dict(a.get(t, {})) for t in _TABLES}
    for t in _TABLES:
        for key, kind in b.get(t, {}).items():
            out[t][key] = _combine(out[t].get(key), kind) or kind
    return out


def _first_frame_with(tables: FrameTables, table: str, key: str) -> tuple[str | None, Any]:
    column = getattr(tables, table)[f"meta.{key}"]
    row = pc.index(pc.is_valid(column), True).as_py()
    if row < 0:
        return None, None
    value = column[row].as_py()
    frame_row = row if table == "frames" else tables.rois["frame_index"][row].as_py()
    return tables.frames["id"][frame_row].as_py(), value


def check_batch(existing: Schema, tables: FrameTables) -> Schema:
    """Check a batch's meta kinds against the version's; return the batch schema.

    Raises:
        InvalidFrameError: naming the first frame whose meta key changes type.
    """
    batch = batch_schema(tables)
    for table in _TABLES:
        for key, kind in batch[table].items():
            known = existing.get(table, {}).get(key)
            if _combine(known, kind) is None:
                frame_id, value = _first_frame_with(tables, table, key)
                prefix = "meta" if table == "frames" else "rois.meta"
                raise InvalidFrameError(
                    f"meta key {key!r} holds {kind} but the dataset stores {known} there; "
                    "one meta key keeps one type", frame_id=frame_id,
                    field=f"{prefix}.{key}", value=value)
    return batch
