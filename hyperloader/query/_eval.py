"""Query tree -> a plan of vectorised steps over ``FrameTables``.

Binding a tree to the tables' schemas checks every field and value (so ``validate``
reads no data) and yields a function ``Context -> bool[n_rows]``. Logic is two-valued:
a leaf is False where the value is absent, so ``NOT x`` matches absent values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa

from hyperloader.query._ast import And, AnyRow, Exists, Field, MatchAll, Node, Not, Or
from hyperloader.query._derived import CodedView, NumericView
from hyperloader.query._fields import column_type
from hyperloader.query._literals import column_kind
from hyperloader.query._match import Matcher, build_matcher
from hyperloader.query._tables import Context, to_bool

__all__ = ["Plan", "bind"]

Plan = Callable[[Context], np.ndarray]


def bind(node: Node, home: str, schemas: Mapping[str, pa.Schema | None], query: str,
         names: str | None = None) -> Plan:
    """Check ``node`` against ``schemas`` and return its plan over ``home`` rows.

    Args:
        node: the query tree.
        home: the table whose rows the plan's masks cover.
        schemas: the schema of each table (None where unknown).
        query: the query text, for messages.
        names: the table field names in messages are relative to (default ``home``).

    Raises:
        QuerySyntaxError: an unknown ``meta.<key>``, a missing column or a type mismatch.
    """
    return _Binder(names or home, schemas, query).bind(node, home)


class _Binder:
    def __init__(self, top: str, schemas: Mapping[str, pa.Schema | None], query: str) -> None:
        self.top, self.schemas, self.query = top, schemas, query

    def bind(self, node: Node, home: str) -> Plan:
        if isinstance(node, MatchAll):
            return lambda ctx: np.ones(ctx.num_rows(home), dtype=bool)
        if isinstance(node, (And, Or)):
            return _fold([self.bind(item, home) for item in node.items], isinstance(node, And))
        if isinstance(node, Not):
            inner = self.bind(node.item, home)
            return lambda ctx: ~inner(ctx)
        if isinstance(node, AnyRow):
            inner, table = self.bind(node.item, node.table), node.table
            return lambda ctx: ctx.any_per_frame(table, inner(ctx))
        if isinstance(node, Exists):
            return self.exists(node.field, node.lenient)
        name = node.field.name(self.top)
        dtype = column_type(node.field, self.schemas, self.top, self.query)
        matcher = build_matcher(node, dtype, name, self.query)
        field, is_list = node.field, column_kind(dtype)[1]
        return lambda ctx: _row_mask(ctx, field, is_list, matcher)

    def exists(self, field: Field, lenient: bool) -> Plan:
        dtype = column_type(field, self.schemas, self.top, self.query, missing_ok=lenient)
        if dtype is None or column_kind(dtype)[0] == "null":
            return lambda ctx: np.zeros(ctx.num_rows(field.table), dtype=bool)
        return lambda ctx: ctx.present(field.table, field.column).copy()  # cached: read-only


def _fold(plans: list[Plan], conjunction: bool) -> Plan:
    def run(ctx: Context) -> np.ndarray:
        out = plans[0](ctx).copy()
        for plan in plans[1:]:
            if conjunction:
                out &= plan(ctx)
            else:
                out |= plan(ctx)
        return out
    return run


def _row_mask(ctx: Context, field: Field, is_list: bool, matcher: Matcher | None) -> np.ndarray:
    n = ctx.num_rows(field.table)
    if matcher is None:
        return np.zeros(n, dtype=bool)
    view = ctx.view(field.table, field.column)
    if isinstance(view, NumericView) and matcher.numpy is not None:
        return view.where(matcher.numpy)
    if isinstance(view, CodedView):
        return view.rows_where(to_bool(matcher.arrow(view.dictionary)))
    if not is_list:
        return _value_mask(ctx.column(field.table, field.column), matcher)
    values, parents = ctx.flat(field.table, field.column)
    out = np.zeros(n, dtype=bool)
    out[parents[_value_mask(values, matcher)]] = True
    return out


def _value_mask(values: pa.ChunkedArray, matcher: Matcher) -> np.ndarray:
    if not pa.types.is_dictionary(values.type):
        return to_bool(matcher.arrow(values))
    parts = [np.zeros(0, dtype=bool)]
    for chunk in values.chunks:
        hits = to_bool(matcher.arrow(chunk.dictionary))
        indices = chunk.indices.fill_null(0).to_numpy(zero_copy_only=False)
        part = hits[indices] if len(hits) else np.zeros(len(chunk), dtype=bool)
        parts.append(part & to_bool(chunk.is_valid()))
    return np.concatenate(parts)
