"""hyperloader: serverless Hyper-Datasets with Lucene DataViews and fast PyTorch loaders."""

from hyperloader._config import get_root, set_root, set_storage_options
from hyperloader.model import FrameGroup, Roi, SingleFrame, frame_from_dict

__version__ = "0.1.0"

__all__ = [
    "FrameGroup",
    "Roi",
    "SingleFrame",
    "frame_from_dict",
    "get_root",
    "set_root",
    "set_storage_options",
]
