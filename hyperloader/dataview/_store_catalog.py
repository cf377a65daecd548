"""The catalog a DataView uses by default: datasets and versions of ``hyperloader.store``."""

from __future__ import annotations

from typing import Any

from hyperloader.dataview._source import VersionRef, default_version

__all__ = ["StoreCatalog"]


def _ref(dataset: Any, version: Any) -> VersionRef:
    return VersionRef(dataset.id, dataset.name, version.id, version.name,
                      version.frame_tables, version.get_metadata, str(version.status))


class StoreCatalog:
    """Resolves names through the store at the configured root (``hyperloader.set_root``)."""

    def find_dataset(self, name: str | None = None,
                     dataset_id: str | None = None) -> tuple[str, str]:
        """Return ``(dataset_id, dataset_name)``.

        Raises:
            DatasetNotFoundError: for an unknown name or id, listing close matches.
        """
        from hyperloader.store import Dataset

        dataset = Dataset.get(name, dataset_id=dataset_id)
        return dataset.id, dataset.name

    def list_versions(self, dataset_id: str) -> list[VersionRef]:
        """Return the dataset's versions in creation order."""
        from hyperloader.store import Dataset

        dataset = Dataset.get(dataset_id=dataset_id)
        return [_ref(dataset, v) for v in dataset.get_versions()]

    def default_version(self, dataset_id: str) -> VersionRef | None:
        """Return the latest published version, else the latest draft."""
        return default_version(self.list_versions(dataset_id))
