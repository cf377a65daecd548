"""The order of one pass (epoch) over a plan's entries.

Sequential views pass over the entries in stored order. Random views shuffle whole
groups per epoch. Infinite random views with several rules draw each item's rule by
weight (see ``_weights``); finite views and infinite sequential views ignore weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hyperloader.dataview._enums import IterationOrder
from hyperloader.dataview._order import get_epoch_order
from hyperloader.dataview._plan import EntryTable
from hyperloader.dataview._weights import rule_stream, weighted_draw

__all__ = ["epoch_order", "is_weighted", "weighted_pass"]


def is_weighted(order: IterationOrder | str, infinite: bool, n_rules: int) -> bool:
    """Whether a pass draws rules by weight: infinite random views with several rules."""
    return IterationOrder(order) is IterationOrder.random and infinite and n_rules > 1


def weighted_pass(entries: EntryTable, weights: Sequence[float], n: int, *, seed: int,
                  epoch: int) -> np.ndarray:
    """Return ``n`` entry ids, each from a rule drawn in proportion to ``weights``.

    Raises:
        ValueError: when no rule with entries has a positive weight.
    """
    rules, ordinals = weighted_draw(entries.rule_counts, weights, n, seed=seed, epoch=epoch)
    out = np.empty(n, np.int64)
    groups = entries.groups()
    for r in range(len(weights)):
        sel = rules == r
        if sel.any():
            members = entries.rule_members(r)
            out[sel] = rule_stream(members, groups[members], ordinals[sel], seed=seed,
                                   epoch=epoch, rule=r)
    return out


def epoch_order(entries: EntryTable, *, order: IterationOrder | str, infinite: bool,
                seed: int, epoch: int, weights: Sequence[float]) -> np.ndarray:
    """Return the entry ids of pass ``epoch`` in order; its length is ``len(entries)``.

    Raises:
        ValueError: for an unknown order name (listing the known ones) or unusable weights.
    """
    if len(entries) == 0:
        return np.zeros(0, np.int64)
    if is_weighted(order, infinite, len(weights)):
        return weighted_pass(entries, weights, len(entries), seed=seed, epoch=epoch)
    return get_epoch_order(IterationOrder(order).value)(entries.starts, seed=seed, epoch=epoch)
