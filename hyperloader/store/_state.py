"""Folding commit logs into state: a dataset's catalog of versions, and one version's state.

Version commits (``versions/<id>/commits``), one ``op`` each:

- ``{"op": "write", "segment", "frames", "tombstones", "schema", "time"}``
- ``{"op": "meta", "set": {...}}`` or ``{"op": "meta", "replace": {...}}``
- ``{"op": "publish", "time"}``: the version is frozen; later commits are ignored.

Catalog commits (``log``): ``{"ops": [...], "time"}`` with ops
``{"op": "add_version", "id", "name", "parent", "parent_seq", "created"}`` and
``{"op": "rename_version", "id", "name"}``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from hyperloader.store._commit_log import Entries
from hyperloader.store._schema import Schema, merge_schemas

__all__ = ["Catalog", "VersionRecord", "VersionState", "fold_catalog", "fold_version"]


@dataclass(frozen=True)
class VersionState:
    """What a version's commits add up to (ancestors' meta and schema included)."""

    seq: int = -1
    segments: tuple[tuple[int, str], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    schema: Schema = field(default_factory=lambda: {"frames": {}, "rois": {}})
    published_at: int | None = None

    @property
    def published(self) -> bool:
        """True once a publish commit is in the log."""
        return self.published_at is not None


def fold_version(entries: Entries, base: VersionState | None = None) -> VersionState:
    """Fold a version's commits on top of its parent's state (meta and schema inherit).

    Commits after the publish commit are ignored: their writers lost the race.
    """
    meta = copy.deepcopy(base.meta) if base else {}
    schema = base.schema if base else {"frames": {}, "rois": {}}
    segments: list[tuple[int, str]] = []
    seq, published_at = -1, None
    for s, entry in entries:
        op = entry.get("op")
        if op == "write":
            segments.append((s, entry["segment"]))
            schema = merge_schemas(schema, entry.get("schema") or {})
        elif op == "meta":
            if "replace" in entry:
                meta = copy.deepcopy(entry["replace"])
            meta.update(copy.deepcopy(entry.get("set") or {}))
        elif op == "publish":
            published_at = entry.get("time", 0)
        seq = s
        if published_at is not None:
            break
    return VersionState(seq, tuple(segments), meta, schema, published_at)


@dataclass(frozen=True)
class VersionRecord:
    """A version as the catalog knows it: identity, name and parentage."""

    id: str
    name: str
    parent: str | None
    parent_seq: int
    created: int


@dataclass
class Catalog:
    """A dataset's versions in creation order, with their current names."""

    seq: int = -1
    versions: dict[str, VersionRecord] = field(default_factory=dict)

    def by_name(self, name: str) -> VersionRecord | None:
        """Return the version now called ``name``, if any."""
        for record in self.versions.values():
            if record.name == name:
                return record
        return None

    def names(self) -> list[str]:
        """Every version name, in creation order."""
        return [r.name for r in self.versions.values()]


def fold_catalog(entries: Entries) -> Catalog:
    """Fold a dataset's catalog commits."""
    catalog = Catalog()
    for seq, entry in entries:
        for op in entry.get("ops", ()):
            kind = op.get("op")
            if kind == "add_version":
                catalog.versions[op["id"]] = VersionRecord(
                    op["id"], op["name"], op.get("parent"), op.get("parent_seq", -1),
                    op.get("created", 0))
            elif kind == "rename_version" and op["id"] in catalog.versions:
                old = catalog.versions[op["id"]]
                catalog.versions[op["id"]] = VersionRecord(
                    old.id, op["name"], old.parent, old.parent_seq, old.created)
        catalog.seq = seq
    return catalog
