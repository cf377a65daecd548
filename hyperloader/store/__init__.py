"""Datasets and versions in a serverless, copy-on-write store on any fsspec URL."""

from hyperloader.store._dataset import Dataset
from hyperloader.store._diff import VersionDiff
from hyperloader.store._version import DatasetVersion, VersionStatus

__all__ = [
    "Dataset",
    "DatasetVersion",
    "VersionDiff",
    "VersionStatus",
]
