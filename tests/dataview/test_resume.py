"""Resuming: iterator state (saved mid-epoch, restored in a fresh process) and offsets."""

from __future__ import annotations

import itertools
import json

import pytest

from hyperloader.dataview import DataView
from tests.dataview.dataview_data import TRAFFIC_ORDER, check_save_load_state, ids


def _traffic(view, **kwargs) -> DataView:
    dv = view(**kwargs)
    dv.add_query(dataset_name="traffic", version_name="v1")
    return dv


def _clips(view, **kwargs) -> DataView:
    dv = view(**kwargs)
    dv.add_query(dataset_name="clips", roi_query="a", weight=1.0)
    dv.add_query(dataset_name="clips", roi_query="b", weight=3.0)
    return dv


def test_state_is_a_small_json_dict(view):
    dv = _traffic(view, iteration_order="random", random_seed=8)
    it = dv.get_iterator()
    next(it)
    next(it)
    state = it.state_dict()
    assert set(state) == {"view_fingerprint", "seed", "epoch", "position", "num_workers",
                          "worker_index"}
    assert state["seed"] == 8 and state["epoch"] == 0 and state["position"] == 2
    assert len(json.dumps(state)) < 200


def test_save_mid_epoch_restore_in_fresh_process_sequential(view):
    check_save_load_state(_traffic(view), stop_after=3)


def test_save_mid_epoch_restore_in_fresh_process_random(view):
    check_save_load_state(_clips(view, iteration_order="random", random_seed=21),
                          stop_after=77)


def test_save_restore_weighted_infinite_across_epochs(view):
    dv = _clips(view, iteration_order="random", iteration_infinite=True, random_seed=2)
    state = check_save_load_state(dv, stop_after=250, total=420)
    assert state["epoch"] == 1 and state["position"] == 50


def test_save_restore_sharded(view):
    dv = _clips(view, iteration_order="random", random_seed=6)
    check_save_load_state(dv, stop_after=20, num_workers=3, worker_index=1)


def test_restore_in_same_process_and_state_dict_before_start(view):
    dv = _traffic(view, iteration_order="random", random_seed=1)
    full = ids(dv)
    fresh = dv.get_iterator()
    assert fresh.state_dict()["position"] == 0
    it = dv.get_iterator()
    head = ids(itertools.islice(it, 4))
    other = dv.get_iterator()
    other.load_state_dict(it.state_dict())
    assert head + ids(other) == full


def test_state_of_another_view_or_seed_is_rejected(view):
    state = _traffic(view, random_seed=1).get_iterator().state_dict()
    with pytest.raises(ValueError, match="seed"):
        _traffic(view, random_seed=2).get_iterator().load_state_dict(state)
    other = view(random_seed=1)
    other.add_query(dataset_name="traffic", version_name="v2")
    with pytest.raises(ValueError, match="view_fingerprint"):
        other.get_iterator().load_state_dict(state)
    with pytest.raises(ValueError, match="num_workers"):
        _traffic(view, random_seed=1).get_iterator(num_workers=2).load_state_dict(state)


def test_set_initial_iteration_skips_the_first_items(view):
    dv = _traffic(view, iteration_infinite=True)
    dv.set_iteration_parameters(maximum_number_of_frames=11)
    dv.set_initial_iteration(4)
    assert dv.get_current_iteration() == 4
    assert ids(dv) == (TRAFFIC_ORDER * 2)[4:11]
    shards = [ids(dv.get_iterator(num_workers=2, worker_index=i)) for i in range(2)]
    assert shards == [(TRAFFIC_ORDER * 2)[4:11:2], (TRAFFIC_ORDER * 2)[5:11:2]]


def test_get_current_iteration_counts_what_was_read(view):
    dv = _traffic(view)
    assert dv.get_current_iteration() == 0
    it = iter(dv)
    next(it)
    next(it)
    assert dv.get_current_iteration() == 2
    dv.set_initial_iteration(dv.get_current_iteration())
    assert ids(dv) == TRAFFIC_ORDER[2:]
    assert dv.get_current_iteration() == 6


def test_bad_initial_iteration(view):
    with pytest.raises(ValueError, match="initial iteration"):
        _traffic(view).set_initial_iteration(-1)
