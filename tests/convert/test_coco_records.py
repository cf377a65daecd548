"""COCO record ids: unique, a frame's or ROI's own number kept when free, compactly held."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from hyperloader.convert import IdAllocator

_PREFERRED = st.one_of(
    st.none(), st.sampled_from(["", "abc", "007", "-3", "1.5", "²", "٣"]),
    st.integers(0, 300).map(str), st.integers(0, 10**12).map(str))


def _reference(preferred: list[str | None]) -> list[int]:
    """The allocator as a plain set of used ids (what it was before it held bits)."""
    used, nxt, out = set(), 1, []
    for p in preferred:
        if p and p.isascii() and p.isdigit() and str(int(p)) == p and int(p) not in used:
            value = int(p)
        else:
            while nxt in used:
                nxt += 1
            value = nxt
        used.add(value)
        out.append(value)
    return out


@given(st.lists(_PREFERRED, max_size=200))
def test_ids_are_unique_and_keep_free_numbers(preferred):
    ids = IdAllocator()
    got = [ids.take(p) for p in preferred]
    assert got == _reference(preferred)
    assert len(set(got)) == len(got)


def test_far_and_near_ids_do_not_collide():
    ids = IdAllocator()
    assert [ids.take(p) for p in ("5000000", "1", "1", None, "5000000", "70000")] == [
        5000000, 1, 2, 3, 4, 70000]
    assert [ids.take() for _ in range(3)] == [5, 6, 7]


def test_ids_are_held_as_bits_not_a_set():
    tracemalloc.start()
    try:
        ids = IdAllocator()
        for i in range(1, 50_001):  # a set of these would hold over 3 MB
            ids.take(str(i))
        ids.take("999999999999")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000, peak
