"""The stateful-iterator protocol and the DataView iterator built on it.

:class:`StatefulIterator` follows ``torchdata.nodes.BaseNode``: it owns ``__next__``,
``state_dict()`` and ``load_state_dict()``; subclasses fill in ``reset``, ``next`` and
``get_state``. State is a small JSON dict; the order is recomputed from it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from hyperloader.dataview._shard import check_shard

if TYPE_CHECKING:
    from hyperloader.dataview._view import DataView

__all__ = ["DataViewIterator", "StatefulIterator"]

T = TypeVar("T")


class StatefulIterator(Iterator[T], ABC, Generic[T]):
    """An iterator whose position is a small JSON dict that can be saved and restored."""

    def __init__(self) -> None:
        self._initialised = False

    def __iter__(self) -> StatefulIterator[T]:
        return self

    def __next__(self) -> T:
        if not self._initialised:
            self.reset(None)
        return self.next()

    def reset(self, initial_state: dict[str, Any] | None = None) -> None:
        """Start over, or resume from ``initial_state``; subclasses call ``super().reset``."""
        self._initialised = True

    @abstractmethod
    def next(self) -> T:
        """Return the next item or raise StopIteration."""

    @abstractmethod
    def get_state(self) -> dict[str, Any]:
        """Return the state that makes :meth:`reset` resume right after the last item."""

    def state_dict(self) -> dict[str, Any]:
        """Return the current state (a small JSON-serialisable dict)."""
        if not self._initialised:
            self.reset(None)
        return self.get_state()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from a state returned by :meth:`state_dict`."""
        self.reset(state)


class DataViewIterator(StatefulIterator[Any]):
    """Yields a view's frames for one worker; see ``DataView.get_iterator``.

    The stream of a view is pass 0, then (infinite views) pass 1, 2, ...: stream position
    ``g`` is item ``g % L`` of pass ``g // L``, where ``L = dv.num_entries()``. Worker
    ``i`` of ``W`` yields the positions ``g`` with ``g % W == i``. State:
    ``{"view_fingerprint", "seed", "epoch", "position", "num_workers", "worker_index"}``,
    where ``(epoch, position)`` locate the worker's next item.
    """

    def __init__(self, view: DataView, num_workers: int = 1, worker_index: int = 0,
                 block_size: int = 64) -> None:
        super().__init__()
        check_shard(num_workers, worker_index)
        self.view = view
        self.num_workers, self.worker_index = int(num_workers), int(worker_index)
        self.block_size = max(1, int(block_size))
        self.epoch = self.position = 0
        self._plan: tuple[int, np.ndarray] = (-1, np.zeros(0, np.int64))
        self._block: dict[int, Any] = {}

    @property
    def global_position(self) -> int:
        """Position in the single-worker stream of the next item this worker yields."""
        return self.epoch * self.view.num_entries() + self.position

    def _seek(self, global_position: int) -> None:
        length = self.view.num_entries()
        self.epoch, self.position = divmod(global_position, length) if length else (0, 0)

    def reset(self, initial_state: dict[str, Any] | None = None) -> None:
        """Start at the view's initial iteration, or resume from ``initial_state``.

        Raises:
            ValueError: when the state belongs to another view, seed or sharding.
        """
        super().reset(initial_state)
        self._block = {}
        if initial_state is None:
            start = self.view.get_initial_iteration()
            self._seek(start + (self.worker_index - start) % self.num_workers)
            return
        expected = {"view_fingerprint": self.view.fingerprint, "seed": self.view.random_seed,
                    "num_workers": self.num_workers, "worker_index": self.worker_index}
        for key, value in expected.items():
            if initial_state.get(key) != value:
                raise ValueError(f"state does not fit this iterator: {key} is "
                                 f"{initial_state.get(key)!r}, expected {value!r}")
        self.epoch, self.position = int(initial_state["epoch"]), int(initial_state["position"])

    def get_state(self) -> dict[str, Any]:
        """Return ``{"view_fingerprint", "seed", "epoch", "position", ...}``."""
        return {"view_fingerprint": self.view.fingerprint, "seed": self.view.random_seed,
                "epoch": self.epoch, "position": self.position,
                "num_workers": self.num_workers, "worker_index": self.worker_index}

    def _epoch_plan(self) -> np.ndarray:
        if self._plan[0] != self.epoch:
            self._plan = (self.epoch, self.view.plan(self.epoch))
        return self._plan[1]

    def _decode_block(self) -> None:
        """Decode this worker's next ``block_size`` items of the current pass at once."""
        plan, limit = self._epoch_plan(), self.view.stream_length()
        stop = len(plan) if limit is None else min(len(plan), limit - self.global_position
                                                   + self.position)
        positions = range(self.position, stop, self.num_workers)[:self.block_size]
        frames = self.view.get_entries(plan[list(positions)])
        self._block = {self.global_position + k * self.num_workers: f
                       for k, f in enumerate(frames)}

    def next(self) -> Any:
        """Return the next frame of this worker's shard.

        Raises:
            StopIteration: at the end of a finite view or after the frame limit.
        """
        limit, g = self.view.stream_length(), self.global_position
        if self.view.num_entries() == 0 or (limit is not None and g >= limit):
            raise StopIteration
        if g not in self._block:
            self._decode_block()
        item = self._block.pop(g)
        self._seek(g + self.num_workers)
        return item
