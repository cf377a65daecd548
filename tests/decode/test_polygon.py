"""Splitting multi-part polygons and their bounding box."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperloader.decode import POLY_SEPARATOR, polygon_bbox_xyxy, polygon_parts

SEP = POLY_SEPARATOR


def test_separator_value():
    assert POLY_SEPARATOR == -999999999


def test_single_part():
    assert polygon_parts([1, 2, 3, 4, 5, 6]) == [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]


def test_multi_part_and_empty_parts_dropped():
    poly = [SEP, 1, 2, 3, 4, 5, 6, SEP, SEP, 7.5, 8, 9, 10, 11, 12, SEP]
    assert polygon_parts(poly) == [[1, 2, 3, 4, 5, 6], [7.5, 8, 9, 10, 11, 12]]
    assert polygon_parts([]) == []
    assert polygon_parts(np.array([SEP, SEP], float)) == []


def test_bbox_covers_every_part():
    poly = [10, 20, 30, 25, 15, 40, SEP, -5, 50, 2, 60, 8, 55]
    assert polygon_bbox_xyxy(poly) == (-5.0, 20.0, 30.0, 60.0)
    assert all(isinstance(v, float) for v in polygon_bbox_xyxy(poly))


def test_bbox_of_empty_polygon():
    with pytest.raises(ValueError, match="no vertices"):
        polygon_bbox_xyxy([SEP])


@pytest.mark.parametrize("poly, match", [
    ([1, 2, 3], "odd number of coordinates"),
    ([1, 2, 3, 4, SEP, 5], "part 1 has an odd"),
    ([1, 2, float("inf"), 4], "non-finite"),
    ("abc", "flat list of numbers"),
])
def test_malformed(poly, match):
    with pytest.raises(ValueError, match=match):
        polygon_parts(poly)


coords = st.lists(st.integers(-1000, 1000), min_size=1, max_size=6).map(
    lambda v: [float(c) for c in v + v])  # an even number of coordinates


@given(st.lists(coords, min_size=1, max_size=4))
def test_split_join_roundtrip(parts):
    flat = [v for i, p in enumerate(parts) for v in ([SEP] if i else []) + p]
    assert polygon_parts(flat) == parts
    xs = [v for p in parts for v in p[0::2]]
    ys = [v for p in parts for v in p[1::2]]
    assert polygon_bbox_xyxy(flat) == (min(xs), min(ys), max(xs), max(ys))
