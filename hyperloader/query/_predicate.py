"""Compiled predicates and the three ``compile_*`` entry points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from hyperloader.query._ast import AnyRow, Node, render, walk_fields
from hyperloader.query._convert import to_tree
from hyperloader.query._eval import bind
from hyperloader.query._parse import parse_lucene
from hyperloader.query._roi import roi_tree
from hyperloader.query._tables import Context, TablesLike, schemas_of

__all__ = ["FramePredicate", "RoiPredicate", "compile_frame_query", "compile_roi_query",
           "compile_source_query"]

_HOME = {"roi": "rois", "frame": "frames", "source": "sources"}


@dataclass(frozen=True, eq=False)
class _Predicate:
    text: str
    tree: Node
    kind: str

    @property
    def _home(self) -> str:
        return _HOME[self.kind]

    @cached_property
    def fingerprint(self) -> str:
        """Canonical query text, stable across processes.

        Equal for queries that differ only in spacing, redundant parentheses, implicit
        ``AND``, quoting of plain words, the default field or ``>=`` vs ``[x TO *]``.
        """
        return render(self.tree, self._home)

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The fields the query reads, sorted; ``rois.``/``sources.`` in frame queries."""
        return tuple(sorted({f.name(self._home) for f in walk_fields(self.tree)}))

    def validate(self, schema_or_tables: Any) -> None:
        """Check the query's fields and values against the tables' schemas; read no data.

        Args:
            schema_or_tables: a ``TablesLike``, a mapping of table name to table or
                schema, or one ``pyarrow.Schema`` of the table this query selects rows of.

        Raises:
            QuerySyntaxError: an unknown ``meta.<key>``, a missing column, or a value
                that does not fit its column's type.
        """
        bind(self.tree, self._home, schemas_of(schema_or_tables, self._home), self.text)

    def _mask(self, tables: TablesLike, per_frame: bool) -> np.ndarray:
        tree, home = self.tree, self._home
        if per_frame and home != "frames":
            tree, home = AnyRow(home, tree), "frames"
        schemas = schemas_of(tables, self._home)
        return bind(tree, home, schemas, self.text, names=self._home)(Context(tables))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Predicate):
            return NotImplemented
        return (self.kind, self.fingerprint) == (other.kind, other.fingerprint)

    def __hash__(self) -> int:
        return hash((self.kind, self.fingerprint))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind}: {self.fingerprint!r})"


class RoiPredicate(_Predicate):
    """A compiled ROI query; select ROIs with :meth:`evaluate`."""

    def evaluate(self, tables: TablesLike) -> np.ndarray:
        """One bool per row of ``tables.rois``: whether that ROI matches.

        Raises:
            QuerySyntaxError: see :meth:`validate`.
        """
        return self._mask(tables, per_frame=False)

    def evaluate_frames(self, tables: TablesLike) -> np.ndarray:
        """One bool per row of ``tables.frames``: whether any of its ROIs matches.

        Raises:
            QuerySyntaxError: see :meth:`validate`.
        """
        return self._mask(tables, per_frame=True)


class FramePredicate(_Predicate):
    """A compiled frame or source query; select frames with :meth:`evaluate`."""

    def evaluate(self, tables: TablesLike) -> np.ndarray:
        """One bool per row of ``tables.frames``: whether that frame matches.

        For a source query, a frame matches when any one of its sources matches the
        whole query.

        Raises:
            QuerySyntaxError: see :meth:`validate`.
        """
        return self._mask(tables, per_frame=True)


def _check_text(query: Any, what: str) -> str:
    if not isinstance(query, str):
        raise TypeError(f"a {what} query is a string, got {type(query).__name__}")
    return query


def compile_roi_query(query: str | Sequence[str]) -> RoiPredicate:
    """Compile an ROI query, evaluated per ROI.

    Args:
        query: a plain label (``"cat"``, ``"tennis racket"``): ROIs whose ``label`` list
            contains it; a list of labels: ROIs carrying all of them; or Lucene text over
            ``label`` (the default field), ``confidence`` and ``meta.<key>``, default
            operator ``AND``.

    Raises:
        QuerySyntaxError: malformed text or an unknown field.
        TypeError: ``query`` is neither a string nor a list of strings.
    """
    text, tree = roi_tree(query)
    return RoiPredicate(text, tree, "roi")


def compile_frame_query(query: str) -> FramePredicate:
    """Compile a frame query (Lucene, default operator ``AND``, no default field).

    Fields: ``id``, ``context_id``, ``timestamp``, ``meta.<key>``; ``rois.label``,
    ``rois.confidence``, ``rois.meta.<key>``; ``sources.<field>``, ``sources.meta.<key>``.
    Each ``rois.*`` / ``sources.*`` term is true when *any* ROI / source of the frame
    matches that term on its own; ``rois:( ... )`` / ``sources:( ... )`` ask one ROI /
    one source to match the whole group.

    Raises:
        QuerySyntaxError: malformed text, a term without a field, or an unknown field.
        TypeError: ``query`` is not a string.
    """
    text = _check_text(query, "frame")
    return FramePredicate(text, to_tree(parse_lucene(text), text, "frames", None), "frame")


def compile_source_query(query: str) -> FramePredicate:
    """Compile a source query: a frame matches when any one source matches it all.

    Fields: ``id``, ``uri``, ``content_type``, ``width``, ``height``, ``timestamp``,
    ``mask_uris``, ``preview_uri`` and ``meta.<key>`` when the sources table has it.

    Raises:
        QuerySyntaxError: malformed text, a term without a field, or an unknown field.
        TypeError: ``query`` is not a string.
    """
    text = _check_text(query, "source")
    return FramePredicate(text, to_tree(parse_lucene(text), text, "sources", None), "source")
