"""Resume state of an iterable pass: per-shard positions, folded into layers for elastic resume.

The pass of epoch ``e`` is the view's plan ``dv.plan(e)``, recomputed, never saved. A resumed
pass is described by *layers*: each layer records the shard layout of an interrupted run
(``num_shards``, how many positions the run kept after ``drop_last``) and how many items
each shard had consumed. Folding the layers over ``range(len(plan))`` gives the positions
still to deliver; the next run shards that remainder under its own world. A saved run of
any world size and worker count therefore resumes under any other, and the state stays
a handful of integers per shard.

A shard's own state (what ``StatefulDataLoader`` keeps per worker) is::

    {"format": "hyperloader.torch/1", "epoch": 3, "plan_size": 1000, "layers": [...],
     "num_shards": 4, "shard": 1, "kept": 1000, "position": 17}

:func:`merge_states` turns the shard states of every rank and worker into one *global*
state (the same keys less ``num_shards``/``shard``/``kept``/``position``), which
``FrameIterableDataset.load_state_dict`` accepts under any world.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["FORMAT", "is_shard_state", "merge_states", "remaining_positions", "shard_state"]

FORMAT = "hyperloader.torch/1"


def remaining_positions(plan_size: int, layers: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """Return the plan positions still to deliver after the interrupted runs in ``layers``.

    Args:
        plan_size: Length of the epoch's plan.
        layers: Interrupted runs, oldest first, each ``{"num_shards", "kept", "counts"}``.

    Returns:
        int64 positions into the plan, in plan order.
    """
    remaining = np.arange(int(plan_size), dtype=np.int64)
    for layer in layers:
        m = remaining.size
        keep = np.ones(m, dtype=bool)
        num_shards = int(layer["num_shards"])
        for shard, count in enumerate(layer["counts"]):
            taken = np.arange(shard, shard + int(count) * num_shards, num_shards)
            keep[taken[taken < m]] = False  # positions >= m were padding repeats
        kept = layer.get("kept")
        if kept is not None:
            keep[int(kept):] = False  # drop_last: the run never meant to deliver these
        remaining = remaining[keep]
    return remaining


def shard_state(*, epoch: int, plan_size: int | None, layers: list[dict[str, Any]],
                num_shards: int, shard: int, kept: int | None, position: int) -> dict[str, Any]:
    """Return one shard's JSON-serialisable state."""
    return {"format": FORMAT, "epoch": int(epoch),
            "plan_size": None if plan_size is None else int(plan_size),
            "layers": copy.deepcopy(layers), "num_shards": int(num_shards), "shard": int(shard),
            "kept": None if kept is None else int(kept), "position": int(position)}


def is_shard_state(state: Mapping[str, Any]) -> bool:
    """Return True for one shard's state, False for a merged (global) state.

    Raises:
        ValueError: when ``state`` is not a hyperloader torch state at all.
    """
    if not isinstance(state, Mapping) or state.get("format") != FORMAT:
        raise ValueError(f"not a hyperloader.torch state (expected format {FORMAT!r}); got "
                         f"keys {sorted(state) if isinstance(state, Mapping) else type(state)}")
    return "shard" in state


def _collect(obj: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(obj, Mapping):
        if obj.get("format") == FORMAT:
            out.append(dict(obj))
            return
        if obj.get("_steps_since_snapshot", 0):
            raise ValueError("the loader state was taken between snapshots; create the "
                             "StatefulDataLoader with snapshot_every_n_steps=1 to merge it")
        for value in obj.values():
            _collect(value, out)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _collect(value, out)


def merge_states(states: Iterable[Any]) -> dict[str, Any]:
    """Fold the shard states of one interrupted run into a global, world-independent state.

    Args:
        states: Anything holding the shard states of every rank and worker of the run, e.g.
            each rank's ``StatefulDataLoader.state_dict()``; shard states are found inside.

    Returns:
        ``{"format", "epoch", "plan_size", "layers"}``, with the run appended as a layer.

    Raises:
        ValueError: when shards are missing or disagree on the epoch, plan or layout.
    """
    found: list[dict[str, Any]] = []
    _collect(list(states), found)
    shards = [s for s in found if "shard" in s]
    if not shards:
        merged = [s for s in found if "shard" not in s]
        if len(merged) == 1:
            return merged[0]
        raise ValueError(f"found no hyperloader.torch shard state in the {len(found)} "
                         "states given")
    first = shards[0]
    for key in ("epoch", "layers", "num_shards"):
        values = {repr(s[key]) for s in shards}
        if len(values) > 1:
            raise ValueError(f"shard states disagree on {key!r}: {sorted(values)}")
    plan_sizes = {s["plan_size"] for s in shards} - {None}
    kepts = {s["kept"] for s in shards} - {None}
    if len(plan_sizes) > 1 or len(kepts) > 1:
        raise ValueError(f"shard states disagree on the plan: sizes {sorted(plan_sizes)}, "
                         f"kept {sorted(kepts)}")
    num_shards = int(first["num_shards"])
    counts: dict[int, int] = {}
    for s in shards:
        prev = counts.setdefault(int(s["shard"]), int(s["position"]))
        if prev != int(s["position"]):
            raise ValueError(f"shard {s['shard']} appears twice with positions {prev} and "
                             f"{s['position']}")
    missing = sorted(set(range(num_shards)) - set(counts))
    if missing:
        raise ValueError(f"the run had {num_shards} shards (ranks x workers) but the states of "
                         f"shards {missing} are missing; pass every rank's state")
    layers = copy.deepcopy(first["layers"])
    if any(counts.values()) or kepts:
        layers.append({"num_shards": num_shards, "kept": next(iter(kepts), None),
                       "counts": [counts[i] for i in range(num_shards)]})
    return {"format": FORMAT, "epoch": int(first["epoch"]),
            "plan_size": next(iter(plan_sizes), None), "layers": layers}
