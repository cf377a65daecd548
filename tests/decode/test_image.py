"""decode_image / image_size on real JPEG and PNG files written with Pillow."""

from __future__ import annotations

import io
import pathlib
import pickle

import numpy as np
import pytest
from PIL import Image

from hyperloader.decode import decode_image, image_size
from hyperloader.errors import DecodeError, HyperloaderError

H, W = 480, 640


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    """A smooth colour gradient, so a wrong decode (swapped axes, channels) shows."""
    y, x = np.mgrid[0:H, 0:W]
    return np.stack([x * 255 // (W - 1), y * 255 // (H - 1), (x + y) * 255 // (W + H - 2)],
                    axis=-1).astype(np.uint8)


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def jpeg(rgb) -> bytes:
    return encode(Image.fromarray(rgb), "JPEG", quality=95)


@pytest.fixture(scope="module")
def png(rgb) -> bytes:
    return encode(Image.fromarray(rgb), "PNG")


def check_array(arr: np.ndarray, shape: tuple[int, ...]) -> None:
    assert arr.shape == shape
    assert arr.dtype == np.uint8
    assert arr.flags.c_contiguous and arr.flags.writeable


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_jpeg_from_bytes_like(jpeg, rgb, wrap):
    arr = decode_image(wrap(jpeg))
    check_array(arr, (H, W, 3))
    assert np.abs(arr.astype(int) - rgb).max() <= 6


@pytest.mark.parametrize("as_path", [str, pathlib.Path])
def test_png_from_local_path_is_lossless(tmp_path, png, rgb, as_path):
    path = tmp_path / "img.png"
    path.write_bytes(png)
    arr = decode_image(as_path(path))
    check_array(arr, (H, W, 3))
    np.testing.assert_array_equal(arr, rgb)


def test_jpeg_decode_size_uses_dct_scaling(jpeg):
    arr = decode_image(jpeg, decode_size=(240, 320))
    check_array(arr, (240, 320, 3))
    with Image.open(io.BytesIO(jpeg)) as im:
        im.draft("RGB", (320, 240))
        assert im.size == (320, 240)  # half-scale DCT decode, no resize needed
        np.testing.assert_array_equal(arr, np.asarray(im.convert("RGB")))


def test_jpeg_decode_size_drafts_then_resizes_exactly(jpeg):
    arr = decode_image(jpeg, decode_size=(200, 300))
    check_array(arr, (200, 300, 3))
    with Image.open(io.BytesIO(jpeg)) as im:
        im.draft("RGB", (300, 200))
        assert im.size == (320, 240)  # smallest DCT scale that is >= the request
        want = im.convert("RGB").resize((300, 200), Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(arr, np.asarray(want))


@pytest.mark.parametrize("size", [(100, 100), (60, 80), (480, 640), (500, 700), (1, 1)])
def test_decode_size_is_exact(jpeg, png, rgb, size):
    for data in (jpeg, png):
        arr = decode_image(data, decode_size=size)
        check_array(arr, (*size, 3))
    # The gradient survives: red grows left to right, green top to bottom.
    small = decode_image(png, decode_size=(60, 80)).astype(int)
    assert small[30, -1, 0] > small[30, 0, 0] + 200
    assert small[-1, 40, 1] > small[0, 40, 1] + 200


@pytest.mark.parametrize("bad", [(0, 10), (10,), (10, -1), (1.5, 2), "ab", (10, 10, 3)])
def test_decode_size_invalid(png, bad):
    with pytest.raises(ValueError, match="decode_size"):
        decode_image(png, decode_size=bad)


def test_mode_l(jpeg, rgb):
    arr = decode_image(jpeg, mode="L")
    check_array(arr, (H, W))
    grey = np.asarray(Image.fromarray(rgb).convert("L")).astype(int)
    assert np.abs(arr.astype(int) - grey).max() <= 6
    check_array(decode_image(jpeg, mode="L", decode_size=(120, 160)), (120, 160))
    with pytest.raises(ValueError, match="mode"):
        decode_image(jpeg, mode="RGBA")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_grayscale_becomes_rgb(rgb, fmt):
    grey = rgb[:, :, 0]
    arr = decode_image(encode(Image.fromarray(grey, "L"), fmt))
    check_array(arr, (H, W, 3))
    assert (arr[:, :, 0] == arr[:, :, 1]).all() and (arr[:, :, 1] == arr[:, :, 2]).all()
    assert np.abs(arr[:, :, 0].astype(int) - grey).max() <= 3


def test_rgba_drops_alpha(rgb):
    alpha = np.full((H, W), 7, np.uint8)  # nearly transparent: compositing would darken
    data = encode(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "PNG")
    np.testing.assert_array_equal(decode_image(data), rgb)


def test_la_and_one_bit_png(rgb):
    la = encode(Image.fromarray(np.dstack([rgb[:, :, 0], rgb[:, :, 1]]), "LA"), "PNG")
    np.testing.assert_array_equal(decode_image(la)[:, :, 2], rgb[:, :, 0])
    bits = encode(Image.fromarray(rgb[:, :, 0] > 127), "PNG")
    np.testing.assert_array_equal(decode_image(bits)[:, :, 1], np.where(rgb[:, :, 0] > 127,
                                                                         255, 0))


def test_palette_png_uses_palette_colours():
    im = Image.new("P", (4, 2))
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (768 - 9))
    im.putdata([0, 1, 2, 0, 2, 1, 0, 1])
    arr = decode_image(encode(im, "PNG"))
    np.testing.assert_array_equal(arr[0], [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 0]])


