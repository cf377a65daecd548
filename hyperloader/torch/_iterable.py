"""FrameIterableDataset: each rank and worker streams its shard of the epoch's plan."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch.utils.data

from hyperloader._config import StorageConfig
from hyperloader.torch._base import ReaderBacked
from hyperloader.torch._options import LoaderOptions, SampleOptions
from hyperloader.torch._state import (
    FORMAT,
    is_shard_state,
    merge_states,
    remaining_positions,
    shard_state,
)
from hyperloader.torch._world import World, rank_quota, shard_positions

__all__ = ["FrameIterableDataset"]

logger = logging.getLogger(__name__)
_EPOCH_STRIDE = 1 << 32  # read order positions: epoch * stride + place in the pass


@dataclass(slots=True)
class _Cursor:
    """Where the running pass of this shard stands."""

    epoch: int
    plan_size: int
    layers: list[dict[str, Any]]
    world: World
    kept: int
    position: int


class FrameIterableDataset(ReaderBacked, torch.utils.data.IterableDataset):
    """Stream ``(image, target)`` samples of a DataView, sharded over ranks and workers.

    Every epoch's order is ``dataview.plan(epoch)``: a function of the view, its seed and
    the epoch only. Positions are dealt round-robin to ranks, then to each rank's workers
    (see :class:`World`), so within an epoch no frame is duplicated or dropped and shards
    differ by at most one frame. Remote bytes of the next frames are fetched on threads
    while earlier ones decode, and the cache learns the shard's read order; local files
    are read in place.

    Resuming: ``state_dict()``/``load_state_dict()`` follow torchdata's
    ``StatefulDataLoader``; a restored loader yields exactly the frames the interrupted
    one had not. To resume under another world size or worker count, pass every rank's
    loader state to :func:`merge_states` and give the result to ``load_state_dict`` on each
    new rank's dataset before building its loader; that state applies until
    :meth:`set_epoch` moves to another epoch.

    Args:
        dataview: The DataView to read; only its JSON spec travels to workers.
        transforms: Callable ``(image, target) -> (image, target)``, e.g. a
            ``torchvision.transforms.v2`` pipeline.
        sample_options: What a sample contains.
        loader_options: Sharding, read-ahead and error policy.
        storage_config: Store config for worker processes; the current one when None.
    """

    def __init__(self, dataview: Any, transforms: Callable[..., Any] | None = None, *,
                 sample_options: SampleOptions | None = None,
                 loader_options: LoaderOptions | None = None,
                 storage_config: StorageConfig | None = None) -> None:
        super().__init__(dataview, transforms, sample_options=sample_options,
                         loader_options=loader_options, storage_config=storage_config)
        self._pending: dict[str, Any] | None = None
        self._cursor: _Cursor | None = None
        self._world_hint: tuple[int, int] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # A worker started with spawn inherits no process group: carry this rank along.
        world = self._world()
        return {"transforms": self.transforms, "reader": self._reader, "epoch": self._epoch,
                "pending": self._pending, "world_hint": (world.rank, world.world_size)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.transforms, self._reader = state["transforms"], state["reader"]
        self._epoch, self._pending, self._cursor = state["epoch"], state["pending"], None
        self._world_hint = state["world_hint"]

    @property
    def epoch(self) -> int:
        """The epoch whose plan the next pass reads."""
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Read ``dataview.plan(epoch)`` next; a loaded state of another epoch is dropped."""
        if int(epoch) != self._epoch or (self._pending is not None
                                         and int(self._pending["epoch"]) != int(epoch)):
            self._pending = None
            self._cursor = None
        self._epoch = int(epoch)

    def _world(self) -> World:
        opts = self._reader.loader_options
        if opts.rank is not None:
            return World.detect(opts.rank, opts.world_size)
        return World.detect(*(self._world_hint or (None, None)))

    def __len__(self) -> int:
        """Frames this rank takes in the next pass (all its workers together)."""
        world = self._world()
        layers = self._pending["layers"] if self._pending else []
        plan = self._reader.plan(self._pending["epoch"] if self._pending else self._epoch)
        m = remaining_positions(len(plan), layers).size
        total = _total(m, world, self._reader.loader_options)
        return len(range(world.rank, total, world.world_size))

    # -- iteration -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        reader = self._reader
        reader.setup_process()
        world = self._world()
        pending, self._pending = self._pending, None
        epoch = int(pending["epoch"]) if pending else self._epoch
        plan = reader.plan(epoch)
        layers = list(pending["layers"]) if pending else []
        start = self._check_resume(pending, world, len(plan))
        remaining = remaining_positions(len(plan), layers)
        opts = reader.loader_options
        positions = shard_positions(remaining.size, world, drop_last=opts.drop_last,
                                    even_shards=opts.even_shards)
        kept = min(remaining.size, _total(remaining.size, world, opts))
        if pending is not None and pending.get("kept") not in (None, kept):
            raise ValueError(f"cannot resume: the saved pass kept {pending['kept']} frames but "
                             f"this one keeps {kept}; keep drop_last/even_shards unchanged")
        entry_ids = plan[_plan_positions(positions[start:], remaining, len(plan))]
        cursor = self._cursor = _Cursor(epoch, len(plan), layers, world, kept, start)
        logger.debug("epoch %d shard %d/%d: %d frames from position %d", epoch,
                     world.shard_index, world.num_shards, len(positions), start)
        # every shard of every rank places its reads in one order: (epoch, shard position)
        order_start = epoch * _EPOCH_STRIDE
        order = positions[start:].astype(np.int64) + np.int64(order_start)
        return self._samples(cursor, entry_ids, order, order_start)

    def _samples(self, cursor: _Cursor, entry_ids: np.ndarray, order: np.ndarray,
                 order_start: int) -> Iterator[Any]:
        # a generator: it runs at the first next(), when self._cursor may already belong to
        # another pass (a second iter(), set_epoch), so it moves the cursor it was given
        reader, start = self._reader, cursor.position
        # the next epoch is expected to read a frame at about its place in this one
        read_ahead = reader.prepare(entry_ids, order, order_start, period=_EPOCH_STRIDE)
        items = reader.frames(entry_ids, range(start, start + len(entry_ids)))
        for fetched in reader.fetch_all(items, read_ahead=read_ahead):
            cursor.position = fetched.tag + 1
            sample = reader.sample(fetched)
            if sample is None:
                continue
            yield self._transformed(sample)

    def _check_resume(self, pending: Mapping[str, Any] | None, world: World, n: int) -> int:
        if pending is None:
            return 0
        if pending.get("plan_size") not in (None, n):
            raise ValueError(f"cannot resume: the saved epoch {pending['epoch']} had "
                             f"{pending['plan_size']} entries but the view now plans {n}")
        if not is_shard_state(pending):
            return 0
        if (pending["num_shards"], pending["shard"]) != (world.num_shards, world.shard_index):
            raise ValueError(
                f"cannot resume shard {pending['shard']} of {pending['num_shards']} as shard "
                f"{world.shard_index} of {world.num_shards} (rank {world.rank}/"
                f"{world.world_size}, worker {world.worker_id}/{world.num_workers}); to change "
                "the world, merge every rank's state with merge_states() and load the result")
        return int(pending["position"])

    # -- state ---------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Return this shard's position in the current pass (JSON-serialisable)."""
        c = self._cursor
        if c is not None:
            return shard_state(epoch=c.epoch, plan_size=c.plan_size, layers=c.layers,
                               num_shards=c.world.num_shards, shard=c.world.shard_index,
                               kept=c.kept, position=c.position)
        pending = self._pending
        if pending is not None and is_shard_state(pending):
            return dict(pending)
        world = self._world()
        return shard_state(epoch=pending["epoch"] if pending else self._epoch,
                           plan_size=pending["plan_size"] if pending else None,
                           layers=pending["layers"] if pending else [],
                           num_shards=world.num_shards, shard=world.shard_index, kept=None,
                           position=0)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume the next pass from ``state``.

        Args:
            state: One shard's state (what ``StatefulDataLoader`` hands each worker), a
                global state from :func:`merge_states`, or a loader state to merge.

        Raises:
            ValueError: when the state is not a hyperloader.torch state.
        """
        if state.get("format") != FORMAT:
            state = merge_states([state])
        is_shard_state(state)
        self._pending = dict(state)
        self._epoch = int(state["epoch"])
        self._cursor = None


def _total(m: int, world: World, opts: LoaderOptions) -> int:
    if opts.drop_last or opts.even_shards:
        return rank_quota(m, world.world_size, drop_last=opts.drop_last,
                          even_shards=opts.even_shards) * world.world_size
    return m


def _plan_positions(positions: np.ndarray, remaining: np.ndarray, plan_size: int) -> np.ndarray:
    """Map shard positions over ``remaining`` to plan positions; padding repeats the plan."""
    m = remaining.size
    out = np.empty_like(positions)
    inside = positions < m
    out[inside] = remaining[positions[inside]]
    out[~inside] = (positions[~inside] - m) % max(plan_size, 1)
    return out
