"""decode_mask, map_mask_to_ids and alpha_from_mask on real PNG masks."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from hyperloader.decode import alpha_from_mask, decode_mask, map_mask_to_ids
from hyperloader.errors import DecodeError


def png(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def labels() -> np.ndarray:
    y, x = np.mgrid[0:48, 0:64]
    return ((x // 8 + y // 8) % 5).astype(np.uint8)


def test_l_mask_keeps_values(tmp_path, labels):
    path = tmp_path / "labelIds.png"
    path.write_bytes(png(labels, "L"))
    arr = decode_mask(str(path))
    assert arr.dtype == np.uint8 and arr.shape == labels.shape and arr.flags.writeable
    np.testing.assert_array_equal(arr, labels)


def test_palette_mask_gives_indices_not_colours(labels):
    im = Image.fromarray(labels, "L").convert("P")
    im.putpalette([200, 10, 10, 10, 200, 10, 10, 10, 200, 90, 90, 90, 250, 250, 0] + [0] * 753)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    np.testing.assert_array_equal(decode_mask(buf.getvalue()), labels)


def test_sixteen_bit_mask_keeps_values():
    ids = (np.arange(48 * 64).reshape(48, 64) * 21).astype(np.uint16)  # up to 64491
    arr = decode_mask(png(ids))
    assert arr.dtype == np.uint16 and arr.dtype.isnative
    np.testing.assert_array_equal(arr, ids)


def test_rgb_rgba_la_and_bit_masks(labels):
    rgb = np.dstack([labels * 40, labels, 255 - labels]).astype(np.uint8)
    np.testing.assert_array_equal(decode_mask(png(rgb)), rgb)
    rgba = np.dstack([rgb, labels * 50]).astype(np.uint8)
    np.testing.assert_array_equal(decode_mask(png(rgba, "RGBA")), rgba)
    la = np.dstack([labels, labels * 50]).astype(np.uint8)
    np.testing.assert_array_equal(decode_mask(png(la, "LA")), la)
    np.testing.assert_array_equal(decode_mask(png(labels > 2)), np.where(labels > 2, 255, 0))


def test_bad_mask_bytes():
    with pytest.raises(DecodeError, match="not an image") as info:
        decode_mask(b"\x89PNX garbage", frame_id="f1", uri="s3://m.png")
    assert info.value.uri == "s3://m.png" and info.value.frame_id == "f1"


def test_map_rgb_mask_with_unmapped_pixels():
    mask = np.array([[[0, 0, 0], [1, 1, 1], [2, 2, 2]],
                     [[10, 20, 30], [9, 9, 9], [1, 1, 1]]], np.uint8)
    out = map_mask_to_ids(mask, {(0, 0, 0): 0, (1, 1, 1): 1, 2: 2, (10, 20, 30): 7})
    assert out.dtype == np.int64 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[0, 1, 2], [7, 255, 1]])
    rgba = np.dstack([mask, np.zeros((2, 3), np.uint8)])  # alpha ignored
    np.testing.assert_array_equal(map_mask_to_ids(rgba, {(9, 9, 9): 4}, ignore_index=-1),
                                  [[-1, -1, -1], [-1, 4, -1]])


def test_map_grey_mask_reads_values_as_grey_rgb(labels):
    mapping = {(0, 0, 0): 10, (1, 1, 1): 11, 2: 12, (3, 4, 5): 99}  # (3,4,5) is never grey
    out = map_mask_to_ids(decode_mask(png(labels, "L")), mapping, ignore_index=255)
    want = np.select([labels == 0, labels == 1, labels == 2], [10, 11, 12], 255)
    np.testing.assert_array_equal(out, want)


def test_map_sixteen_bit_and_int32_masks():
    ids = np.array([[0, 300, 26001], [65535, 7, 300]], np.uint16)
    mapping = {300: 1, 26001: 2, 65535: 3}
    np.testing.assert_array_equal(map_mask_to_ids(ids, mapping), [[255, 1, 2], [3, 255, 1]])
    np.testing.assert_array_equal(map_mask_to_ids(ids.astype(np.int32), mapping),
                                  [[255, 1, 2], [3, 255, 1]])
    np.testing.assert_array_equal(map_mask_to_ids(ids.astype(np.int64), {}), np.full((2, 3), 255))


def test_map_empty_mapping():
    mask = np.zeros((3, 4, 3), np.uint8)
    np.testing.assert_array_equal(map_mask_to_ids(mask, {}, ignore_index=9), np.full((3, 4), 9))


@pytest.mark.parametrize("mapping, match", [
    ({(1, 2): 0}, "tuple of 0..255"),
    ({(1, 2, 256): 0}, "tuple of 0..255"),
    ({-1: 0}, "non-negative"),
    ({1.5: 0}, "non-negative integer"),
    ({"x": 0}, "int or an"),
    ({1: 0, (1, 1, 1): 5}, "equal key"),
])
def test_map_bad_keys(mapping, match):
    with pytest.raises(ValueError, match=match):
        map_mask_to_ids(np.zeros((2, 2, 3), np.uint8), mapping)


@pytest.mark.parametrize("mask, match", [
    (np.zeros((2, 2), np.float32), "integer"),
    (np.zeros((2, 2, 5), np.uint8), "shape"),
    (np.full((2, 2, 3), 300, np.int32), "0..255"),
])
def test_map_bad_masks(mask, match):
    with pytest.raises(ValueError, match=match):
        map_mask_to_ids(mask, {0: 0})


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12), st.just(3)),
                  elements=st.sampled_from([0, 1, 2, 128, 255])),
       st.dictionaries(st.tuples(*[st.sampled_from([0, 1, 2, 128, 255])] * 3),
                       st.integers(0, 50), max_size=20))
def test_map_matches_a_pixel_loop(mask, mapping):
    out = map_mask_to_ids(mask, mapping, ignore_index=-7)
    h, w, _ = mask.shape
    for i in range(h):
        for j in range(w):
            assert out[i, j] == mapping.get(tuple(int(c) for c in mask[i, j]), -7)


def test_alpha_from_masks():
    grey = np.array([[0, 51], [255, 102]], np.uint8)
    a = alpha_from_mask(grey)
    assert a.dtype == np.float32 and a.shape == (1, 2, 2) and a.flags.c_contiguous
    np.testing.assert_allclose(a[0], [[0, 0.2], [1, 0.4]], rtol=1e-6)
    rgba = np.dstack([np.full((2, 2, 3), 9, np.uint8), grey])
    np.testing.assert_array_equal(alpha_from_mask(rgba), a)
    np.testing.assert_array_equal(alpha_from_mask(np.dstack([np.zeros_like(grey), grey])), a)
    rgb = np.dstack([grey, grey, np.zeros_like(grey)])
    np.testing.assert_allclose(alpha_from_mask(rgb)[0], a[0] * 2 / 3, rtol=1e-6)
    np.testing.assert_array_equal(alpha_from_mask(grey > 60)[0], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(alpha_from_mask(np.array([[-1, 0.5]]))[0], [[0, 0.5]])
    np.testing.assert_allclose(alpha_from_mask(np.array([[65535, 0]], np.uint16))[0], [[1, 0]])


def test_alpha_from_decoded_png():
    alpha = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (8, 1))
    rgba = np.dstack([np.zeros((8, 64, 3), np.uint8), alpha])
    out = alpha_from_mask(decode_mask(png(rgba, "RGBA")))
    np.testing.assert_allclose(out[0], alpha / 255, rtol=1e-6)


@pytest.mark.parametrize("mask, match", [
    (np.zeros((2, 2, 5), np.uint8), "shape"),
    (np.zeros(4, np.uint8), "shape"),
    (np.zeros((2, 2), np.int32), "dtype"),
])
def test_alpha_bad_input(mask, match):
    with pytest.raises(ValueError, match=match):
        alpha_from_mask(mask)