def test_cmyk_jpeg_becomes_rgb(rgb):
    data = encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95)
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "CMYK"
    arr = decode_image(data)
    check_array(arr, (H, W, 3))
    assert np.abs(arr.astype(int) - rgb).max() <= 8


def test_sixteen_bit_png_scales_not_clips():
    y = np.mgrid[0:H, 0:W][0]
    g16 = (y * 65535 // (H - 1)).astype(np.uint16)
    data = encode(Image.fromarray(g16), "PNG")
    arr = decode_image(data)
    check_array(arr, (H, W, 3))
    np.testing.assert_array_equal(arr[:, :, 0], (g16 >> 8).astype(np.uint8))
    assert arr[H // 2, 0, 0] == g16[H // 2, 0] >> 8  # ~127, where clipping would give 255


def test_truncated_jpeg_raises_decode_error_with_context(jpeg):
    with pytest.raises(DecodeError) as info:
        decode_image(jpeg[: len(jpeg) // 2], frame_id="f_0042", source_id="default",
                     uri="s3://b/k.jpg")
    err = info.value
    assert "truncated JPEG" in str(err)
    assert "uri='s3://b/k.jpg'" in str(err) and "'f_0042'" in str(err)
    assert (err.uri, err.frame_id, err.source_id, err.decoder) == (
        "s3://b/k.jpg", "f_0042", "default", "pil")
    assert isinstance(err, HyperloaderError)
    assert isinstance(err.__cause__, OSError)
    again = pickle.loads(pickle.dumps(err))  # crosses DataLoader worker processes
    assert str(again) == str(err) and again.uri == err.uri


def test_truncated_png_raises_decode_error(png):
    with pytest.raises(DecodeError, match="PNG"):
        decode_image(png[: len(png) // 2], uri="file:///x.png")


@pytest.mark.parametrize("data, reason", [
    (b"definitely not an image", "not an image (cannot identify image file)"),
    (b"", "not an image (empty data)"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not an image"),
])
def test_non_image_bytes(data, reason):
    with pytest.raises(DecodeError) as info:
        decode_image(data, uri="mem://x")
    assert reason in str(info.value)
    assert "uri='mem://x'" in str(info.value)


def test_missing_local_file(tmp_path):
    with pytest.raises(DecodeError, match="not found"):
        decode_image(str(tmp_path / "nope.jpg"))


def test_wrong_data_type():
    with pytest.raises(TypeError, match="bytes"):
        decode_image(12345)


def test_image_size_reads_header_only(jpeg, png, tmp_path):
    assert image_size(jpeg) == (W, H)
    assert image_size(jpeg[:2000]) == (W, H)  # the pixels are not needed
    path = tmp_path / "a.png"
    path.write_bytes(png)
    assert image_size(str(path)) == (W, H)
    with pytest.raises(DecodeError, match="not an image"):
        image_size(b"nope", uri="u")
