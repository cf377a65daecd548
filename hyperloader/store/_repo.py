"""One dataset inside a store: finding it, its catalog, its versions' state and chains."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

import pyarrow as pa

from hyperloader._locks import ForkSafeLock
from hyperloader.errors import DatasetNotFoundError, VersionNotFoundError, close_matches
from hyperloader.model import FrameTables, TimestampKeys
from hyperloader.store._commit_log import CommitLog
from hyperloader.store._diff import VersionDiff, diff_plans, diff_tables
from hyperloader.store._layout import Store
from hyperloader.store._resolve import Link, cached_resolution, resolve_chain
from hyperloader.store._scan import BATCH_ROWS, find_id, read_frame, scan
from hyperloader.store._scan_cache import cached_plan, cached_scan
from hyperloader.store._state import (
    Catalog,
    VersionRecord,
    VersionState,
    fold_catalog,
    fold_version,
)

__all__ = ["DatasetRepo", "dataset_names"]

# A published version's state never changes again, nor does any version's parent: keep
# them for the life of the process.
_PUBLISHED: dict[tuple[str, str], VersionState] = {}
_PARENTS: dict[tuple[str, str], str | None] = {}
_LOCK = ForkSafeLock()
# One frame read from a plan costs ~7 ms (a row group's docs up to the row); resolving a
# version whole costs ~1-2 s per 200k frames, and then ~1 ms a frame.
_LOOKUPS_BEFORE_RESOLVING = 16
_LOOKUPS: dict[tuple[str, str, int], int] = {}


def _looked_up(store_url: str, chain: Sequence[Link]) -> int:
    """Count one plan-path frame read of the chain's last state; return the count."""
    key = (store_url, chain[-1].version_id, sum(len(link.segments) for link in chain))
    if key not in _LOOKUPS and len(_LOOKUPS) >= 64:
        _LOOKUPS.clear()
    _LOOKUPS[key] = count = _LOOKUPS.get(key, 0) + 1
    return count


def dataset_names(store: Store) -> list[str]:
    """Return the names of the store's datasets, sorted."""
    return sorted(store.name_of_claim(p) for p in store.ls(store.names_dir())
                  if p.endswith(".json"))


