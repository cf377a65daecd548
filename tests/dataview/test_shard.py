"""Property tests of the strided sharding arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperloader.dataview import shard


@settings(deadline=None)
@given(st.integers(0, 200), st.integers(1, 9))
def test_shards_are_disjoint_balanced_and_cover_everything(n, w):
    parts = [shard(n, w, i) for i in range(w)]
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(n))
    assert len(set(joined.tolist())) == n
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1


@settings(deadline=None)
@given(st.integers(0, 200), st.integers(1, 9))
def test_round_robin_over_shards_gives_back_the_single_order(n, w):
    parts = [shard(n, w, i).tolist() for i in range(w)]
    interleaved = [p[k] for k in range(max(map(len, parts), default=0)) for p in parts
                   if k < len(p)]
    assert interleaved == list(range(n))


def test_known_shards():
    assert shard(7, 3, 0).tolist() == [0, 3, 6]
    assert shard(7, 3, 2).tolist() == [2, 5]


@pytest.mark.parametrize(("w", "i"), [(0, 0), (2, 2), (2, -1)])
def test_bad_shard_arguments(w, i):
    with pytest.raises(ValueError, match="num_workers|worker_index"):
        shard(10, w, i)
