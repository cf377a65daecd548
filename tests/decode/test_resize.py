"""resize_nearest never blends label values and samples pixel centres like Pillow."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from hyperloader.decode import resize_nearest


def test_identity_returns_a_copy():
    arr = np.arange(12, dtype=np.int64).reshape(3, 4)
    out = resize_nearest(arr, (3, 4))
    np.testing.assert_array_equal(out, arr)
    assert out is not arr and out.dtype == np.int64


def test_integer_upscale_repeats():
    arr = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(resize_nearest(arr, (4, 6)),
                                  np.repeat(np.repeat(arr, 2, axis=0), 3, axis=1))


def test_downscale_takes_centres():
    arr = np.arange(16).reshape(4, 4)
    np.testing.assert_array_equal(resize_nearest(arr, (2, 2)), [[5, 7], [13, 15]])


def exact_ties(n_out: int, n_in: int) -> np.ndarray:
    """Outputs whose centre falls exactly on an input pixel edge."""
    return (2 * np.arange(n_out) + 1) * n_in % (2 * n_out) == 0


@pytest.mark.parametrize("size", [(24, 32), (96, 128), (48, 64), (17, 23), (100, 7), (1, 1)])
def test_matches_pillow_nearest_except_exact_ties(size):
    y, x = np.mgrid[0:48, 0:64]
    arr = ((x * 7 + y * 13) % 251).astype(np.uint8)
    want = np.asarray(Image.fromarray(arr).resize(size[::-1], Image.Resampling.NEAREST))
    # Where a centre lies exactly on an edge, Pillow's accumulated float step may land
    # either side; the integer rule always takes the pixel to the lower right.
    rows, cols = ~exact_ties(size[0], 48), ~exact_ties(size[1], 64)
    got = resize_nearest(arr, size)
    np.testing.assert_array_equal(got[rows][:, cols], want[rows][:, cols])


def test_exact_tie_takes_the_later_pixel():
    arr = np.arange(64, dtype=np.uint8)[None, :]
    assert resize_nearest(arr, (1, 7))[0, 3] == 32  # centre 3.5 * 64 / 7 == 32.0 exactly


def test_channels_and_values_preserved():
    arr = np.random.default_rng(0).integers(0, 5, (10, 12, 3)).astype(np.uint16)
    out = resize_nearest(arr, (7, 25))
    assert out.shape == (7, 25, 3) and out.dtype == np.uint16 and out.flags.c_contiguous
    assert set(np.unique(out)) <= set(np.unique(arr))


@pytest.mark.parametrize("arr, size", [
    (np.zeros((4, 4)), (0, 3)),
    (np.zeros((4, 4)), (2.5, 3)),
    (np.zeros((4, 4)), (3,)),
    (np.zeros(4), (2, 2)),
    (np.zeros((0, 4)), (2, 2)),
])
def test_bad_input(arr, size):
    with pytest.raises(ValueError):
        resize_nearest(arr, size)
