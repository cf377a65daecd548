"""A DataLoader over a dataset with hyperloader's collate, for callers that avoid torch."""

from __future__ import annotations

from typing import Any

from torch.utils.data import DataLoader

from hyperloader.torch._collate import collate_frames

__all__ = ["make_loader"]


def make_loader(dataset: Any, *, batch_size: int = 64, num_workers: int = 2,
                **kwargs: Any) -> DataLoader:
    """Return a ``DataLoader`` over ``dataset`` that collates with :func:`collate_frames`.

    Args:
        dataset: A FrameDataset or FrameIterableDataset.
        batch_size: Samples per batch.
        num_workers: DataLoader worker processes.
        **kwargs: Passed to ``torch.utils.data.DataLoader``.
    """
    kwargs.setdefault("collate_fn", collate_frames)
    return DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, **kwargs)
