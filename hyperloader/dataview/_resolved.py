"""Resolve a view's rules to versions, load their tables once, and build the entry table."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property

from hyperloader.dataview._decode import LoadedVersion
from hyperloader.dataview._enums import OutputRois
from hyperloader.dataview._plan import EntryTable, Selection, order_entries, select_entries
from hyperloader.dataview._rules import CompiledRule, Rule
from hyperloader.dataview._source import Catalog, Target, VersionRef, resolve_versions

__all__ = ["Resolved", "pin_rule", "pin_rules", "resolve_plan"]

logger = logging.getLogger(__name__)


class Resolved:
    """A view's versions (in first-use order), what its rules select, and the entries."""

    def __init__(self, versions: tuple[LoadedVersion, ...], selection: Selection) -> None:
        self.versions = versions
        self.selection = selection

    @cached_property
    def entries(self) -> EntryTable:
        """The entry table in sequential order (built on first use)."""
        started = time.perf_counter()
        entries = order_entries(self.selection, [v.tables for v in self.versions])
        logger.debug("ordered %d entries in %.3fs", len(entries), time.perf_counter() - started)
        return entries

    def version(self, version_id: str) -> LoadedVersion:
        """Return the loaded version with id ``version_id``.

        Raises:
            KeyError: when the view does not read that version.
        """
        for v in self.versions:
            if v.ref.version_id == version_id:
                return v
        raise KeyError(f"the view reads no version {version_id!r}; it reads "
                       f"{[v.ref.version_id for v in self.versions]}")


def pin_rule(rule: Rule, catalog: Catalog, known: Sequence[tuple[str, str]] = (),
             seen: Mapping[tuple[str, str], VersionRef] | None = None,
             ) -> tuple[Rule, list[VersionRef]]:
    """Return ``rule`` pinned to version ids, and the versions it reads.

    ``seen`` holds versions already resolved, by ``(dataset_id, version_id)``.

    Raises:
        DatasetNotFoundError: for an unknown dataset.
        VersionNotFoundError: for an unknown version.
    """
    if rule.pinned is not None:
        seen = seen or {}
        refs = [seen.get((d, v)) or resolve_versions(Target(dataset_id=d, version_id=v),
                                                     catalog)[0] for d, v in rule.pinned]
        return rule, refs
    refs = resolve_versions(rule.target, catalog, known)
    return replace(rule, pinned=tuple(r.key for r in refs)), refs


def pin_rules(rules: Sequence[Rule], catalog: Catalog,
              seen: Mapping[tuple[str, str], VersionRef] | None = None,
              ) -> tuple[list[Rule], list[list[VersionRef]]]:
    """Pin every rule: concrete targets first, then ``'*'`` over the datasets they name.

    Raises:
        ValueError: when the view has no rule, or no rule names a concrete dataset.
        DatasetNotFoundError: for an unknown dataset.
        VersionNotFoundError: for an unknown version.
    """
    if not rules:
        raise ValueError("the view has no rules; call add_query() or add_multi_query() first")
    if not any(r.target.is_concrete or r.pinned is not None for r in rules):
        raise ValueError("at least one rule must name a concrete dataset; '*' means every "
                         "dataset the view's other rules name")
    out: list[tuple[Rule, list[VersionRef]] | None] = [None] * len(rules)
    for i, rule in enumerate(rules):
        if rule.target.is_concrete or rule.pinned is not None:
            out[i] = pin_rule(rule, catalog, seen=seen)
    known = [(ref.dataset_id, ref.dataset_name) for item in out if item for ref in item[1]]
    for i, rule in enumerate(rules):
        if out[i] is None:
            out[i] = pin_rule(rule, catalog, known)
    return [item[0] for item in out if item], [item[1] for item in out if item]


def resolve_plan(rule_refs: Sequence[Sequence[VersionRef]],
                 compiled: Sequence[CompiledRule], mode: OutputRois) -> Resolved:
    """Load each version's tables once and evaluate the rules (ordering waits)."""
    started = time.perf_counter()
    index: dict[tuple[str, str], int] = {}
    per_version: list[list[tuple[int, CompiledRule]]] = []
    refs: list[VersionRef] = []
    for r, versions in enumerate(rule_refs):
        for ref in versions:
            if ref.key not in index:
                index[ref.key] = len(refs)
                refs.append(ref)
                per_version.append([])
            per_version[index[ref.key]].append((r, compiled[r]))
    loaded = tuple(LoadedVersion(ref, ref.tables_loader()) for ref in refs)
    selection = select_entries([(v.tables, rules)
                                for v, rules in zip(loaded, per_version, strict=True)],
                               len(compiled), mode)
    logger.debug("selected %d entries over %d versions in %.3fs", selection.count,
                 len(refs), time.perf_counter() - started)
    return Resolved(loaded, selection)
