"""Who am I in the job: the rank-and-worker value object and its sharding arithmetic."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["World", "rank_quota", "shard_positions"]


@dataclass(frozen=True, slots=True)
class World:
    """A process's place among DDP ranks and DataLoader workers.

    Positions of a pass are dealt round-robin first over ranks, then, inside a rank, over
    its workers: position ``i`` goes to rank ``i % world_size`` and to worker
    ``(i // world_size) % num_workers``. That is one strided split with
    ``shard_index = worker_id * world_size + rank``, so shards differ by at most one frame,
    ranks differ by at most one frame, and every rank splits its frames among its workers
    the same way (equal batch counts across ranks when the rank totals agree).

    Attributes:
        rank: torch.distributed rank (0 without distributed).
        world_size: number of ranks (1 without distributed).
        worker_id: DataLoader worker id (0 in the main process).
        num_workers: DataLoader workers per rank (1 when loading in the main process).
    """

    rank: int = 0
    world_size: int = 1
    worker_id: int = 0
    num_workers: int = 1

    def __post_init__(self) -> None:
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank must be in [0, world_size); got rank={self.rank} "
                             f"world_size={self.world_size}")
        if self.num_workers < 1 or not 0 <= self.worker_id < self.num_workers:
            raise ValueError(f"worker_id must be in [0, num_workers); got worker_id="
                             f"{self.worker_id} num_workers={self.num_workers}")

    @property
    def num_shards(self) -> int:
        """Number of (rank, worker) shards in the job."""
        return self.world_size * self.num_workers

    @property
    def shard_index(self) -> int:
        """Index of this process's shard among :attr:`num_shards`."""
        return self.worker_id * self.world_size + self.rank

    @classmethod
    def detect(cls, rank: int | None = None, world_size: int | None = None) -> World:
        """Read the rank from torch.distributed and the worker from the DataLoader.

        Args:
            rank: Rank to use when torch.distributed is not initialised in this process
                (a DataLoader worker started with ``spawn`` inherits no process group).
            world_size: World size to use in the same case.
        """
        import torch.distributed as dist
        from torch.utils.data import get_worker_info

        if dist.is_available() and dist.is_initialized():
            rank, world_size = dist.get_rank(), dist.get_world_size()
        info = get_worker_info()
        worker_id, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        return cls(rank=rank or 0, world_size=world_size or 1, worker_id=worker_id,
                   num_workers=num_workers)


def rank_quota(n: int, world_size: int, *, drop_last: bool, even_shards: bool) -> int:
    """Return how many positions each rank takes in total when a pass has ``n`` positions.

    Without padding or truncation this is the largest rank's share (ranks differ by one).
    """
    if even_shards:
        return -(-n // world_size)
    return n // world_size if drop_last else -(-n // world_size)


def shard_positions(n: int, world: World, *, drop_last: bool = False,
                    even_shards: bool = False) -> np.ndarray:
    """Return the positions in ``[0, n')`` that ``world``'s shard takes, in order.

    ``n'`` is ``n`` rounded so every rank takes the same count: ``even_shards`` rounds up and
    positions past ``n`` stand for repeats of the first positions of the pass (the caller maps
    ``p >= n`` to ``p - n``); ``drop_last`` rounds down.

    Raises:
        ValueError: when both ``drop_last`` and ``even_shards`` are set.
    """
    if drop_last and even_shards:
        raise ValueError("choose at most one of drop_last and even_shards")
    total = n
    if even_shards or drop_last:
        total = rank_quota(n, world.world_size, drop_last=drop_last,
                           even_shards=even_shards) * world.world_size
    return np.arange(world.shard_index, total, world.num_shards, dtype=np.int64)
