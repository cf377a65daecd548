"""Evaluate a compiled rule over one version's FrameTables, vectorised.

A rule selects a frame when every condition it has holds: some ROI matches the ROI query,
the frame query holds, some source matches the source query, and, for a multi query,
each RoiQuery's count of matching ROIs is in its range (zero for ``must_not``). A rule
with no condition selects every frame.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hyperloader.dataview._rules import CompiledRule, RoiQuery
from hyperloader.errors import QuerySyntaxError
from hyperloader.model import FrameTables

__all__ = ["RuleMatch", "as_mask", "match_rule", "match_versions"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleMatch:
    """What one rule selects in one version.

    Attributes:
        frames: bool per frame row.
        rois: bool per ROI row: the ROIs that made their frame match, or None when the
            rule does not single out ROIs (then every ROI of a selected frame counts).
    """

    frames: np.ndarray
    rois: np.ndarray | None

    def roi_hits(self, frame_index: np.ndarray) -> np.ndarray:
        """Return bool per ROI row: the ROI belongs to a selected frame and counts."""
        hits = self.frames[frame_index]
        return hits if self.rois is None else hits & self.rois


def as_mask(result: object, n: int, what: str) -> np.ndarray:
    """Return a predicate's result as a numpy bool array of length ``n``.

    Raises:
        ValueError: when the length is wrong.
    """
    if isinstance(result, (pa.Array, pa.ChunkedArray)):
        result = result.fill_null(False).to_numpy(zero_copy_only=False)
    mask = np.asarray(result, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"{what} predicate returned shape {mask.shape}, expected ({n},)")
    return mask


def frames_with(hits: np.ndarray, frame_index: np.ndarray, n_frames: int) -> np.ndarray:
    """Return bool per frame: at least one of its ROI rows is a hit."""
    out = np.zeros(n_frames, bool)
    out[frame_index[np.flatnonzero(hits)]] = True  # a gather, not a boolean-mask copy
    return out


def _conf_ok(conf: np.ndarray, q: RoiQuery) -> np.ndarray | bool:
    if q.conf_range is None:
        return True
    lo, hi = q.conf_range
    with np.errstate(invalid="ignore"):
        return (conf >= lo) & (conf <= hi)  # NaN (absent) compares False


def _multi(rule: CompiledRule, tables: FrameTables, fi: np.ndarray,
           n: int) -> tuple[np.ndarray, np.ndarray | None]:
    frames = np.ones(n, bool)
    rois = np.zeros(len(fi), bool) if rule.filters_rois else None
    conf = tables.rois.column("confidence").to_numpy(zero_copy_only=False).astype(np.float64)
    for pred, q in rule.multi or ():
        hits = as_mask(pred.evaluate(tables), len(fi), "roi") & _conf_ok(conf, q)
        counts = np.bincount(fi[hits], minlength=n)
        if q.must_not:
            frames &= counts == 0
            continue
        lo, hi = q.count_range or (1, np.iinfo(np.int64).max)
        frames &= (counts >= lo) & (counts <= hi)
        if rois is not None:  # always: a query without must_not makes the rule filter ROIs
            rois |= hits
    return frames, rois


def match_rule(rule: CompiledRule, tables: FrameTables) -> RuleMatch:
    """Evaluate ``rule`` over ``tables``; see the module docstring for the semantics."""
    n = tables.num_frames
    fi = tables.rois.column("frame_index").to_numpy()
    rois = None
    if rule.multi is not None:
        frames, rois = _multi(rule, tables, fi, n)
    elif rule.roi is not None:
        rois = as_mask(rule.roi.evaluate(tables), len(fi), "roi")
        frames = frames_with(rois, fi, n)
    else:
        frames = np.ones(n, bool)
    if rule.frame is not None:
        frames &= as_mask(rule.frame.evaluate(tables), n, "frame")
    if rule.source is not None:
        frames &= as_mask(rule.source.evaluate(tables), n, "source")
    return RuleMatch(frames, rois)


def match_versions(versions: Sequence[tuple[FrameTables, Sequence[tuple[int, CompiledRule]]]],
                   ) -> list[list[tuple[int, RuleMatch]]]:
    """Evaluate each rule on each version it reads.

    A query naming a meta key (or a value type) that one version lacks raises
    QuerySyntaxError on that version. When the same rule evaluates on another version,
    the failing version simply matches nothing (and a warning is logged), so rules over
    ``'*'`` versions keep working as a schema grows.

    Raises:
        QuerySyntaxError: when a rule evaluates on none of its versions.
    """
    failed: dict[int, QuerySyntaxError] = {}
    worked: set[int] = set()
    out: list[list[tuple[int, RuleMatch]]] = []
    for tables, rules in versions:
        matches = []
        for r, rule in rules:
            try:
                matches.append((r, match_rule(rule, tables)))
                worked.add(r)
            except QuerySyntaxError as exc:
                failed.setdefault(r, exc)
                logger.warning("rule %d matches nothing in one version: %s", r, exc)
                matches.append((r, RuleMatch(np.zeros(tables.num_frames, bool), None)))
        out.append(matches)
    for r, error in failed.items():
        if r not in worked:
            raise error
    return out
