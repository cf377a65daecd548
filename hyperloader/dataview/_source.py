"""The one seam between a DataView and the versions it reads: VersionRef and catalogs.

A :class:`Catalog` answers three questions (which dataset is this name or id, which
versions does it have, which one is its default); :func:`resolve_versions`
turns a rule's target into the versions it reads. Tests and benchmarks use
:class:`MemoryCatalog`; a view reads the real store through ``StoreCatalog``.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hyperloader.errors import DatasetNotFoundError, VersionNotFoundError, close_matches
from hyperloader.model import FrameTables, frames_to_tables

__all__ = ["Catalog", "MemoryCatalog", "Target", "VersionRef", "default_version",
           "resolve_scope", "resolve_versions"]

WILDCARD = "*"


@dataclass(frozen=True)
class VersionRef:
    """One dataset version a view reads, with lazy loaders for its tables and metadata."""

    dataset_id: str
    dataset_name: str
    version_id: str
    version_name: str
    tables_loader: Callable[[], FrameTables] = field(compare=False, repr=False)
    metadata_loader: Callable[[], dict[str, Any]] = field(default=dict, compare=False,
                                                           repr=False)
    status: str = "draft"

    @property
    def key(self) -> tuple[str, str]:
        """``(dataset_id, version_id)``."""
        return self.dataset_id, self.version_id


class Catalog(Protocol):
    """What a DataView needs to know about datasets and versions."""

    def find_dataset(self, name: str | None = None,
                     dataset_id: str | None = None) -> tuple[str, str]:
        """Return ``(dataset_id, dataset_name)``; raise DatasetNotFoundError if unknown."""

    def list_versions(self, dataset_id: str) -> list[VersionRef]:
        """Return the dataset's versions, oldest first."""

    def default_version(self, dataset_id: str) -> VersionRef | None:
        """Return the version a rule without a version name reads (see module docs)."""


@dataclass(frozen=True)
class Target:
    """Which versions a rule names: names or ids, ``'*'`` for every known one."""

    dataset_name: str | None = None
    version_name: str | None = None
    dataset_id: str | None = None
    version_id: str | None = None

    @property
    def is_concrete(self) -> bool:
        """Whether the target names one dataset (not ``'*'``)."""
        return self.dataset_id is not None or (
            self.dataset_name is not None and self.dataset_name != WILDCARD)


def default_version(versions: list[VersionRef]) -> VersionRef | None:
    """Return the version a rule without a version name reads.

    That is the latest published version (in creation order) if there is one, else the
    latest draft, else the newest version (None when there is none).
    """
    for status in ("published", "draft"):
        matching = [v for v in versions if v.status == status]
        if matching:
            return matching[-1]
    return versions[-1] if versions else None


def _pick_version(catalog: Catalog, dataset: tuple[str, str], target: Target,
                  strict: bool) -> list[VersionRef]:
    versions = catalog.list_versions(dataset[0])
    if target.version_id is not None:
        found = [v for v in versions if v.version_id == target.version_id]
        wanted = target.version_id
    elif target.version_name == WILDCARD:
        return versions
    elif target.version_name is None:
        default = catalog.default_version(dataset[0])
        found, wanted = ([default] if default else []), "<default>"
    else:
        found = [v for v in versions if v.version_name == target.version_name]
        wanted = target.version_name
    if found or not strict:
        return found[-1:]
    names = [v.version_name for v in versions] + [v.version_id for v in versions]
    raise VersionNotFoundError(
        f"dataset {dataset[1]!r} has no version {wanted!r}; close matches: "
        f"{close_matches(str(wanted), names)}; versions: "
        f"{sorted(v.version_name for v in versions)}",
        dataset_id=dataset[0], version=wanted)


