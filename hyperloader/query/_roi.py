"""The three forms of an ROI query: a plain label, a list of labels, or Lucene text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hyperloader.errors import QuerySyntaxError
from hyperloader.query._ast import And, Field, Node, Term, render
from hyperloader.query._convert import to_tree
from hyperloader.query._parse import parse_lucene

__all__ = ["ROI_DEFAULT_FIELD", "is_plain_label", "roi_tree"]

ROI_DEFAULT_FIELD = "label"

_SYNTAX = re.compile(r'[:"()\[\]{}*?\\~^/<>!=]|&&|\|\|')
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


def is_plain_label(text: str) -> bool:
    """Whether ``text`` is a bare label rather than Lucene.

    A plain label has no Lucene special character, no upper-case operator word and no
    word starting with ``+`` or ``-``; it may contain spaces (``"tennis racket"``).
    """
    words = text.split()
    return bool(words) and not _SYNTAX.search(text) and not any(
        word in _OPERATORS or word[0] in "+-" for word in words)


def _labels_tree(labels: Sequence[str]) -> Node:
    terms = tuple(Term(Field("rois", ROI_DEFAULT_FIELD), label) for label in labels)
    return terms[0] if len(terms) == 1 else And(terms)


def roi_tree(query: str | Sequence[str]) -> tuple[str, Node]:
    """Parse any ROI query form into ``(text, tree)`` over ``rois`` rows.

    ``text`` is ``query`` itself for a string and the equivalent Lucene for a list.

    Raises:
        QuerySyntaxError: malformed Lucene, an unknown field, or an empty label list.
        TypeError: ``query`` is neither a string nor a sequence of strings.
    """
    if isinstance(query, str):
        if is_plain_label(query):
            return query, _labels_tree([query.strip()])
        return query, to_tree(parse_lucene(query), query, "rois", ROI_DEFAULT_FIELD)
    if not isinstance(query, Sequence) or not all(isinstance(x, str) for x in query):
        raise TypeError(f"an ROI query is a string or a list of label strings, got {query!r}")
    if not query or not all(label for label in query):
        raise QuerySyntaxError(repr(list(query)), "a label list needs one or more non-empty "
                               "labels")
    tree = _labels_tree(list(dict.fromkeys(query)))
    return render(tree, "rois"), tree