class DatasetRepo:
    """Reads and folds the files of one dataset; holds no state but ids and its descriptor."""

    def __init__(self, store: Store, dataset_id: str) -> None:
        self.store = store
        self.id = dataset_id
        self._descriptor: dict | None = None

    # -- finding ---------------------------------------------------------------------------
    @classmethod
    def find(cls, store: Store, name: str | None = None,
             dataset_id: str | None = None) -> DatasetRepo:
        """Return the dataset called ``name`` (or with ``dataset_id``).

        Raises:
            DatasetNotFoundError: listing close matches of an unknown name.
            ValueError: when neither a name nor an id is given.
        """
        if dataset_id is not None:
            try:
                store.cat(store.dataset_json(dataset_id))
            except FileNotFoundError:
                raise DatasetNotFoundError(
                    f"no dataset with id {dataset_id!r} in store {store.url!r}",
                    dataset_id=dataset_id) from None
            return cls(store, dataset_id)
        if name is None:
            raise ValueError("give a dataset_name or a dataset_id")
        try:
            claim = store.read_json(store.name_claim(name))
        except FileNotFoundError:
            known = dataset_names(store)
            hint = close_matches(name, known)
            msg = f"no dataset named {name!r} in store {store.url!r}"
            msg += f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""
            raise DatasetNotFoundError(msg, name=name, close_matches=hint) from None
        return cls(store, claim["id"])

    def descriptor(self) -> dict:
        """Return the dataset's ``dataset.json`` (written once, so read once)."""
        if self._descriptor is None:
            self._descriptor = self.store.read_json(self.store.dataset_json(self.id))
        return self._descriptor

    # -- catalog ---------------------------------------------------------------------------
    def catalog_log(self) -> CommitLog:
        """Return the dataset's catalog commit log."""
        return CommitLog(self.store, self.store.catalog_dir(self.id))

    def catalog(self) -> Catalog:
        """Return the dataset's versions as of now."""
        return fold_catalog(self.catalog_log().entries())

    def record(self, version_id: str, catalog: Catalog | None = None) -> VersionRecord:
        """Return the catalog record of ``version_id``.

        Raises:
            VersionNotFoundError: when the dataset has no such version.
        """
        catalog = catalog or self.catalog()
        try:
            record = catalog.versions[version_id]
        except KeyError:
            raise VersionNotFoundError(f"no version with id {version_id!r} in dataset "
                                       f"{self.id!r}", version_id=version_id) from None
        with _LOCK:
            _PARENTS[(self.store.url, version_id)] = record.parent
        return record

    def parent_of(self, version_id: str, catalog: Catalog | None = None) -> str | None:
        """Return the parent id of ``version_id`` (cached: it never changes).

        Raises:
            VersionNotFoundError: when the dataset has no such version.
        """
        key = (self.store.url, version_id)
        with _LOCK:
            if key in _PARENTS:
                return _PARENTS[key]
        return self.record(version_id, catalog).parent

    def find_version(self, name: str, catalog: Catalog | None = None) -> VersionRecord:
        """Return the version called ``name``.

        Raises:
            VersionNotFoundError: listing close matches of an unknown name.
        """
        catalog = catalog or self.catalog()
        record = catalog.by_name(name)
        if record is None:
            hint = close_matches(name, catalog.names())
            msg = f"no version named {name!r} in dataset {self.descriptor()['name']!r}"
            msg += f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""
            raise VersionNotFoundError(msg, name=name, close_matches=hint)
        return record

    # -- versions --------------------------------------------------------------------------
    def version_log(self, version_id: str) -> CommitLog:
        """Return a version's commit log."""
        return CommitLog(self.store, self.store.commits_dir(self.id, version_id))

    def state(self, version_id: str, catalog: Catalog | None = None) -> VersionState:
        """Return a version's state now, its ancestors' meta and schema folded in.

        Raises:
            VersionNotFoundError: when the dataset has no such version.
        """
        key = (self.store.url, version_id)
        with _LOCK:
            known = _PUBLISHED.get(key)
        if known is not None:
            return known
        parent = self.parent_of(version_id, catalog)
        base = self.state(parent, catalog) if parent else None
        state = fold_version(self.version_log(version_id).entries(), base)
        if state.published:
            with _LOCK:
                _PUBLISHED[key] = state
        return state

    def chain(self, version_id: str, catalog: Catalog | None = None) -> list[Link]:
        """Return the links from the root ancestor down to ``version_id``."""
        catalog = catalog or self.catalog()
        links = []
        current: str | None = version_id
        while current is not None:
            state = self.state(current, catalog)
            links.append(Link(current, state.seq, state.segments))
            current = self.parent_of(current, catalog)
        return links[::-1]

    def tables(self, version_id: str) -> FrameTables:
        """Return the resolved FrameTables of ``version_id`` (cached per commit seq)."""
        return resolve_chain(self.store, self.id, self.chain(version_id))

    def _resolved(self, version_id: str) -> tuple[list[Link], FrameTables | None]:
        """Return the version's chain and its cached resolution, when one is up to date."""
        chain = self.chain(version_id)
        return chain, cached_resolution(self.store, chain[-1])

    def scan(self, version_id: str, columns: Sequence[str]) -> tuple[int, Iterator[pa.Table]]:
        """Return the number of frames of ``version_id`` and their ``columns``, streamed.

        The tables come in frame-id order, ``BATCH_ROWS`` rows each, read segment by
        segment in bounded memory (``_scan``, its plan cached); an up-to-date
        cached resolution is sliced instead, and a small version's scan is kept.

        Raises:
            StoreError: when a segment cannot be read.
        """
        chain, cached = self._resolved(version_id)
        if cached is not None:
            frames = cached.frames.select(list(columns))
            return frames.num_rows, iter([frames.slice(i, BATCH_ROWS)
                                          for i in range(0, frames.num_rows, BATCH_ROWS)])
        return cached_scan(self.store, self.id, chain, columns)

    def frame_ids(self, version_id: str) -> pa.ChunkedArray:
        """Return the sorted ids of ``version_id``'s frames, reading no frame JSON.

        An up-to-date cached resolution answers; otherwise the plan of a scan does (only
        the ``id`` and ``_tombstone`` columns of the segments are read).

        Raises:
            StoreError: when a segment cannot be read.
        """
        chain, cached = self._resolved(version_id)
        if cached is not None:
            return cached.frames["id"]
        return cached_plan(self.store, self.id, chain).ids

    def find_frame(self, version_id: str, frame_id: str, columns: Sequence[str]
                   ) -> tuple[pa.Table, TimestampKeys] | None:
        """Return ``columns`` of ``version_id``'s frame ``frame_id`` (one row), or None.

        The timestamp meta keys to restore in the frame come with it. An up-to-date cached
        resolution answers; otherwise the plan of a scan (cached) locates the frame and
        only the row group that holds it is read. A process that keeps asking one version
        (a loop over its frames) resolves it whole after ``_LOOKUPS_BEFORE_RESOLVING``
        such reads, and answers from memory from then on, as before plans existed.

        Raises:
            StoreError: when a segment cannot be read.
        """
        chain, cached = self._resolved(version_id)
        if cached is None and _looked_up(self.store.url, chain) > _LOOKUPS_BEFORE_RESOLVING:
            cached = resolve_chain(self.store, self.id, chain)
        if cached is None:
            plan = cached_plan(self.store, self.id, chain)
            return read_frame(self.store, self.id, plan, frame_id, columns)
        row = find_id(cached.frames["id"], frame_id)
        if row is None:
            return None
        return cached.frames.select(list(columns)).slice(row, 1), TimestampKeys.from_tables(cached)

    def diff(self, version_id: str, other: DatasetRepo, other_id: str) -> VersionDiff:
        """Compare ``version_id`` with ``other_id`` of ``other``, in bounded memory.

        Cached resolutions of both are compared whole; otherwise both are planned and only
        the frames they hold from different segment rows are streamed and compared.

        Raises:
            StoreError: when a segment cannot be read.
        """
        (new_chain, new), (old_chain, old) = self._resolved(version_id), other._resolved(other_id)
        if new is not None and old is not None:
            return diff_tables(new, old)
        return diff_plans(cached_plan(self.store, self.id, new_chain),
                          cached_plan(other.store, other.id, old_chain),
                          partial(scan, self.store, self.id), partial(scan, other.store, other.id))