def resolve_versions(target: Target, catalog: Catalog,
                     known_datasets: Iterable[tuple[str, str]] = ()) -> list[VersionRef]:
    """Return the versions ``target`` reads.

    A concrete dataset resolves through the catalog. Dataset ``'*'`` means every dataset
    in ``known_datasets`` (those named by the view's concrete rules); there a version name
    a dataset lacks is skipped, but at least one must have it. Version ``'*'`` means every
    version of the dataset; version None means :func:`default_version`.

    Raises:
        DatasetNotFoundError: for an unknown dataset name or id.
        VersionNotFoundError: for an unknown version name or id.
    """
    if target.is_concrete:
        dataset = catalog.find_dataset(target.dataset_name, target.dataset_id)
        return _pick_version(catalog, dataset, target, strict=True)
    out = [v for ds in dict.fromkeys(known_datasets)
           for v in _pick_version(catalog, ds, target, strict=False)]
    if not out:
        raise VersionNotFoundError(
            f"no dataset known to the view has version {target.version_name!r}",
            version=target.version_name)
    return out


def resolve_scope(catalog: Catalog, dataset_name: str,
                  version_name: str) -> tuple[str | None, str | None]:
    """Return ``(dataset_id, version_id)`` of a mapping rule's scope (None for ``'*'``).

    A concrete version name under a ``'*'`` dataset stays a name (matched per version).

    Raises:
        DatasetNotFoundError: for an unknown dataset.
        VersionNotFoundError: for an unknown version.
    """
    if dataset_name == WILDCARD:
        return None, None
    dataset_id = catalog.find_dataset(dataset_name)[0]
    if version_name == WILDCARD:
        return dataset_id, None
    return dataset_id, resolve_versions(Target(dataset_name, version_name), catalog)[0].version_id


class MemoryCatalog:
    """A catalog of in-memory versions, for tests, benchmarks and notebooks.

    Example:
        >>> cat = MemoryCatalog()
        >>> ref = cat.add_version("cars", "v1", frames)
        >>> dv = DataView(catalog=cat)
    """

    def __init__(self) -> None:
        self._datasets: dict[str, str] = {}  # id -> name
        self._versions: dict[str, list[VersionRef]] = {}
        self._data: dict[str, tuple[FrameTables, dict[str, Any]]] = {}

    def _tables(self, version_id: str) -> FrameTables:
        return self._data[version_id][0]

    def _metadata(self, version_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._data[version_id][1])

    def add_version(self, dataset_name: str, version_name: str,
                    frames: FrameTables | Iterable[Any], *, status: str = "draft",
                    metadata: Mapping[str, Any] | None = None,
                    version_id: str | None = None) -> VersionRef:
        """Register a version holding ``frames`` (FrameTables, frame objects or dicts).

        Raises:
            ValueError: when ``version_id`` is taken.
        """
        tables = frames if isinstance(frames, FrameTables) else frames_to_tables(frames)
        dataset_id = next((i for i, n in self._datasets.items() if n == dataset_name), None)
        if dataset_id is None:
            dataset_id = f"ds-{dataset_name}"
            self._datasets[dataset_id] = dataset_name
            self._versions[dataset_id] = []
        version_id = version_id or f"{dataset_id}-{version_name}-{len(self._data)}"
        if version_id in self._data:
            raise ValueError(f"version id {version_id!r} is taken")
        self._data[version_id] = (tables, dict(metadata or {}))
        ref = VersionRef(dataset_id, dataset_name, version_id, version_name,
                         functools.partial(self._tables, version_id),
                         functools.partial(self._metadata, version_id), status)
        self._versions[dataset_id].append(ref)
        return ref

    def find_dataset(self, name: str | None = None,
                     dataset_id: str | None = None) -> tuple[str, str]:
        """Return ``(dataset_id, dataset_name)``.

        Raises:
            DatasetNotFoundError: naming close matches.
        """
        for i, n in self._datasets.items():
            if (dataset_id is not None and i == dataset_id) or (
                    dataset_id is None and n == name):
                return i, n
        wanted = dataset_id if dataset_id is not None else name
        raise DatasetNotFoundError(
            f"no dataset {wanted!r}; close matches: "
            f"{close_matches(str(wanted), [*self._datasets, *self._datasets.values()])}",
            dataset=wanted)

    def list_versions(self, dataset_id: str) -> list[VersionRef]:
        """Return the dataset's versions, oldest first."""
        return list(self._versions[dataset_id])

    def default_version(self, dataset_id: str) -> VersionRef | None:
        """Return :func:`default_version` of the dataset's versions."""
        return default_version(self._versions[dataset_id])
