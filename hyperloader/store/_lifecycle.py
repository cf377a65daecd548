"""Creating, choosing and snapshotting versions through the dataset's catalog log."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from hyperloader.errors import VersionStateError
from hyperloader.model import new_id
from hyperloader.store._commit_log import Entries
from hyperloader.store._repo import DatasetRepo
from hyperloader.store._state import Catalog, VersionRecord, fold_catalog
from hyperloader.store._write import commit_publish, now_ms

__all__ = ["CURRENT", "add_version_op", "create_version", "current_version",
           "latest_published", "snapshot"]

log = logging.getLogger(__name__)

CURRENT = "Current"


def add_version_op(version_id: str, name: str, parent: str | None,
                   parent_seq: int) -> dict[str, Any]:
    """Return the catalog op that creates a version."""
    return {"op": "add_version", "id": version_id, "name": name, "parent": parent,
            "parent_seq": parent_seq, "created": now_ms()}


def latest_published(repo: DatasetRepo, catalog: Catalog) -> VersionRecord | None:
    """Return the version published most recently, or None."""
    best, best_time = None, -1
    for record in catalog.versions.values():
        published_at = repo.state(record.id, catalog).published_at  # None: not published
        if published_at is not None and published_at >= best_time:
            best, best_time = record, published_at
    return best


def current_version(repo: DatasetRepo, catalog: Catalog) -> VersionRecord | None:
    """Return the most recently created draft, else the latest published version."""
    drafts = [r for r in catalog.versions.values() if not repo.state(r.id, catalog).published]
    return drafts[-1] if drafts else latest_published(repo, catalog)


def _parent(repo: DatasetRepo, catalog: Catalog,
            parent_names: Sequence[str] | str | None) -> VersionRecord | None:
    if parent_names is None:
        return latest_published(repo, catalog)
    names = [parent_names] if isinstance(parent_names, str) else list(parent_names)
    if not names:
        return None  # an explicit empty list: a root version
    if len(names) != 1:
        raise ValueError(f"a version has exactly one parent, got {names!r}")
    record = repo.find_version(names[0], catalog)
    if not repo.state(record.id, catalog).published:
        raise VersionStateError(f"parent version {record.name!r} is a draft; publish it "
                                "before creating children", version_id=record.id)
    return record


def create_version(repo: DatasetRepo, name: str | None, parent_names: Sequence[str] | str | None,
                   raise_if_exists: bool) -> str:
    """Create a draft child of a published parent (or with no parent); return its id.

    Raises:
        ValueError: when ``name`` exists and ``raise_if_exists``, or several parents
            (an empty ``parent_names`` list means no parent).
        VersionNotFoundError: when the parent name is unknown.
        VersionStateError: when the parent is a draft.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"version_name must be a non-empty string, got {name!r}")
    catalog = repo.catalog()
    if catalog.by_name(name) is None:
        parent = _parent(repo, catalog, parent_names)
        parent_seq = repo.state(parent.id, catalog).seq if parent else -1
        version_id = new_id()

        def make(entries: Entries) -> dict[str, Any] | None:
            if fold_catalog(entries).by_name(name) is not None:
                return None
            op = add_version_op(version_id, name, parent.id if parent else None, parent_seq)
            return {"ops": [op], "time": now_ms()}

        if repo.catalog_log().append(make) is not None:
            return version_id
    if raise_if_exists:
        raise ValueError(f"version {name!r} already exists in dataset "
                         f"{repo.descriptor()['name']!r}")
    return repo.find_version(name).id


def _snapshot_name(catalog: Catalog) -> str:
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
    name, n = f"snapshot {stamp}", 2
    while catalog.by_name(name) is not None:
        name, n = f"snapshot {stamp} ({n})", n + 1
    return name


def _check_free(catalog: Catalog, name: str, owner: str) -> None:
    other = catalog.by_name(name)
    if other is not None and other.id != owner:
        raise ValueError(f"a version named {name!r} already exists")


def snapshot(repo: DatasetRepo, publish_name: str | None,
             child_name: str | None) -> tuple[str, str]:
    """Publish the current draft (keeping its id) and open a draft child of it.

    Returns:
        ``(published version id, new draft id)``.

    Raises:
        VersionStateError: when the dataset has no draft.
        ValueError: when a requested name is taken.
    """
    catalog = repo.catalog()
    drafts = [r for r in catalog.versions.values() if not repo.state(r.id, catalog).published]
    if not drafts:
        raise VersionStateError(f"dataset {repo.descriptor()['name']!r} has no draft version "
                                "to publish")
    if len(drafts) > 1:
        log.info("dataset %s has %d drafts; publishing the newest, %r", repo.id, len(drafts),
                 drafts[-1].name)
    draft = drafts[-1]
    publish_name = publish_name or _snapshot_name(catalog)
    child_name = child_name or CURRENT
    if child_name == publish_name:
        raise ValueError(f"publish_name and child_name are both {child_name!r}")
    _check_free(catalog, publish_name, draft.id)
    _check_free(catalog, child_name, draft.id)
    publish_seq = commit_publish(repo, draft.id)
    child_id = new_id()

    def make(entries: Entries) -> dict[str, Any]:
        latest = fold_catalog(entries)
        _check_free(latest, publish_name, draft.id)
        _check_free(latest, child_name, draft.id)
        ops = [add_version_op(child_id, child_name, draft.id, publish_seq)]
        if latest.versions[draft.id].name != publish_name:
            ops.insert(0, {"op": "rename_version", "id": draft.id, "name": publish_name})
        return {"ops": ops, "time": now_ms()}

    repo.catalog_log().append(make)
    return draft.id, child_id
