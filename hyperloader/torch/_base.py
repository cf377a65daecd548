"""What both torch datasets share: a lazily opened FrameReader, its counters, the transforms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hyperloader._config import StorageConfig
from hyperloader.torch._options import LoaderOptions, SampleOptions
from hyperloader.torch._reader import FrameReader, LoaderStats

__all__ = ["ReaderBacked"]


class ReaderBacked:
    """Holds the reader of a DataView and applies ``transforms`` to each sample it builds."""

    def __init__(self, dataview: Any, transforms: Callable[..., Any] | None = None, *,
                 sample_options: SampleOptions | None = None,
                 loader_options: LoaderOptions | None = None,
                 storage_config: StorageConfig | None = None) -> None:
        self.transforms = transforms
        self._reader = FrameReader(dataview, sample_options or SampleOptions(),
                                   loader_options or LoaderOptions(), storage_config)
        self._epoch = 0

    @property
    def stats(self) -> LoaderStats:
        """Counters of this process (frames, skipped, bytes, stall time)."""
        return self._reader.stats

    def _transformed(self, sample: tuple[Any, Any]) -> Any:
        return self.transforms(*sample) if self.transforms is not None else sample
