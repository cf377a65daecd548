"""luqum parse tree -> query tree (:mod:`hyperloader.query._ast`), resolving field names.

In a frame query a term on ``rois.*`` or ``sources.*`` is wrapped on its own in
:class:`AnyRow` (term-wise "any ROI / any source"); ``rois:(...)`` and ``sources:(...)``
wrap a whole group, so one ROI / one source must match all of it.
"""

from __future__ import annotations

import re

from luqum import tree as lt

from hyperloader.errors import QuerySyntaxError
from hyperloader.query._ast import (
    TABLE_PREFIX,
    And,
    AnyRow,
    Exists,
    Field,
    MatchAll,
    Node,
    Not,
    Or,
    Range,
    Term,
)
from hyperloader.query._fields import SUBTABLES, resolve_field

__all__ = ["to_tree"]

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_UNSUPPORTED = {
    lt.Boost: "'^' boosts are not supported (queries filter, they do not score)",
    lt.Fuzzy: "fuzzy '~' terms are not supported",
    lt.Proximity: "proximity '~' phrases are not supported",
}


def to_tree(item: lt.Item, text: str, home: str, default_field: str | None) -> Node:
    """Convert a luqum tree into a query tree over ``home`` rows.

    Raises:
        QuerySyntaxError: an unknown field, a term without a field where there is no
            default, a nested field, or an unsupported Lucene feature.
    """
    return _Converter(text, default_field).convert(item, home, None)


def _unescape(value: str) -> str:
    return _ESCAPE.sub(r"\1", value)


def _phrase(value: str) -> str:
    return _unescape(value[1:-1])


def _wildcard_pattern(raw: str) -> str | None:
    """Normalise a word's escapes; None when it has no unescaped ``*`` or ``?``."""
    out, i, wild = [], 0, False
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append("\\" + nxt if nxt in "*?\\" else nxt)
            i += 2
            continue
        wild = wild or raw[i] in "*?"
        out.append(raw[i])
        i += 1
    return "".join(out) if wild else None


