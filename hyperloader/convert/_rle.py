"""COCO run-length encodings to and from binary PNG masks (through pycocotools)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image

from hyperloader.convert._errors import ConvertError

__all__ = ["MASK_VALUE", "mask_png_to_rle", "rle_bbox", "rle_to_mask_png"]

#: Pixel value of the object in the binary PNG masks written for RLE segmentations.
MASK_VALUE = 255


def _mask_api() -> Any:
    try:
        import pycocotools.mask as mask_api
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConvertError("RLE segmentations need pycocotools (pip install pycocotools)") from exc
    return mask_api


@contextmanager
def _quiet() -> Iterator[None]:
    # pycocotools' Cython decode trips numpy 2's __array__(copy=) deprecation; not ours to fix
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"__array__ implementation doesn't accept",
                                category=DeprecationWarning)
        yield


def _compressed(segm: dict[str, Any]) -> dict[str, Any]:
    size = segm.get("size")
    if not (isinstance(size, (list, tuple)) and len(size) == 2):
        raise ConvertError(f"RLE needs size [height, width], got {size!r}")
    h, w = int(size[0]), int(size[1])
    counts = segm.get("counts")
    if isinstance(counts, list):
        return _mask_api().frPyObjects(segm, h, w)
    if isinstance(counts, str):
        return {"size": [h, w], "counts": counts.encode("ascii")}
    if isinstance(counts, bytes):
        return {"size": [h, w], "counts": counts}
    raise ConvertError(f"RLE counts must be a list or a string, got {type(counts).__name__}")


def rle_to_mask_png(segm: dict[str, Any], value: Any = MASK_VALUE) -> bytes:
    """Decode a COCO RLE (compressed or not) into a PNG whose object pixels are ``value``.

    Args:
        segm: ``{"size": [h, w], "counts": str | list}``.
        value: object pixel value: a number or an RGB list; a grey value gives an 8-bit
            (mode ``L``) PNG, a colour an RGB one. The background is 0.

    Raises:
        ConvertError: when the RLE is malformed.
    """
    with _quiet():
        binary = _mask_api().decode(_compressed(segm)) > 0
    values = [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]
    if len(set(values)) == 1:
        img = Image.fromarray(binary.astype(np.uint8) * values[0])
    else:
        rgb = np.zeros(binary.shape + (3,), np.uint8)
        rgb[binary] = (values * 3)[:3]
        img = Image.fromarray(rgb)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def rle_bbox(segm: dict[str, Any]) -> list[float]:
    """Return the ``[x, y, w, h]`` box around an RLE's pixels."""
    with _quiet():
        return [float(v) for v in _mask_api().toBbox(_compressed(segm))]


def mask_png_to_rle(data: bytes, value: Any = MASK_VALUE) -> tuple[dict[str, Any], float]:
    """Encode the pixels of a mask image equal to ``value`` as a compressed COCO RLE.

    Args:
        data: the encoded mask image (PNG, any mode).
        value: the object's pixel value: a number, or an RGB(A) list for colour masks.

    Returns:
        ``({"size": [h, w], "counts": str}, area)``.
    """
    arr = np.asarray(Image.open(io.BytesIO(data)))
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if arr.ndim == 2:
        binary = arr == values[0]
    else:
        n = min(len(values) if len(values) > 1 else 3, arr.shape[2])
        want = (values if len(values) > 1 else values * n)[:n]
        binary = np.all(arr[..., :n] == np.asarray(want, dtype=arr.dtype), axis=-1)
    api = _mask_api()
    with _quiet():
        rle = api.encode(np.asfortranarray(binary.astype(np.uint8)))
        area = float(api.area(rle))
    return {"size": [int(binary.shape[0]), int(binary.shape[1])],
            "counts": rle["counts"].decode("ascii")}, area
