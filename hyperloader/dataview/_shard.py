"""Pure sharding arithmetic: which positions of a stream one worker takes.

Shards are strided: worker ``i`` of ``W`` takes positions ``i, i + W, i + 2W, ...``. The
shards are disjoint, their union is the whole pass, their sizes differ by at most one,
and reading the workers round-robin (as ``torch.utils.data.DataLoader`` does) gives back
the single-worker order.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_shard", "shard"]


def check_shard(num_shards: int, index: int) -> None:
    """Validate a (num_shards, index) pair.

    Raises:
        ValueError: when ``num_shards < 1`` or ``index`` is outside ``[0, num_shards)``.
    """
    if int(num_shards) < 1:
        raise ValueError(f"num_workers must be >= 1, got {num_shards}")
    if not 0 <= int(index) < int(num_shards):
        raise ValueError(f"worker_index must be in [0, {num_shards}), got {index}")


def shard(n: int, num_shards: int, index: int) -> np.ndarray:
    """Return the positions of ``range(n)`` that shard ``index`` of ``num_shards`` takes.

    Raises:
        ValueError: for a bad shard count or index.
    """
    check_shard(num_shards, index)
    return np.arange(int(index), int(n), int(num_shards), dtype=np.int64)

