from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperloader.torch import World, merge_states
from hyperloader.torch._state import remaining_positions, shard_state
from hyperloader.torch._world import shard_positions


def _run(remaining: np.ndarray, ws: int, nw: int, counts: list[int], layers, epoch=0):
    """Shard states of a run that consumed counts[k] items of shard k."""
    states = []
    for r in range(ws):
        for w in range(nw):
            world = World(r, ws, w, nw)
            k = world.shard_index
            states.append(shard_state(epoch=epoch, plan_size=10_000, layers=layers,
                                      num_shards=world.num_shards, shard=k,
                                      kept=int(remaining.size), position=counts[k]))
    return states


@given(n=st.integers(0, 120), worlds=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 3)),
                                              min_size=1, max_size=3), data=st.data())
def test_elastic_resume_consumes_each_position_exactly_once(n, worlds, data):
    layers: list = []
    delivered: list[int] = []
    for ws, nw in worlds:
        remaining = remaining_positions(n, layers)
        shards = {World(r, ws, w, nw).shard_index: shard_positions(remaining.size,
                                                                   World(r, ws, w, nw))
                  for r in range(ws) for w in range(nw)}
        counts = [data.draw(st.integers(0, len(shards[k]))) for k in range(ws * nw)]
        for k, c in enumerate(counts):
            delivered += remaining[shards[k][:c]].tolist()
        states = _run(remaining, ws, nw, counts, layers)
        merged = merge_states([{"rank_states": states}])
        layers = merged["layers"]
    delivered += remaining_positions(n, layers).tolist()
    assert sorted(delivered) == list(range(n))


def test_merge_needs_every_shard():
    states = _run(np.arange(10), 2, 1, [1, 1], [])
    with pytest.raises(ValueError, match=r"shards \[1\] are missing"):
        merge_states(states[:1])
    with pytest.raises(ValueError, match="no hyperloader.torch shard state"):
        merge_states([{"foo": 1}])


def test_merge_rejects_disagreeing_epochs():
    a = _run(np.arange(10), 2, 1, [1, 1], [], epoch=0)
    b = _run(np.arange(10), 2, 1, [1, 1], [], epoch=1)
    with pytest.raises(ValueError, match="disagree on 'epoch'"):
        merge_states([a[0], b[1]])


def test_stale_loader_snapshot_is_refused():
    states = _run(np.arange(10), 1, 1, [3], [])
    with pytest.raises(ValueError, match="snapshot_every_n_steps=1"):
        merge_states([{"_snapshot": {"w": states[0]}, "_steps_since_snapshot": 2}])


def test_drop_last_tail_counts_as_consumed():
    layer = {"num_shards": 2, "kept": 8, "counts": [1, 0]}
    assert remaining_positions(9, [layer]).tolist() == [1, 2, 3, 4, 5, 6, 7]
