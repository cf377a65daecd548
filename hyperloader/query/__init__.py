"""Lucene queries over ``FrameTables``: text -> luqum tree -> vectorised predicate.

Semantics, in short (details in the ``compile_*`` docstrings):

* Default operator ``AND``; ``+x`` is ``x``; ``-x`` is ``NOT x``.
* A term on a list column (``label``, ``mask_uris``) matches when any element matches.
* Absent values never match a term or range, so ``NOT x`` matches them.
* ``*`` and ``?`` wildcards and ``/regex/`` are case-sensitive, whole-value matches, on
  string fields only. ``field:*`` is ``_exists_:field``; ``*:*`` (or ``*``) matches all.
* Numbers compare with int and float columns, ``true``/``false`` with bool columns, and
  ISO-8601 dates with timestamp columns (a bare date is the whole UTC day). Ranges on
  string or bool fields, and values that do not fit the column, are type mismatches.
  A comparison takes a signed number as written: ``meta.x:>=-5`` is ``meta.x:[-5 TO *]``.
* Field names are checked when compiling; ``meta.<key>`` names and value types when
  evaluating (or in ``validate``). ``_exists_:meta.<key>`` on an unknown key is False.
"""

from __future__ import annotations

from hyperloader.query._predicate import (
    FramePredicate,
    RoiPredicate,
    compile_frame_query,
    compile_roi_query,
    compile_source_query,
)
from hyperloader.query._tables import TablesLike

__all__ = [
    "FramePredicate",
    "RoiPredicate",
    "TablesLike",
    "compile_frame_query",
    "compile_roi_query",
    "compile_source_query",
]
