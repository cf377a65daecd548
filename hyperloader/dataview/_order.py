"""Pure ordering algorithms over numpy arrays, and the registry of per-epoch orders.

Entries of a plan are stored in sequential order (context, timestamp, id), so an epoch
order is a permutation of ``range(n)`` computed from the group boundaries alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "EPOCH_ORDERS",
    "get_epoch_order",
    "group_starts",
    "grouped_permutation",
    "make_rng",
    "order_random",
    "order_sequential",
    "sequential_pass",
]


def make_rng(seed: int, *key: int) -> np.random.Generator:
    """Return a PCG64 generator seeded with ``(seed, *key)`` (e.g. ``(seed, epoch)``).

    Raises:
        ValueError: when the seed or a key is negative.
    """
    words = [int(seed), *(int(k) for k in key)]
    if any(w < 0 for w in words):
        raise ValueError(f"seeds and epochs must be non-negative integers, got {words}")
    return np.random.Generator(np.random.PCG64(words))


def order_sequential(group_codes: np.ndarray, timestamps: np.ndarray, ids: Any,
                     *tie_breakers: np.ndarray) -> np.ndarray:
    """Return the stable order by (group code, timestamp, id, *tie_breakers).

    It equals ``np.lexsort((*reversed(tie_breakers), ids, timestamps, group_codes))`` but
    looks at ``ids`` only where (group code, timestamp) ties, which is rare, so string ids
    are never ranked wholesale.

    Args:
        group_codes: Integer code of each item's context; codes sort like the context ids.
        timestamps: Integer timestamp of each item.
        ids: The frame ids: a numpy array or a pyarrow string array.
        *tie_breakers: Further integer keys, most significant first.

    Returns:
        int64 indices into the inputs, in sequential order.
    """
    codes = np.asarray(group_codes, np.int64)
    ts = np.asarray(timestamps, np.int64)
    order = _by_code_and_time(codes, ts)
    c, t = codes[order], ts[order]
    tie = (c[1:] == c[:-1]) & (t[1:] == t[:-1])
    if not tie.any():
        return order
    in_run = np.zeros(len(order), bool)
    in_run[1:] |= tie
    in_run[:-1] |= tie
    sub = np.flatnonzero(in_run)
    run = np.cumsum(~np.concatenate(([False], tie)))[sub]
    picked = order[sub]
    keys = [np.asarray(k)[picked] for k in reversed(tie_breakers)]
    perm = np.lexsort((*keys, _ranks(ids, picked), run))
    order[sub] = picked[perm]
    return order


def _by_code_and_time(codes: np.ndarray, ts: np.ndarray) -> np.ndarray:
    if len(codes) == 0:
        return np.zeros(0, np.int64)
    lo, span = int(ts.min()), int(ts.max()) - int(ts.min()) + 1
    if int(codes.min()) >= 0 and (int(codes.max()) + 1) * span < 2**63:
        key = codes * np.int64(span) + (ts - np.int64(lo))
        return np.argsort(key, kind="stable").astype(np.int64, copy=False)
    return np.lexsort((ts, codes)).astype(np.int64, copy=False)


def _ranks(ids: Any, picked: np.ndarray) -> np.ndarray:
    if isinstance(ids, (pa.Array, pa.ChunkedArray)):
        taken = ids.take(pa.array(picked))
        return pc.rank(taken, sort_keys="ascending", tiebreaker="dense").to_numpy()
    return np.unique(np.asarray(ids)[picked], return_inverse=True)[1].reshape(-1)


def group_starts(sorted_codes: np.ndarray) -> np.ndarray:
    """Return the start offset of each run of equal codes, plus ``len(sorted_codes)``."""
    n = len(sorted_codes)
    if n == 0:
        return np.zeros(1, np.int64)
    change = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1
    return np.concatenate(([0], change, [n])).astype(np.int64, copy=False)


def grouped_permutation(starts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shuffle whole groups with ``rng``, keeping each group's items in their order.

    Args:
        starts: Group boundaries as returned by :func:`group_starts`.
        rng: The generator that draws the group permutation.

    Returns:
        A permutation of ``range(starts[-1])`` (int64).
    """
    starts = np.asarray(starts, np.int64)
    sizes = np.diff(starts)
    perm = rng.permutation(len(sizes))
    new_sizes = sizes[perm]
    new_starts = np.cumsum(new_sizes) - new_sizes
    shift = np.repeat(starts[:-1][perm] - new_starts, new_sizes)
    return np.arange(int(starts[-1]), dtype=np.int64) + shift


def order_random(starts: np.ndarray, *, seed: int, epoch: int) -> np.ndarray:
    """Return the random order of one epoch: groups shuffled by PCG64 seeded with (seed, epoch).

    Args:
        starts: Group boundaries of entries stored in sequential order.
        seed: The view's random seed.
        epoch: The pass number; each epoch gets a fresh permutation.
    """
    return grouped_permutation(starts, make_rng(seed, epoch))


def sequential_pass(starts: np.ndarray, *, seed: int, epoch: int) -> np.ndarray:
    """Return the sequential order of one epoch: the stored order, ``range(n)``."""
    del seed, epoch
    return np.arange(int(np.asarray(starts)[-1]), dtype=np.int64)


EPOCH_ORDERS: dict[str, Callable[..., np.ndarray]] = {
    "random": order_random,
    "sequential": sequential_pass,
}


def get_epoch_order(name: str) -> Callable[..., np.ndarray]:
    """Return the epoch order registered under ``name``.

    Raises:
        ValueError: listing the known names when ``name`` is unknown.
    """
    try:
        return EPOCH_ORDERS[str(name)]
    except KeyError:
        known = ", ".join(sorted(EPOCH_ORDERS))
        raise ValueError(f"unknown iteration order {name!r}; known orders: {known}") from None
