"""Rules: what one ``add_query`` / ``add_multi_query`` call asks for, and its compiled form."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from hyperloader.dataview._source import WILDCARD, Target

__all__ = ["CompiledRule", "RoiQuery", "Rule", "compile_rule", "make_target"]

RoiText = str | list[str]


@dataclass(frozen=True, slots=True)
class RoiQuery:
    """One ROI condition of a multi query, evaluated on its own.

    Args:
        label: A label, a list of labels one ROI carries together, or a Lucene ROI query.
        must_not: Exclude every frame with at least one such ROI.
        count_range: ``(lo, hi)``, inclusive bounds on the number of matching ROIs; the
            default asks for at least one.
        conf_range: ``(lo, hi)``, inclusive bounds on a matching ROI's confidence; a ROI
            without a confidence does not match.
    """

    label: RoiText
    must_not: bool = False
    count_range: tuple[int, int] | None = None
    conf_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.label, (list, tuple)):
            object.__setattr__(self, "label", [str(x) for x in self.label])
        elif not isinstance(self.label, str):
            raise TypeError(f"RoiQuery.label must be a str or a list of str, got {self.label!r}")
        object.__setattr__(self, "count_range", _pair(self.count_range, int, "count_range"))
        object.__setattr__(self, "conf_range", _pair(self.conf_range, float, "conf_range"))
        if self.count_range is not None and self.count_range[0] < 0:
            raise ValueError(f"count_range must be non-negative, got {self.count_range}")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        d = asdict(self)
        for key in ("count_range", "conf_range"):
            if d[key] is not None:
                d[key] = list(d[key])
        return d


def _pair(value: Any, kind: type, name: str) -> tuple | None:
    if value is None:
        return None
    try:
        lo, hi = (kind(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (lo, hi) pair of numbers, got {value!r}") from None
    if not lo <= hi:
        raise ValueError(f"{name} must have lo <= hi, got {value!r}")
    return lo, hi


@dataclass(frozen=True)
class Rule:
    """One rule of a view: a target plus the conditions a frame must meet.

    ``roi_queries`` is set for a multi query, ``roi_query`` for a plain one. ``pinned``
    holds the ``(dataset_id, version_id)`` pairs the target resolved to, once known.
    """

    target: Target
    roi_query: RoiText | None = None
    frame_query: str | None = None
    source_query: str | None = None
    weight: float = 1.0
    roi_queries: tuple[RoiQuery, ...] | None = None
    pinned: tuple[tuple[str, str], ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        w = float(self.weight)
        if not math.isfinite(w) or w < 0:
            raise ValueError(f"weight must be a finite number >= 0, got {self.weight!r}")
        object.__setattr__(self, "weight", w)
        if isinstance(self.roi_query, tuple):
            object.__setattr__(self, "roi_query", list(self.roi_query))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (pinned versions included when known)."""
        d: dict[str, Any] = {"target": asdict(self.target), "roi_query": self.roi_query,
                             "frame_query": self.frame_query,
                             "source_query": self.source_query, "weight": self.weight}
        if self.roi_queries is not None:
            d["roi_queries"] = [q.to_dict() for q in self.roi_queries]
        if self.pinned is not None:
            d["pinned"] = [list(p) for p in self.pinned]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rule:
        """Build a rule from :meth:`to_dict` output."""
        multi = d.get("roi_queries")
        return cls(Target(**d["target"]), d.get("roi_query"), d.get("frame_query"),
                   d.get("source_query"), d.get("weight", 1.0),
                   tuple(RoiQuery(**q) for q in multi) if multi is not None else None,
                   tuple(tuple(p) for p in d["pinned"]) if d.get("pinned") else None)


@dataclass(frozen=True)
class CompiledRule:
    """A rule's predicates, compiled once; see ``_match.match_rule`` for the semantics."""

    roi: Any | None
    frame: Any | None
    source: Any | None
    multi: tuple[tuple[Any, RoiQuery], ...] | None

    @property
    def filters_rois(self) -> bool:
        """Whether the rule singles out ROIs (else every ROI of a matched frame counts)."""
        if self.multi is not None:
            return any(not q.must_not for _, q in self.multi)
        return self.roi is not None


def compile_rule(rule: Rule) -> CompiledRule:
    """Compile a rule's queries.

    Raises:
        QuerySyntaxError: for malformed query text.
    """
    from hyperloader.query import compile_frame_query, compile_roi_query, compile_source_query

    multi = None
    if rule.roi_queries is not None:
        multi = tuple((compile_roi_query(q.label), q) for q in rule.roi_queries)
    return CompiledRule(
        roi=_opt(compile_roi_query, rule.roi_query),
        frame=_opt(compile_frame_query, rule.frame_query),
        source=_opt(compile_source_query, rule.source_query),
        multi=multi)


def _opt(fn: Any, query: str | Sequence[str] | None) -> Any | None:
    if query is None or (isinstance(query, str) and not query.strip()):
        return None
    return fn(query)


def make_target(dataset_name: str | None, version_name: str | None, dataset_id: str | None,
                version_id: str | None) -> Target:
    """Return a rule's target; an id wins over the matching name.

    Raises:
        ValueError: without a dataset name or id, or with a version id under ``'*'``.
    """
    if dataset_name is None and dataset_id is None:
        raise ValueError("a rule needs a dataset_name ('*' for every known one) or a "
                         "dataset_id")
    if dataset_name == WILDCARD and version_id is not None:
        raise ValueError("a version_id needs a concrete dataset, not '*'")
    return Target(None if dataset_id is not None else dataset_name,
                  None if version_id is not None else version_name, dataset_id, version_id)
