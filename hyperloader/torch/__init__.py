"""PyTorch datasets over DataViews; the only part of hyperloader that imports torch.

Importing this package registers the torchvision JPEG decoder (``"torchvision"``)
in ``hyperloader.decode``'s registry.
"""

from __future__ import annotations

import logging

from hyperloader.torch._collate import collate_frames
from hyperloader.torch._decoders import (
    decode_jpeg_torchvision,
    register_torchvision_decoder,
    tune_malloc,
)
from hyperloader.torch._iterable import FrameIterableDataset
from hyperloader.torch._loader import make_loader
from hyperloader.torch._map_dataset import FrameDataset
from hyperloader.torch._options import LoaderOptions, MaskMode, OnError, SampleOptions
from hyperloader.torch._reader import LoaderStats
from hyperloader.torch._sample import build_sample
from hyperloader.torch._state import merge_states
from hyperloader.torch._world import World

__all__ = [
    "FrameDataset",
    "FrameIterableDataset",
    "LoaderOptions",
    "LoaderStats",
    "MaskMode",
    "OnError",
    "SampleOptions",
    "World",
    "build_sample",
    "collate_frames",
    "decode_jpeg_torchvision",
    "make_loader",
    "merge_states",
    "tune_malloc",
]

try:
    register_torchvision_decoder()
except (ImportError, AttributeError) as _exc:  # decode registry not available
    logging.getLogger(__name__).debug("torchvision JPEG decoder not registered: %s", _exc)