class _Converter:
    def __init__(self, text: str, default_field: str | None) -> None:
        self.text = text
        self.default_field = default_field

    def error(self, reason: str, pos: int | None) -> QuerySyntaxError:
        return QuerySyntaxError(self.text, reason, pos)

    def convert(self, node: lt.Item, home: str, field: Field | None) -> Node:
        if isinstance(node, (lt.AndOperation, lt.UnknownOperation, lt.OrOperation)):
            cls = Or if isinstance(node, lt.OrOperation) else And
            items: list[Node] = []
            for child in node.children:
                sub = self.convert(child, home, field)
                items.extend(sub.items if isinstance(sub, cls) else (sub,))
            return cls(tuple(items))
        if isinstance(node, (lt.Not, lt.Prohibit)):
            return Not(self.convert(node.a, home, field))
        if isinstance(node, lt.Plus):
            return self.convert(node.a, home, field)
        if isinstance(node, lt.BaseGroup):
            return self.convert(node.expr, home, field)
        if isinstance(node, lt.SearchField):
            return self.search_field(node, home, field)
        if isinstance(node, (lt.Term, lt.Range, lt.OpenRange)):
            return self.leaf(node, home, field)
        reason = _UNSUPPORTED.get(type(node), f"unsupported syntax {str(node)!r}")
        raise self.error(reason, node.pos)

    def search_field(self, node: lt.SearchField, home: str, outer: Field | None) -> Node:
        name, expr = node.name, node.expr
        if outer is not None:
            raise self.error(f"field {name!r} nested inside the field "
                             f"{outer.name(home)!r}", node.pos)
        if name.startswith("!"):
            raise self.error("write NOT instead of '!'", node.pos)
        if name == "_exists_":
            if not isinstance(expr, lt.Word | lt.Phrase):
                raise self.error("_exists_ takes a field name, e.g. _exists_:meta.key", expr.pos)
            value = _phrase(expr.value) if isinstance(expr, lt.Phrase) else _unescape(expr.value)
            return self.wrap(Exists(resolve_field(value, home, self.text, expr.pos)), home)
        if name == "*":
            if isinstance(expr, lt.Word) and expr.value == "*":
                return MatchAll()
            raise self.error("the field '*' only appears in '*:*'", node.pos)
        tables = {TABLE_PREFIX[t]: t for t in SUBTABLES.get(home, ())}
        if name in tables:
            if not isinstance(expr, lt.FieldGroup):
                raise self.error(f"write {name}.<field>:value, or {name}:( ... ) to match "
                                 f"one {name[:-1]} against a whole group", expr.pos)
            return AnyRow(tables[name], self.convert(expr.expr, tables[name], None))
        field = resolve_field(name, home, self.text, node.pos)
        if isinstance(expr, lt.Prohibit | lt.Plus) and isinstance(expr.a, lt.Word):
            # "meta.n:-5" is the value -5, not a negation (Lucene itself rejects it)
            sign = "-" if isinstance(expr, lt.Prohibit) else ""
            signed = lt.Word(sign + expr.a.value, pos=expr.pos, size=expr.size)
            return self.leaf(signed, home, field)
        return self.convert(expr, home, field)

    def wrap(self, leaf: Exists | Term | Range, home: str) -> Node:
        return leaf if leaf.field.table == home else AnyRow(leaf.field.table, leaf)

    def default(self, node: lt.Item, home: str) -> Field:
        if self.default_field is None:
            raise self.error(f"{str(node).strip()!r} has no field; write field:value, "
                             "e.g. rois.label:cat", node.pos)
        return resolve_field(self.default_field, home, self.text, node.pos)

    def leaf(self, node: lt.Item, home: str, field: Field | None) -> Node:
        if isinstance(node, lt.Word):
            self.check_word(node, field)
            if node.value == "*":
                return MatchAll() if field is None else self.wrap(Exists(field, False), home)
        field = field if field is not None else self.default(node, home)
        pos = node.pos
        leaf: Term | Range
        if isinstance(node, lt.Range):
            low, high = self.bound(node.low), self.bound(node.high)
            leaf = Range(field, low, high, node.include_low, node.include_high, pos)
        elif isinstance(node, lt.From):
            leaf = Range(field, self.bound(node.a), None, node.include, True, pos)
        elif isinstance(node, lt.To):
            leaf = Range(field, None, self.bound(node.a), True, node.include, pos)
        elif isinstance(node, lt.Phrase):
            leaf = Term(field, _phrase(node.value), "exact", pos)
        elif isinstance(node, lt.Regex):
            leaf = Term(field, node.value[1:-1].replace("\\/", "/"), "regex", pos)
        else:
            pattern = _wildcard_pattern(node.value)
            leaf = (Term(field, _unescape(node.value), "exact", pos) if pattern is None
                    else Term(field, pattern, "wildcard", pos))
        return self.wrap(leaf, home)

    def check_word(self, node: lt.Word, field: Field | None) -> None:
        value = node.value
        if value in ("&&", "||") or (value.startswith("!") and len(value) > 1):
            word = {"&&": "AND", "||": "OR"}.get(value, "NOT")
            raise self.error(f"write {word} instead of {value[:2] if word != 'NOT' else '!'!r}",
                             node.pos)
        if field is None and value.lower() in ("and", "or", "not") and value.isalpha():
            raise self.error(f"operators are upper case: write {value.upper()} (or quote "
                             f"\"{value}\" to search for the word)", node.pos)

    def bound(self, node: lt.Item) -> str | None:
        if isinstance(node, lt.Prohibit):
            inner = self.bound(node.a)
            return None if inner is None else "-" + inner
        if isinstance(node, lt.Phrase):
            return _phrase(node.value)
        if isinstance(node, lt.Word):
            return None if node.value == "*" else _unescape(node.value)
        raise self.error(f"unsupported range bound {str(node)!r}", node.pos)
