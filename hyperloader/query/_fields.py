"""Field names: which ones each query kind knows, and their columns in a schema.

Field *names* are checked at compile time, against the fixed catalogue below, so a typo
such as ``roi.label`` fails before any data is read. ``meta.<key>`` fields can only be
checked against a schema, at evaluate (or ``validate``) time.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from hyperloader.errors import QuerySyntaxError, close_matches
from hyperloader.query._ast import TABLE_PREFIX, Field

__all__ = ["FIXED_FIELDS", "column_type", "known_fields", "resolve_field"]

#: Queryable columns of each table besides the dynamic ``meta.<key>`` ones.
FIXED_FIELDS: dict[str, tuple[str, ...]] = {
    "frames": ("id", "context_id", "timestamp"),
    "rois": ("label", "confidence"),
    "sources": ("id", "uri", "content_type", "width", "height", "timestamp", "mask_uris",
                "preview_uri"),
}

#: Tables whose fields a query over ``home`` can reach with a ``prefix.`` name.
SUBTABLES: dict[str, tuple[str, ...]] = {"frames": ("rois", "sources")}

_ROW_NAMES = {"frames": "frame", "rois": "ROI", "sources": "source"}
_MAX_LISTED = 40


def known_fields(home: str) -> list[str]:
    """Every field name a query over ``home`` rows accepts, ``meta.<key>`` as a pattern."""
    names = [*FIXED_FIELDS[home], "meta.<key>"]
    for table in SUBTABLES.get(home, ()):
        prefix = TABLE_PREFIX[table]
        names += [f"{prefix}.{name}" for name in (*FIXED_FIELDS[table], "meta.<key>")]
    return names


def _is_meta(name: str) -> bool:
    return name.startswith("meta.") and len(name) > len("meta.")


def resolve_field(name: str, home: str, query: str, pos: int | None) -> Field:
    """Turn a field name as written into a :class:`Field`.

    Raises:
        QuerySyntaxError: the name is not a known field of the query kind.
    """
    if _is_meta(name) or name in FIXED_FIELDS[home]:
        return Field(home, name, pos)
    for table in SUBTABLES.get(home, ()):
        prefix = TABLE_PREFIX[table] + "."
        rest = name[len(prefix):]
        if name.startswith(prefix) and (_is_meta(rest) or rest in FIXED_FIELDS[table]):
            return Field(table, rest, pos)
    known = known_fields(home)
    hint = close_matches(name, [k for k in known if "<" not in k])
    reason = f"unknown field {name!r}"
    if hint:
        reason += f" (did you mean {', '.join(map(repr, hint))}?)"
    reason += f"; known fields: {', '.join(known)}, _exists_"
    raise QuerySyntaxError(query, reason, pos)


def column_type(field: Field, schemas: Mapping[str, pa.Schema | None], home: str, query: str,
                *, missing_ok: bool = False) -> pa.DataType | None:
    """Return the Arrow type of ``field``'s column, or None when absent and ``missing_ok``.

    Raises:
        QuerySyntaxError: the table or column is missing; for a ``meta.<key>`` the message
            lists the meta keys that exist, because a typo must never match nothing.
    """
    name = field.name(home)
    schema = schemas.get(field.table)
    if schema is None:
        raise QuerySyntaxError(query, f"field {name!r} needs the {field.table} table, "
                               "which was not given", field.pos)
    index = schema.get_field_index(field.column)
    if index >= 0:
        return schema.field(index).type
    if missing_ok:
        return None
    if not field.is_meta:
        raise QuerySyntaxError(query, f"field {name!r}: the {field.table} table has no column "
                               f"{field.column!r}", field.pos)
    key = field.column[len("meta."):]
    keys = sorted(n[len("meta."):] for n in schema.names if n.startswith("meta."))
    row = _ROW_NAMES[field.table]
    reason = f"unknown field {name!r}: no {row} has the meta key {key!r}"
    hint = close_matches(key, keys)
    if hint:
        reason += f" (did you mean {', '.join(map(repr, hint))}?)"
    listed = ", ".join(keys[:_MAX_LISTED]) + (", ..." if len(keys) > _MAX_LISTED else "")
    reason += f"; known {row} meta keys: {listed}" if keys else f"; no {row} has meta"
    raise QuerySyntaxError(query, reason, field.pos)
