"""Property tests of the pure ordering algorithms and the epoch-order registry."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperloader.dataview import EPOCH_ORDERS, get_epoch_order, order_random, order_sequential
from hyperloader.dataview._order import group_starts, make_rng

items = st.lists(st.tuples(st.integers(0, 4), st.integers(-3, 3), st.integers(0, 6),
                           st.integers(0, 2)), max_size=60)
sizes = st.lists(st.integers(1, 6), max_size=30)


def _starts(group_sizes: list[int]) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(group_sizes))).astype(np.int64)


@settings(deadline=None)
@given(items)
def test_order_sequential_equals_lexsort(rows):
    codes, ts, ids, tie = (np.array([r[i] for r in rows], np.int64) for i in range(4))
    str_ids = np.array([f"id{i}" for i in ids])
    expected = np.lexsort((tie, str_ids, ts, codes))
    assert order_sequential(codes, ts, str_ids, tie).tolist() == expected.tolist()
    arrow_ids = pa.array(str_ids.tolist(), pa.string())
    assert order_sequential(codes, ts, arrow_ids, tie).tolist() == expected.tolist()


@settings(deadline=None)
@given(items)
def test_order_sequential_groups_are_contiguous_and_time_ordered(rows):
    codes = np.array([r[0] for r in rows], np.int64)
    ts = np.array([r[1] for r in rows], np.int64)
    order = order_sequential(codes, ts, np.array([r[2] for r in rows]))
    assert sorted(order.tolist()) == list(range(len(rows)))
    keys = list(zip(codes[order].tolist(), ts[order].tolist(), strict=True))
    assert keys == sorted(keys)


def test_order_sequential_known_example():
    codes = np.array([1, 0, 1, 0, 2, 0])
    ts = np.array([20, 10, 10, 5, 0, 10])
    ids = np.array(["f1", "f2", "f3", "f4", "f5", "f6"])
    assert order_sequential(codes, ts, ids).tolist() == [3, 1, 5, 2, 0, 4]


def test_order_sequential_huge_timestamps_fall_back_to_lexsort():
    ts = np.array([2**62, -(2**62), 0], np.int64)
    assert order_sequential(np.array([0, 0, 0]), ts, np.array(["a", "b", "c"])).tolist() == [
        1, 2, 0]


@settings(deadline=None)
@given(sizes, st.integers(0, 2**32), st.integers(0, 50))
def test_order_random_is_a_grouped_permutation(group_sizes, seed, epoch):
    starts = _starts(group_sizes)
    order = order_random(starts, seed=seed, epoch=epoch)
    assert sorted(order.tolist()) == list(range(int(starts[-1])))
    groups = np.searchsorted(starts, order, side="right") - 1
    run_heads = np.flatnonzero(np.diff(groups, prepend=-1) != 0)
    # every group is one contiguous run ...
    assert sorted(groups[run_heads].tolist()) == list(range(len(group_sizes)))
    # ... holding the group's items in their stored (timestamp) order
    for head in run_heads.tolist():
        g = groups[head]
        run = order[head:head + group_sizes[g]]
        assert run.tolist() == list(range(starts[g], starts[g + 1]))


@settings(deadline=None)
@given(sizes, st.integers(0, 2**32), st.integers(0, 50))
def test_order_random_is_deterministic(group_sizes, seed, epoch):
    starts = _starts(group_sizes)
    a = order_random(starts, seed=seed, epoch=epoch)
    b = order_random(starts.copy(), seed=seed, epoch=epoch)
    assert a.tolist() == b.tolist()


def test_order_random_uses_pcg64_seeded_with_seed_and_epoch():
    starts = _starts([1] * 10)
    expected = np.random.Generator(np.random.PCG64([7, 3])).permutation(10)
    assert order_random(starts, seed=7, epoch=3).tolist() == expected.tolist()


def test_order_random_changes_with_seed_and_epoch():
    starts = _starts([2] * 40)
    base = order_random(starts, seed=1, epoch=0).tolist()
    assert order_random(starts, seed=2, epoch=0).tolist() != base
    assert order_random(starts, seed=1, epoch=1).tolist() != base


def test_group_starts():
    assert group_starts(np.array([0, 0, 1, 3, 3, 3])).tolist() == [0, 2, 3, 6]
    assert group_starts(np.array([], np.int64)).tolist() == [0]


def test_registry_dispatches_and_lists_known_names():
    assert set(EPOCH_ORDERS) == {"sequential", "random"}
    starts = _starts([2, 1])
    assert get_epoch_order("sequential")(starts, seed=0, epoch=0).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="known orders: random, sequential") as info:
        get_epoch_order("shuffle")
    assert not isinstance(info.value, KeyError)


def test_make_rng_rejects_negative_seeds():
    with pytest.raises(ValueError, match="non-negative"):
        make_rng(-1, 0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**40), st.integers(0, 5))
def test_rng_streams_of_different_keys_differ(seed, epoch):
    a = make_rng(seed, epoch).integers(0, 2**62, 4)
    b = make_rng(seed, epoch, 1).integers(0, 2**62, 4)
    assert a.tolist() != b.tolist()
