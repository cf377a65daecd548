"""Dataset: a named collection of versions in the store."""

from __future__ import annotations

import builtins
import datetime as dt
import json
import logging

from hyperloader.errors import DatasetNotFoundError, VersionStateError
from hyperloader.model import new_id
from hyperloader.store._commit_log import exclusive_create
from hyperloader.store._format import open_store
from hyperloader.store._layout import Store
from hyperloader.store._lifecycle import CURRENT, add_version_op
from hyperloader.store._repo import DatasetRepo, dataset_names
from hyperloader.store._version import DatasetVersion
from hyperloader.store._write import now_ms

__all__ = ["Dataset"]

log = logging.getLogger(__name__)


class Dataset:
    """A named dataset: a family of versions sharing frames copy-on-write.

    Get instances from :meth:`create`, :meth:`get` or :meth:`list`.
    """

    def __init__(self, repo: DatasetRepo) -> None:
        self._repo = repo
        descriptor = repo.descriptor()
        self.id: str = descriptor["id"]
        self.name: str = descriptor["name"]
        self.created = dt.datetime.fromtimestamp(descriptor["created"] / 1000,
                                                 tz=dt.timezone.utc)

    def __repr__(self) -> str:
        return f"Dataset(name={self.name!r}, id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return (self._repo.store.url, self.id) == (other._repo.store.url, other.id)

    def __hash__(self) -> int:
        return hash((self._repo.store.url, self.id))

    @classmethod
    def create(cls, dataset_name: str, raise_if_exists: bool = False) -> Dataset:
        """Create a dataset holding one empty draft version named ``Current``.

        Returns the existing dataset when the name is taken, unless ``raise_if_exists``.

        Raises:
            ValueError: when the name is taken and ``raise_if_exists``, or is empty.
            StoreError: when the store cannot be written or has an unknown format.
        """
        if not isinstance(dataset_name, str) or not dataset_name:
            raise ValueError(f"dataset_name must be a non-empty string, got {dataset_name!r}")
        store = open_store(create=True)
        try:
            return cls._existing(store, dataset_name, raise_if_exists)
        except DatasetNotFoundError:
            pass
        repo = DatasetRepo(store, new_id())
        descriptor = {"id": repo.id, "name": dataset_name, "created": now_ms(), "meta": {}}
        store.write_bytes(store.dataset_json(repo.id), json.dumps(descriptor).encode())
        first = add_version_op(new_id(), CURRENT, None, -1)
        repo.catalog_log().append(lambda _: {"ops": [first], "time": now_ms()})
        claim = json.dumps({"id": repo.id}).encode()
        if exclusive_create(store, store.name_claim(dataset_name), claim):
            return cls(repo)
        store.rm_tree(store.dataset_dir(repo.id))  # another process won the name
        return cls._existing(store, dataset_name, raise_if_exists)

    @classmethod
    def _existing(cls, store: Store, name: str, raise_if_exists: bool) -> Dataset:
        dataset = cls(DatasetRepo.find(store, name))
        if raise_if_exists:
            raise ValueError(f"dataset {name!r} already exists (id {dataset.id})")
        return dataset

    @classmethod
    def get(cls, dataset_name: str | None = None, *, dataset_id: str | None = None) -> Dataset:
        """Return the dataset called ``dataset_name`` (or with ``dataset_id``).

        Raises:
            DatasetNotFoundError: listing close matches of an unknown name.
        """
        return cls(DatasetRepo.find(open_store(), dataset_name, dataset_id))

    @classmethod
    def list(cls) -> builtins.list[Dataset]:
        """Return every dataset of the store, sorted by name."""
        store = open_store()
        out = []
        for name in dataset_names(store):
            try:
                out.append(cls(DatasetRepo.find(store, name)))
            except (DatasetNotFoundError, FileNotFoundError):
                continue  # deleted while listing
        return out

    @classmethod
    def delete(cls, dataset_name: str | None = None, delete_all_versions: bool = False,
               force: bool = False, *, dataset_id: str | None = None) -> None:
        """Delete a dataset and its files.

        Args:
            dataset_name: the dataset (or give ``dataset_id``).
            delete_all_versions: required when any version holds frames.
            force: required when any version is published.
            dataset_id: the dataset's id, instead of its name.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionStateError: when the dataset holds frames or published versions and the
                matching flag is not set (nothing is deleted).
        """
        dataset = cls.get(dataset_name, dataset_id=dataset_id)
        versions = dataset.get_versions()
        if not delete_all_versions and any(len(v) for v in versions):
            raise VersionStateError(f"dataset {dataset.name!r} is not empty; pass "
                                    "delete_all_versions=True to delete it with its versions")
        published = [v.name for v in versions if v.is_published]
        if published and not force:
            raise VersionStateError(f"dataset {dataset.name!r} has published versions "
                                    f"{published}; pass force=True to delete them")
        store = dataset._repo.store
        store.fs.rm_file(store.name_claim(dataset.name))
        store.fs.invalidate_cache(store.names_dir())
        store.rm_tree(store.dataset_dir(dataset.id))
        log.info("deleted dataset %r (%s)", dataset.name, dataset.id)

    def get_versions(self, only_published: bool = False,
                     only_draft: bool = False) -> builtins.list[DatasetVersion]:
        """Return the dataset's versions in creation order, optionally one status only."""
        return DatasetVersion._list(self._repo, only_published, only_draft)

    def get_version(self, version_name: str | None = None) -> DatasetVersion:
        """Return the version called ``version_name``; with None, the current version.

        Raises:
            VersionNotFoundError: listing close names.
        """
        return DatasetVersion._lookup(self._repo, version_name)

    def get_current(self) -> DatasetVersion:
        """Return the newest draft, else the latest published version."""
        return DatasetVersion._current(self._repo)
