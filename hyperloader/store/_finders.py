"""The class methods that find and create versions (DatasetVersion inherits them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hyperloader.errors import VersionNotFoundError
from hyperloader.store._format import open_store
from hyperloader.store._lifecycle import create_version, current_version, snapshot
from hyperloader.store._repo import DatasetRepo

if TYPE_CHECKING:
    from typing_extensions import Self

    from hyperloader.store._version import Frame

__all__ = ["VersionFinders"]


def _repo(dataset_name: str | None, dataset_id: str | None, *, create: bool = False
          ) -> DatasetRepo:
    return DatasetRepo.find(open_store(create=create), dataset_name, dataset_id)


class VersionFinders:
    """Find, create and snapshot versions by dataset and version name or id."""

    if TYPE_CHECKING:  # what the subclass (DatasetVersion) provides
        def __init__(self, repo: DatasetRepo, version_id: str) -> None: ...

        def get_frame(self, frame_id: str) -> Frame: ...

    @classmethod
    def create_version(cls, dataset_name: str | None = None, version_name: str | None = None,
                       parent_version_names: Sequence[str] | None = None,
                       raise_if_exists: bool = False, *,
                       dataset_id: str | None = None) -> Self:
        """Create a draft version whose frames start as its parent's.

        Args:
            dataset_name: the dataset (or give ``dataset_id``).
            version_name: the new version's name, unique in the dataset.
            parent_version_names: a one-name list; None picks the latest published version,
                or no parent when nothing is published.
            raise_if_exists: raise instead of returning an existing version of that name.
            dataset_id: the dataset's id, instead of its name.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: for an unknown parent name.
            VersionStateError: when the parent is not published.
            ValueError: when the name exists and ``raise_if_exists`` is set.
        """
        repo = _repo(dataset_name, dataset_id, create=True)
        return cls(repo, create_version(repo, version_name, parent_version_names,
                                        raise_if_exists))

    @classmethod
    def create_snapshot(cls, dataset_name: str | None = None, publish_name: str | None = None,
                        child_name: str | None = None, *,
                        dataset_id: str | None = None) -> Self:
        """Publish the dataset's draft and open a new draft child of it.

        The published version keeps the draft's id and is renamed ``publish_name``
        (default ``snapshot <ISO time>``); the child is named ``child_name`` (default
        ``Current``). Returns the published version.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionStateError: when the dataset has no draft.
            ValueError: when a requested name is taken.
        """
        repo = _repo(dataset_name, dataset_id, create=True)
        published_id, _ = snapshot(repo, publish_name, child_name)
        return cls(repo, published_id)

    @classmethod
    def get_version(cls, dataset_name: str | None = None, version_name: str | None = None, *,
                    dataset_id: str | None = None,
                    version_id: str | None = None) -> Self:
        """Return a version by name or id; with neither, the current version.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: for an unknown version, listing close names.
        """
        return cls._lookup(_repo(dataset_name, dataset_id), version_name, version_id)

    @classmethod
    def _lookup(cls, repo: DatasetRepo, version_name: str | None = None,
                version_id: str | None = None) -> Self:
        if version_id is not None:
            return cls(repo, repo.record(version_id).id)
        if version_name is not None:
            return cls(repo, repo.find_version(version_name).id)
        return cls._current(repo)

    @classmethod
    def get_current(cls, dataset_name: str | None = None, *,
                    dataset_id: str | None = None) -> Self:
        """Return the newest draft, or the latest published version when none is a draft.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: when the dataset has no versions at all.
        """
        return cls._current(_repo(dataset_name, dataset_id))

    @classmethod
    def _current(cls, repo: DatasetRepo) -> Self:
        record = current_version(repo, repo.catalog())
        if record is None:
            raise VersionNotFoundError(f"dataset {repo.id!r} has no versions", name=None)
        return cls(repo, record.id)

    @classmethod
    def get_versions(cls, dataset_name: str | None = None, only_published: bool = False,
                     only_draft: bool = False, *,
                     dataset_id: str | None = None) -> list[Self]:
        """Return the dataset's versions in creation order, optionally one status only.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
        """
        return cls._list(_repo(dataset_name, dataset_id), only_published, only_draft)

    @classmethod
    def _list(cls, repo: DatasetRepo, only_published: bool = False,
              only_draft: bool = False) -> list[Self]:
        catalog = repo.catalog()
        out: list[Self] = []
        for record in catalog.versions.values():
            published = repo.state(record.id, catalog).published
            if (only_published and not published) or (only_draft and published):
                continue
            out.append(cls(repo, record.id))
        return out

    @classmethod
    def get_single_frame(cls, frame_id: str, dataset_name: str | None = None,
                         dataset_id: str | None = None, version_name: str | None = None,
                         version_id: str | None = None) -> Frame:
        """Return one frame of a version (the current one when no version is named).

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: for an unknown version.
            FrameNotFoundError: when the version has no frame ``frame_id``.
        """
        version = cls.get_version(dataset_name, version_name, dataset_id=dataset_id,
                                  version_id=version_id)
        return version.get_frame(frame_id)
