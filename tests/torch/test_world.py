from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperloader.torch import World
from hyperloader.torch._world import shard_positions


def _worlds(world_size: int, num_workers: int) -> list[World]:
    return [World(r, world_size, w, num_workers) for r in range(world_size)
            for w in range(num_workers)]


@given(n=st.integers(0, 200), ws=st.integers(1, 4), nw=st.integers(1, 4))
def test_shards_partition_the_pass_and_balance(n, ws, nw):
    shards = [shard_positions(n, w) for w in _worlds(ws, nw)]
    joined = np.sort(np.concatenate(shards))
    assert np.array_equal(joined, np.arange(n))  # nothing duplicated or dropped
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1
    per_rank = [sum(len(shard_positions(n, World(r, ws, w, nw))) for w in range(nw))
                for r in range(ws)]
    assert max(per_rank) - min(per_rank) <= 1


@given(n=st.integers(0, 200), ws=st.integers(1, 4), nw=st.integers(1, 4),
       mode=st.sampled_from(["drop_last", "even_shards"]))
def test_drop_last_and_even_shards_give_ranks_equal_counts(n, ws, nw, mode):
    kw = {mode: True}
    per_rank = [[len(shard_positions(n, World(r, ws, w, nw), **kw)) for w in range(nw)]
                for r in range(ws)]
    assert all(p == per_rank[0] for p in per_rank)  # same worker split -> same batch counts
    total = sum(per_rank[0]) * ws
    assert total == (n // ws * ws if mode == "drop_last" else -(-n // ws) * ws)
    joined = np.sort(np.concatenate([shard_positions(n, w, **kw) for w in _worlds(ws, nw)]))
    assert np.array_equal(joined, np.arange(total))


def test_round_robin_layout_is_rank_first():
    # rank r's worker w takes positions i with i % (ws*nw) == w*ws + r
    assert shard_positions(10, World(1, 2, 0, 2)).tolist() == [1, 5, 9]
    assert shard_positions(10, World(1, 2, 1, 2)).tolist() == [3, 7]


def test_world_validates():
    with pytest.raises(ValueError, match="rank"):
        World(2, 2)
    with pytest.raises(ValueError, match="worker_id"):
        World(0, 1, 3, 2)
    with pytest.raises(ValueError, match="at most one"):
        shard_positions(3, World(), drop_last=True, even_shards=True)


def test_detect_outside_workers_and_distributed():
    assert World.detect() == World()
    assert World.detect(1, 3) == World(1, 3, 0, 1)
