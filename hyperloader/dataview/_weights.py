"""Weighted rule sampling for infinite random views, as pure functions over numpy arrays.

Each item of a pass first draws its rule in proportion to the rule weights (one
vectorised ``rng.choice`` for the whole pass), then takes the next entry of that rule's
own cycle: the rule's entries with their groups shuffled, a fresh shuffle per cycle.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hyperloader.dataview._order import group_starts, grouped_permutation, make_rng

__all__ = ["normalised_weights", "rule_stream", "weighted_draw"]

_DRAW, _CYCLE = 1, 2  # key tags: keep the draw and cycle generators independent


def normalised_weights(rule_sizes: Sequence[int], weights: Sequence[float]) -> np.ndarray:
    """Return draw probabilities: weights of non-empty rules, normalised to sum to one.

    Raises:
        ValueError: when the lengths differ, a weight is negative or not finite, or no
            non-empty rule has a positive weight.
    """
    sizes = np.asarray(rule_sizes, np.int64)
    w = np.asarray(weights, np.float64)
    if sizes.shape != w.shape:
        raise ValueError(f"{len(sizes)} rule sizes but {len(w)} weights")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"rule weights must be finite and >= 0, got {w.tolist()}")
    w = np.where(sizes > 0, w, 0.0)
    total = w.sum()
    if total <= 0:
        raise ValueError("no rule with matching frames has a positive weight")
    return w / total


def weighted_draw(rule_sizes: Sequence[int], weights: Sequence[float], n: int, *, seed: int,
                  epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw the rule of each of ``n`` items in proportion to ``weights``.

    Args:
        rule_sizes: Number of entries of each rule (empty rules are never drawn).
        weights: Weight of each rule.
        n: Number of items to draw.
        seed: The view's random seed.
        epoch: The pass number.

    Returns:
        ``(rules, ordinals)``: the rule of each item, and how many earlier items drew the
        same rule (the item's position in that rule's stream).

    Raises:
        ValueError: see :func:`normalised_weights`.
    """
    p = normalised_weights(rule_sizes, weights)
    rules = make_rng(seed, epoch, _DRAW).choice(len(p), size=int(n), p=p)
    order = np.argsort(rules, kind="stable")
    counts = np.bincount(rules, minlength=len(p))
    first = np.cumsum(counts) - counts
    ordinals = np.empty(int(n), np.int64)
    ordinals[order] = np.arange(int(n), dtype=np.int64) - np.repeat(first, counts)
    return rules.astype(np.int64, copy=False), ordinals


def rule_stream(members: np.ndarray, member_groups: np.ndarray, ordinals: np.ndarray, *,
                seed: int, epoch: int, rule: int) -> np.ndarray:
    """Return the entries at ``ordinals`` of one rule's stream of shuffled cycles.

    Args:
        members: The rule's entry ids, in sequential order.
        member_groups: The group code of each member (non-decreasing).
        ordinals: Positions in the rule's stream; cycle ``c`` covers
            ``[c * len(members), (c + 1) * len(members))``.
        seed: The view's random seed.
        epoch: The pass number.
        rule: The rule's index (each rule has its own generators).
    """
    size = len(members)
    if size == 0 or len(ordinals) == 0:
        return np.empty(0, np.int64)
    starts = group_starts(member_groups)
    cycles = ordinals // size
    out = np.empty(len(ordinals), np.int64)
    for c in np.unique(cycles):
        sel = cycles == c
        perm = grouped_permutation(starts, make_rng(seed, epoch, _CYCLE, rule, int(c)))
        out[sel] = members[perm[ordinals[sel] - c * size]]
    return out
