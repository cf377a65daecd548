"""The query tree: small immutable nodes that compile to text and evaluate to masks.

A luqum parse tree is converted into these nodes once, at compile time. They carry no
luqum objects, so a compiled predicate pickles cheaply, and their canonical rendering is
the predicate's fingerprint: two queries that differ only in spacing, redundant
parentheses, implicit ``AND`` or the default field get the same text.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

__all__ = [
    "And", "AnyRow", "Exists", "Field", "MatchAll", "Node", "Not", "Or", "Range", "Term",
    "render", "walk_fields",
]

#: How a field of another table is written from the ``frames`` table.
TABLE_PREFIX = {"rois": "rois", "sources": "sources"}

_BARE_VALUE = re.compile(r"-?[\w.][\w.\-]*")
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/\s<>=])')


@dataclass(frozen=True)
class Field:
    """A column of one of the three tables, e.g. ``Field("rois", "meta.occluded")``."""

    table: str
    column: str
    pos: int | None = dataclasses.field(default=None, compare=False)

    @property
    def is_meta(self) -> bool:
        """Whether this is a dynamic ``meta.<key>`` column."""
        return self.column.startswith("meta.")

    def name(self, home: str) -> str:
        """Return the field as written in a query whose rows are ``home``."""
        if self.table == home:
            return self.column
        return f"{TABLE_PREFIX[self.table]}.{self.column}"


@dataclass(frozen=True)
class MatchAll:
    """``*:*``: every row."""


@dataclass(frozen=True)
class And:
    """All children match."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child matches."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The child does not match (absent values included)."""

    item: Node


@dataclass(frozen=True)
class AnyRow:
    """A frame matches when any of its rows in ``table`` matches ``item``."""

    table: str
    item: Node


@dataclass(frozen=True)
class Exists:
    """The field has a value (a non-empty list for list columns).

    ``lenient`` (written ``_exists_:field``) is simply False for an unknown
    ``meta.<key>``; the strict form (``field:*``) reports the unknown key.
    """

    field: Field
    lenient: bool = True


@dataclass(frozen=True)
class Term:
    r"""Equality (``mode="exact"``), a wildcard pattern or a regular expression.

    For ``wildcard`` the value keeps ``\\*``, ``\\?`` and ``\\\\`` escaped; every other
    character is literal.
    """

    field: Field
    value: str
    mode: str = "exact"
    pos: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class Range:
    """``low <= value <= high`` with optional open ends (``None``) and strict bounds."""

    field: Field
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True
    pos: int | None = dataclasses.field(default=None, compare=False)


Node = MatchAll | And | Or | Not | AnyRow | Exists | Term | Range


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wildcard_text(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            out.append("\\" + value[i + 1])
            i += 2
            continue
        out.append(char if char in "*?" else _LUCENE_SPECIAL.sub(r"\\\1", char))
        i += 1
    return "".join(out)


def _bound(value: str | None) -> str:
    if value is None:
        return "*"
    return value if _BARE_VALUE.fullmatch(value) else _quote(value)


def _leaf(node: Node, home: str) -> str:
    if isinstance(node, Exists):
        name = node.field.name(home)
        return f"_exists_:{name}" if node.lenient else f"{name}:*"
    if isinstance(node, Range):
        low = "[" if node.include_low or node.low is None else "{"
        high = "]" if node.include_high or node.high is None else "}"
        return f"{node.field.name(home)}:{low}{_bound(node.low)} TO {_bound(node.high)}{high}"
    if isinstance(node, Term):
        if node.mode == "wildcard":
            value = _wildcard_text(node.value)
        elif node.mode == "regex":
            value = "/" + node.value.replace("/", "\\/") + "/"
        else:
            value = _quote(node.value)
        return f"{node.field.name(home)}:{value}"
    return "*:*"


def render(node: Node, home: str, nested: bool = False) -> str:
    """Render ``node`` as canonical Lucene text for a query whose rows are ``home``.

    Args:
        node: the tree to render.
        home: the table whose rows the query selects (``frames``, ``rois``, ``sources``).
        nested: whether the result is an operand (then ``AND``/``OR`` get parentheses).
    """
    if isinstance(node, (And, Or)):
        joiner = " AND " if isinstance(node, And) else " OR "
        text = joiner.join(render(item, home, nested=True) for item in node.items)
        return f"({text})" if nested else text
    if isinstance(node, Not):
        return "NOT " + render(node.item, home, nested=True)
    if isinstance(node, AnyRow):
        if isinstance(node.item, (Exists, Term, Range)):
            return _leaf(node.item, home)
        return f"{TABLE_PREFIX[node.table]}:({render(node.item, node.table)})"
    return _leaf(node, home)


def walk_fields(node: Node):
    """Yield every :class:`Field` used in ``node``, depth first."""
    if isinstance(node, (And, Or)):
        for item in node.items:
            yield from walk_fields(item)
    elif isinstance(node, (Not, AnyRow)):
        yield from walk_fields(node.item)
    elif isinstance(node, (Exists, Term, Range)):
        yield node.field
