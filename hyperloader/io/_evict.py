"""Eviction strategies: the order in which cached entries are given up.

A strategy is an ordering over the index's columns, behind a small registry, so the index
can stream victims from an SQL index and an eviction costs O(victims), not O(entries):

- ``last_used``: when any process last read the entry (seconds since the epoch);
- ``next_use``: the position of its next read in the known future order, ``NEVER`` when
  it is not read again or no order is known (see ``FutureOrder``);
- ``size``: its length in bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Candidate", "EvictionPolicy", "get_eviction", "register_eviction", "take_until"]
_ORDER = re.compile(r"^\s*(last_used|next_use|size)(\s+(ASC|DESC))?"
                    r"(\s*,\s*(last_used|next_use|size)(\s+(ASC|DESC))?)*\s*$", re.IGNORECASE)


class Candidate(NamedTuple):
    """One cached entry that may be evicted."""

    key: str
    uri: str
    size: int


@dataclass(frozen=True)
class EvictionPolicy:
    """Evict entries in ``order_by`` order (an SQL ordering over the columns above).

    Attributes:
        name: the registry name.
        order_by: e.g. ``"last_used"``; the oldest insertion breaks remaining ties.
        uses_future: whether the strategy reads ``next_use``.
    """

    name: str
    order_by: str
    uses_future: bool = False


_POLICIES: dict[str, EvictionPolicy] = {
    # least recently used first
    "lru": EvictionPolicy("lru", "last_used ASC"),
    # Belady / MIN: the entry read furthest in the future (or never) first; LRU breaks ties,
    # so without a known order this is LRU
    "belady": EvictionPolicy("belady", "next_use DESC, last_used ASC", uses_future=True),
}


def register_eviction(name: str, order_by: str, *, uses_future: bool = False) -> EvictionPolicy:
    """Make an ordering available as ``CacheOptions(eviction=name)``.

    Raises:
        ValueError: ``order_by`` names something other than last_used, next_use, size.
    """
    if not _ORDER.match(order_by):
        raise ValueError(f"eviction order {order_by!r} must order by last_used, next_use "
                         f"or size, each optionally ASC or DESC")
    policy = EvictionPolicy(name, order_by, uses_future)
    _POLICIES[name] = policy
    return policy


def get_eviction(name: str) -> EvictionPolicy:
    """Return the eviction strategy registered as ``name``.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.
    """
    try:
        return _POLICIES[name]
    except KeyError:
        known = ", ".join(sorted(_POLICIES))
        raise ValueError(f"unknown eviction strategy {name!r}; known: {known}") from None


def take_until(ranked: Iterable[Candidate], need: int) -> list[Candidate]:
    """Return the first entries of ``ranked`` whose sizes add up to at least ``need``."""
    chosen: list[Candidate] = []
    freed = 0
    if need <= 0:
        return chosen
    for cand in ranked:  # lazily: an SQL cursor is read only as far as needed
        chosen.append(cand)
        freed += cand.size
        if freed >= need:
            break
    return chosen
