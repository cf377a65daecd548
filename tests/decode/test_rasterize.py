"""rasterize_polygon must agree pixel for pixel with pycocotools."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools import _mask as coco_c
from pycocotools import mask as coco

from hyperloader.decode import POLY_SEPARATOR, polygon_parts, rasterize_polygon, rasterize_polygons

# pycocotools' Cython decode trips numpy 2's __array__(copy=...) deprecation; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")

# Frame 287024: a multi-part polygon on a 427 x 640 (w x h) image.
REFERENCE = [174, 189, 149, 152, 117, 107, 91, 72, 68, 45, 57, 33, 53, 30, 49, 32, 48, 34, 46,
             35, 46, 37, 84, 92, 112, 128, 143, 166, 166, 191, 170, 203, 178, 196, 179, 194,
             -999999999, 194, 238, 204, 250, 212, 250, 221, 250, 223, 249, 206, 230, 205, 230]


def coco_mask(parts: list[list[float]], h: int, w: int) -> np.ndarray:
    """The reference: mask.decode(mask.merge(mask.frPyObjects(parts, h, w)))."""
    return coco.decode(coco.merge(coco.frPyObjects(parts, h, w)))


def coco_poly_mask(parts: list[list[float]], h: int, w: int) -> np.ndarray:
    """rleFrPoly on every part, also for parts frPyObjects would misread as a box."""
    return coco.decode(coco.merge(coco_c.frPoly(parts, h, w)))


def join(parts: list[list[float]]) -> list[float]:
    flat: list[float] = []
    for i, part in enumerate(parts):
        flat += ([POLY_SEPARATOR] if i else []) + list(part)
    return flat


def assert_same(ours: np.ndarray, ref: np.ndarray) -> None:
    assert ours.dtype == np.uint8 and ours.shape == ref.shape and ours.flags.c_contiguous
    diff = np.argwhere(ours != ref)
    assert diff.size == 0, f"{len(diff)} pixels differ, first (row, col): {diff[:5].tolist()}"


def test_reference_polygon():
    h, w = 640, 427
    ours = rasterize_polygon(REFERENCE, h, w)
    ref = coco_mask(polygon_parts(REFERENCE), h, w)
    assert_same(ours, ref)
    assert ours.sum() == 3269
    # The second part (a small quadrilateral near (210, 240)) is filled too.
    assert ours[240, 210] == 1 and ours[100, 300] == 0
    assert_same(rasterize_polygon(np.asarray(REFERENCE, float), h, w), ref)


def _coordinate(limit: float):
    whole = st.integers(-int(limit), int(limit)).map(float)
    half = st.integers(-2 * int(limit), 2 * int(limit)).map(lambda v: v / 2)
    tenth = st.integers(-10 * int(limit), 10 * int(limit)).map(lambda v: v / 10)
    anything = st.floats(-limit, limit, allow_nan=False, allow_infinity=False)
    return st.one_of(whole, half, tenth, anything)


@st.composite
def polygons(draw, min_vertices: int = 3):
    h = draw(st.integers(1, 48))
    w = draw(st.integers(1, 48))
    limit = draw(st.sampled_from([4.0, 60.0, 200.0]))  # tiny, around the image, far outside
    coord = _coordinate(limit)
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(min_vertices, 14))
        part = [v for _ in range(n) for v in (draw(coord), draw(coord))]
        if draw(st.booleans()):  # cluster the part so it is small, often sub-pixel
            cx, cy = draw(coord), draw(coord)
            part = [v / 10 + (cx if i % 2 == 0 else cy) for i, v in enumerate(part)]
        parts.append(part)
    return parts, h, w


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polygons())
def test_matches_pycocotools_on_random_polygons(case):
    parts, h, w = case
    assert_same(rasterize_polygon(join(parts), h, w), coco_mask(parts, h, w))


@settings(max_examples=200, deadline=None)
@given(polygons(min_vertices=1))
def test_matches_rle_fr_poly_on_degenerate_parts(case):
    parts, h, w = case
    assert_same(rasterize_polygon(join(parts), h, w), coco_poly_mask(parts, h, w))


@pytest.mark.parametrize("poly", [
    [10, 10, 30, 10, 30, 30, 10, 30],                      # axis-aligned square
    [10, 10, 30, 30, 10, 30, 30, 10],                      # self-intersecting bow tie
    [5, 5, 40, 5, 40, 40, 30, 40, 30, 15, 15, 15, 15, 40, 5, 40],  # concave U
    [5, 5, 5, 5, 20, 5, 20, 5, 20, 20, 20, 20],            # repeated vertices
    [0, 0, 10, 10, 20, 20],                                # collinear, zero area
    [3.2, 3.2, 3.4, 3.2, 3.3, 3.4],                        # inside one pixel
    [-100, -100, 500, -100, 500, 500, -100, 500],          # covers the image and more
    [-5.5, 10.5, 60.25, -3.75, 55.5, 70.5, 12.1, 50.9],    # fractional, clipped on all sides
    [0, 0, 49, 0, 49, 39, 0, 39],                          # exactly the image border
    [-1e4, 5, 1e4, 7, 1e4, 30, -1e4, 33],                  # far outside, thin
    [20, -3e4, 22, -3e4, 24, 3e4, 21, 3e4],                # near-vertical, far outside
])
def test_fixed_shapes(poly):
    h, w = 40, 50
    assert_same(rasterize_polygon(poly, h, w), coco_mask([poly], h, w))


def test_union_of_overlapping_parts_is_not_xor():
    square = [10, 10, 30, 10, 30, 30, 10, 30]
    inner = [15, 15, 25, 15, 25, 25, 15, 25]
    h, w = 40, 40
    ours = rasterize_polygon(join([square, inner]), h, w)
    assert_same(ours, coco_mask([square, inner], h, w))
    assert ours[20, 20] == 1


def test_parts_with_one_or_two_vertices_fill_nothing():
    h, w = 20, 20
    assert rasterize_polygon([5, 5], h, w).sum() == 0
    assert rasterize_polygon([5, 5, 15, 15], h, w).sum() == 0  # frPyObjects would see a box
    assert_same(rasterize_polygon([5, 5, 15, 15], h, w), coco_poly_mask([[5, 5, 15, 15]], h, w))


def test_huge_coordinates_are_cheap():
    big = [-1e6, -1e6, 1e6, -1e6, 1e6, 1e6, -1e6, 1e6]
    assert rasterize_polygon(big, 30, 40).all()


def test_empty_and_zero_sized():
    assert rasterize_polygon([], 4, 5).shape == (4, 5)
    assert rasterize_polygon([], 4, 5).sum() == 0
    assert rasterize_polygon([POLY_SEPARATOR], 4, 5).sum() == 0
    assert rasterize_polygon([0, 0, 5, 0, 5, 5], 0, 5).shape == (0, 5)
    assert rasterize_polygon([0, 0, 5, 0, 5, 5], 5, 0).shape == (5, 0)


def test_rasterize_polygons_stacks():
    polys = [REFERENCE, [10, 10, 100, 10, 100, 100], []]
    out = rasterize_polygons(polys, 640, 427)
    assert out.shape == (3, 640, 427) and out.dtype == np.uint8
    for i, poly in enumerate(polys):
        np.testing.assert_array_equal(out[i], rasterize_polygon(poly, 640, 427))
    empty = rasterize_polygons([], 640, 427)
    assert empty.shape == (0, 640, 427) and empty.dtype == np.uint8


@pytest.mark.parametrize("poly, match", [
    ([1, 2, 3], "odd number"),
    ([1, 2, 3, 4, 5, float("nan")], "non-finite"),
    ([[1, 2], [3, 4]], "flat"),
    (["a", "b"], "flat list of numbers"),
])
def test_malformed_polygon(poly, match):
    with pytest.raises(ValueError, match=match):
        rasterize_polygon(poly, 10, 10)


@pytest.mark.parametrize("h, w", [(-1, 5), (5, -1), (2.5, 4)])
def test_bad_size(h, w):
    with pytest.raises(ValueError, match="non-negative"):
        rasterize_polygon([0, 0, 1, 0, 1, 1], h, w)
    with pytest.raises(ValueError, match="non-negative"):
        rasterize_polygons([], h, w)
