"""Weighted rule draws: pure-function properties and the 1:5 ratio through a DataView."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperloader.dataview import weighted_draw
from hyperloader.dataview._weights import normalised_weights, rule_stream


@settings(deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=5), st.integers(0, 300),
       st.integers(0, 2**32), st.integers(0, 9))
def test_weighted_draw_ordinals_count_each_rules_draws(rule_sizes, n, seed, epoch):
    weights = [1.0] * len(rule_sizes)
    if sum(rule_sizes) == 0:
        with pytest.raises(ValueError, match="positive weight"):
            weighted_draw(rule_sizes, weights, n, seed=seed, epoch=epoch)
        return
    rules, ordinals = weighted_draw(rule_sizes, weights, n, seed=seed, epoch=epoch)
    again = weighted_draw(rule_sizes, weights, n, seed=seed, epoch=epoch)
    assert rules.tolist() == again[0].tolist() and ordinals.tolist() == again[1].tolist()
    for r, size in enumerate(rule_sizes):
        mine = ordinals[rules == r].tolist()
        assert mine == list(range(len(mine)))
        if size == 0:
            assert mine == []


def test_weighted_draw_converges_to_the_weights():
    n = 60_000
    rules, _ = weighted_draw([10, 10], [1.0, 5.0], n, seed=3, epoch=0)
    p = 5 / 6
    std = math.sqrt(n * p * (1 - p))
    assert abs(np.sum(rules == 1) - n * p) < 5 * std


@pytest.mark.parametrize("weights", [[-1.0, 1.0], [math.nan, 1.0], [0.0, 0.0]])
def test_bad_weights(weights):
    with pytest.raises(ValueError, match="weight"):
        normalised_weights([3, 3], weights)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=8), st.integers(0, 40),
       st.integers(0, 2**20))
def test_rule_stream_cycles_through_every_member(group_sizes, extra, seed):
    groups = np.repeat(np.arange(len(group_sizes)), group_sizes)
    members = np.arange(len(groups)) * 10
    size = len(members)
    out = rule_stream(members, groups, np.arange(2 * size + extra), seed=seed, epoch=0, rule=0)
    assert sorted(out[:size].tolist()) == members.tolist()          # a full cycle ...
    assert sorted(out[size:2 * size].tolist()) == members.tolist()  # ... and another
    # inside a cycle, a group's members stay contiguous and in order
    cycle = out[:size] // 10
    assert [groups[c] for c in cycle] == sorted([groups[c] for c in cycle], key=[
        groups[c] for c in cycle].index)
