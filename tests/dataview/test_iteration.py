"""Order semantics: sequential, random, infinite epochs, weights, limits and sharding."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from hyperloader.dataview import DataView, IterationOrder
from hyperloader.dataview._order import order_random
from tests.dataview.dataview_data import TRAFFIC_ORDER, ids


def _clips(view, **kwargs) -> DataView:
    dv = view(**kwargs)
    dv.add_query(dataset_name="clips", roi_query="a")
    dv.add_query(dataset_name="clips", roi_query="b")
    return dv


def _check_grouped(frames) -> list[str]:
    """Assert contexts are contiguous runs in timestamp order; return the context order."""
    contexts = [f.context_id for f in frames]
    runs = [k for k, _ in itertools.groupby(contexts)]
    assert len(runs) == len(set(runs)), "a context appears in two runs"
    for ctx in runs:
        stamps = [(f.timestamp, f.id) for f in frames if f.context_id == ctx]
        assert stamps == sorted(stamps)
    return runs


def test_sequential_order_by_context_then_timestamp_then_id(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1")
    assert ids(dv) == TRAFFIC_ORDER
    assert ids(dv.get_iterator()) == TRAFFIC_ORDER
    assert ids(dv.to_list()) == TRAFFIC_ORDER


def test_sequential_over_two_versions_merges_contexts(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v2", roi_query="Bus")
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Person")
    assert ids(dv) == ["f7", "f2"]  # both in context A: f7 at 1, f2 at 10


def test_random_order_keeps_groups_and_timestamp_order(view):
    dv = _clips(view, iteration_order="random", random_seed=11)
    frames = list(dv)
    assert sorted(ids(frames)) == sorted(ids(_clips(view))) and len(frames) == 200
    runs = _check_grouped(frames)
    assert runs != sorted(runs)


def test_random_order_is_the_seeded_group_permutation(view):
    dv = _clips(view, iteration_order=IterationOrder.random, random_seed=5)
    starts = dv.entry_table().starts
    assert dv.plan(0).tolist() == order_random(starts, seed=5, epoch=0).tolist()
    assert dv.plan(0).tolist() == dv.plan(0).tolist()


def test_same_seed_same_stream_new_seed_new_permutation(view):
    a = ids(_clips(view, iteration_order="random", random_seed=1))
    assert ids(_clips(view, iteration_order="random", random_seed=1)) == a
    assert ids(_clips(view, iteration_order="random", random_seed=2)) != a


def test_infinite_views_reshuffle_each_epoch(view):
    dv = view(iteration_order="random", random_seed=3, iteration_infinite=True)
    dv.add_query(dataset_name="clips")
    stream = list(itertools.islice(iter(dv), 600))
    epochs = [ids(stream[i * 200:(i + 1) * 200]) for i in range(3)]
    for e in epochs:
        assert sorted(e) == sorted(epochs[0])
    assert epochs[0] != epochs[1] != epochs[2]
    assert dv.plan(1).tolist() == order_random(dv.entry_table().starts, seed=3,
                                               epoch=1).tolist()


def test_infinite_sequential_repeats_the_pass(view):
    dv = view(iteration_infinite=True)
    dv.add_query(dataset_name="traffic", version_name="v1")
    assert ids(itertools.islice(iter(dv), 14)) == (TRAFFIC_ORDER * 3)[:14]


@pytest.mark.parametrize(("limit", "expected"), [(4, TRAFFIC_ORDER[:4]), (99, TRAFFIC_ORDER),
                                                 (0, [])])
def test_maximum_number_of_frames_finite(view, limit, expected):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1")
    dv.set_iteration_parameters(maximum_number_of_frames=limit)
    assert ids(dv) == expected
    assert len(dv) == len(expected)
    assert dv.get_count() == 6


def test_maximum_number_of_frames_infinite_stops_after_n(view):
    dv = view(iteration_infinite=True)
    dv.add_query(dataset_name="traffic", version_name="v1")
    dv.set_iteration_parameters(maximum_number_of_frames=9)
    assert ids(dv) == (TRAFFIC_ORDER * 2)[:9]
    assert len(dv) == 9 and ids(dv.to_list()) == (TRAFFIC_ORDER * 2)[:9]


def test_weights_one_to_five_converge_to_five(view):
    dv = view(iteration_order="random", iteration_infinite=True, random_seed=17)
    dv.add_query(dataset_name="clips", roi_query="a", weight=1.0)
    dv.add_query(dataset_name="clips", roi_query="b", weight=5.0)
    n = 12_000
    dv.set_iteration_parameters(maximum_number_of_frames=n)
    labels = [f.rois[0].labels[0] for f in dv]
    assert len(labels) == n
    n_b = labels.count("b")
    p = 5 / 6
    std = math.sqrt(n * p * (1 - p))  # binomial std of the count of 'b'
    assert abs(n_b - n * p) < 4 * std
    ratio = n_b / (n - n_b)
    # ratio = x / (1 - x): its std by the delta method is std_x / (1 - p)^2
    assert abs(ratio - 5) < 4 * (std / n) / (1 - p) ** 2


def test_weighted_pass_interleaves_rules_each_in_its_own_grouped_cycle(view):
    dv = view(iteration_order="random", iteration_infinite=True, random_seed=4)
    dv.add_query(dataset_name="clips", roi_query="a", weight=1.0)
    dv.add_query(dataset_name="clips", roi_query="b", weight=1.0)
    plan = dv.plan(0)
    assert len(plan) == dv.num_entries() == len(dv) == 200
    assert plan.tolist() == dv.plan(0).tolist() != dv.plan(1).tolist()
    frames = dv.get_entries(plan)
    labels = [f.rois[0].labels[0] for f in frames]
    assert labels[:50] != sorted(labels[:50])  # rules interleave
    a_only = [f for f in frames if f.rois[0].labels == ["a"]][:100]
    _check_grouped(a_only)  # rule 'a' runs through a grouped permutation of its frames


def test_finite_views_ignore_weights(view):
    dv = view(iteration_order="random", random_seed=4)
    dv.add_query(dataset_name="clips", roi_query="a", weight=1.0)
    dv.add_query(dataset_name="clips", roi_query="b", weight=50.0)
    labels = [f.rois[0].labels[0] for f in dv]
    assert labels.count("a") == labels.count("b") == 100


def test_sharding_disjoint_balanced_union_is_the_single_stream(view):
    dv = _clips(view, iteration_order="random", random_seed=9)
    single = ids(dv)
    shards = [ids(dv.get_iterator(num_workers=3, worker_index=i)) for i in range(3)]
    assert [len(s) for s in shards] == [67, 67, 66]
    assert sum(shards, []) != single and sorted(sum(shards, [])) == sorted(single)
    assert set(shards[0]).isdisjoint(shards[1]) and set(shards[1]).isdisjoint(shards[2])
    interleaved = [s[k] for k in range(67) for s in shards if k < len(s)]
    assert interleaved == single


def test_sharding_an_infinite_limited_stream(view):
    dv = view(iteration_infinite=True)
    dv.add_query(dataset_name="traffic", version_name="v1")
    dv.set_iteration_parameters(maximum_number_of_frames=10)
    shards = [ids(dv.get_iterator(num_workers=4, worker_index=i)) for i in range(4)]
    single = (TRAFFIC_ORDER * 2)[:10]
    assert [len(s) for s in shards] == [3, 3, 2, 2]
    assert shards[0] == [single[0], single[4], single[8]]
    assert sorted(sum(shards, [])) == sorted(single)


def test_bad_worker_index(view):
    dv = _clips(view)
    with pytest.raises(ValueError, match="worker_index"):
        dv.get_iterator(num_workers=2, worker_index=2)


def test_bad_iteration_order_lists_the_known_values(view):
    with pytest.raises(ValueError, match="'sequential', 'random'"):
        view(iteration_order="shuffled")
    dv = view()
    with pytest.raises(ValueError, match="'sequential', 'random'"):
        dv.set_iteration_parameters(order="backwards")
    assert IterationOrder("RANDOM") is IterationOrder.random


@pytest.mark.parametrize("kwargs", [{"maximum_number_of_frames": -1}, {"random_seed": -5},
                                    {"maximum_number_of_frames": 2.5}])
def test_bad_iteration_parameters(view, kwargs):
    with pytest.raises(ValueError, match="must be an int >= 0"):
        view().set_iteration_parameters(**kwargs)


def test_empty_views_yield_nothing_even_when_infinite(view):
    dv = view(iteration_infinite=True, iteration_order="random")
    dv.add_query(dataset_name="traffic", version_name="v1", roi_query="Bicycle")
    assert list(dv) == [] and len(dv) == 0 and dv.plan(0).tolist() == []


def test_plan_is_int64_and_entries_decode_in_the_order_asked(view):
    dv = view()
    dv.add_query(dataset_name="traffic", version_name="v1")
    plan = dv.plan()
    assert plan.dtype == np.int64 and plan.tolist() == list(range(6))
    assert ids(dv.get_entries([5, 0, 3])) == ["f5", "f4", "f3"]
    with pytest.raises(IndexError, match="entry id 6"):
        dv.get_entries([6])
