"""FrameDataset: map-style access to the entries of one pass of a DataView."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch.utils.data

from hyperloader._fs import is_local
from hyperloader.torch._base import ReaderBacked
from hyperloader.torch._sample import frame_uris

__all__ = ["FrameDataset"]


class FrameDataset(ReaderBacked, torch.utils.data.Dataset):
    """Map-style dataset: index ``i`` is the i-th entry of ``dataview.plan(epoch)``.

    With a ``SequentialSampler`` the loader reads the view's own order; any sampler
    (``DistributedSampler`` included) can reorder or shard it. ``DataLoader`` calls
    :meth:`__getitems__` with a whole batch, whose bytes are fetched concurrently.
    Under ``on_error="skip"`` a frame that fails gives ``None``, which
    :func:`collate_frames` drops.

    Args:
        dataview: The DataView to read; only its JSON spec travels to workers.
        transforms: Callable ``(image, target) -> (image, target)``, e.g. a
            ``torchvision.transforms.v2`` pipeline.
        sample_options: What a sample contains.
        loader_options: Read-ahead and error policy (sharding options do not apply).
        storage_config: Store config for worker processes; the current one when None.
    """

    @property
    def epoch(self) -> int:
        """The epoch whose plan indices refer to."""
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Make indices refer to ``dataview.plan(epoch)``."""
        self._epoch = int(epoch)

    def __len__(self) -> int:
        return len(self._reader.plan(self._epoch))

    def __getitem__(self, index: int) -> Any:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: Sequence[int]) -> list[Any]:
        """Return the samples at ``indices``, fetching their bytes concurrently.

        Raises:
            IndexError: for an index outside ``[-len, len)``.
            DecodeError: when a frame cannot be decoded and ``on_error`` is ``"raise"``.
        """
        reader = self._reader
        reader.setup_process()
        plan = reader.plan(self._epoch)
        n = len(plan)
        for i in indices:
            if not -n <= int(i) < n:
                raise IndexError(f"index {i} is out of range for a pass of {n} entries")
        entry_ids = plan[[int(i) for i in indices]]
        items = list(reader.frames(entry_ids, range(len(entry_ids))))
        uris = [u for _, frame in items for u in frame_uris(frame, reader.sample_options)]
        read_ahead = reader.loader_options.prefetch_local or not all(map(is_local, uris))
        out = []
        for fetched in reader.fetch_all(items, read_ahead=read_ahead):
            sample = reader.sample(fetched)
            out.append(None if sample is None else self._transformed(sample))
        return out
