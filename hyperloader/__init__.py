"""hyperloader: serverless Hyper-Datasets with Lucene DataViews and fast PyTorch loaders.

The public names follow the reference SDK, so code ports by changing one import.
``hyperloader.torch`` (the only module that imports torch) holds the PyTorch datasets.
"""

import hyperloader.io as _io  # noqa: F401  (frames get local copies through its cache)
from hyperloader._config import get_root, set_root, set_storage_options
from hyperloader.dataview import DataView, IterationOrder, OutputRois, RoiQuery
from hyperloader.errors import (
    DatasetNotFoundError,
    DecodeError,
    FrameNotFoundError,
    HyperloaderError,
    InvalidFrameError,
    InvalidMetadataError,
    QuerySyntaxError,
    StoreError,
    VersionNotFoundError,
    VersionStateError,
)
from hyperloader.model import FrameGroup, Roi, SingleFrame, frame_from_dict
from hyperloader.store import Dataset, DatasetVersion, VersionDiff, VersionStatus

__version__ = "0.1.0"

__all__ = [
    "DataView",
    "Dataset",
    "DatasetNotFoundError",
    "DatasetVersion",
    "DecodeError",
    "FrameGroup",
    "FrameNotFoundError",
    "HyperloaderError",
    "InvalidFrameError",
    "InvalidMetadataError",
    "IterationOrder",
    "OutputRois",
    "QuerySyntaxError",
    "Roi",
    "RoiQuery",
    "SingleFrame",
    "StoreError",
    "VersionDiff",
    "VersionNotFoundError",
    "VersionStateError",
    "VersionStatus",
    "frame_from_dict",
    "get_root",
    "set_root",
    "set_storage_options",
]
