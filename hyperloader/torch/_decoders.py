"""The torchvision JPEG decoder, source decoding with it, and glibc malloc tuning."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import warnings

import numpy as np
import torch

from hyperloader.errors import DecodeError

__all__ = ["TORCHVISION_JPEG", "decode_jpeg_torchvision", "decode_source", "is_jpeg",
           "register_torchvision_decoder", "torchvision_jpeg_decoder", "tune_malloc"]

logger = logging.getLogger(__name__)

#: Registry name of the torchvision (libjpeg-turbo) JPEG decoder.
TORCHVISION_JPEG = "torchvision"

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_MAX = 32 << 20  # glibc's ceiling for M_MMAP_THRESHOLD on 64-bit
_tuned_pid: int | None = None


def is_jpeg(data: bytes | bytearray | memoryview) -> bool:
    """Return True when ``data`` starts with the JPEG SOI marker."""
    return bytes(data[:3]) == b"\xff\xd8\xff"


def decode_jpeg_torchvision(data: bytes | bytearray | memoryview) -> torch.Tensor:
    """Decode JPEG bytes to an RGB uint8 ``[3, H, W]`` tensor with ``torchvision.io``.

    Raises:
        RuntimeError: when libjpeg rejects the data (callers wrap it in ``DecodeError``).
    """
    from torchvision.io import ImageReadMode, decode_jpeg

    with warnings.catch_warnings():
        # torchvision 0.29 deprecates its image IO in favour of torchcodec on every call, and
        # torch warns once that ``bytes`` are read-only; neither concerns a decode-only use.
        warnings.filterwarnings("ignore", "The image decoding", DeprecationWarning)
        warnings.filterwarnings("ignore", "The given buffer is not writable", UserWarning)
        return decode_jpeg(torch.frombuffer(data, dtype=torch.uint8), mode=ImageReadMode.RGB)


def torchvision_jpeg_decoder(data: bytes | bytearray | memoryview | str, *,
                             decode_size: tuple[int, int] | None = None,
                             frame_id: str | None = None, source_id: str | None = None,
                             uri: str | None = None) -> np.ndarray:
    """Decode an image as the ``hyperloader.decode`` registry expects, JPEGs via torchvision.

    Full-size JPEGs are decoded by libjpeg-turbo through ``torchvision.io``; reduced sizes
    (Pillow's DCT scaling) and other formats go to the ``"pil"`` decoder.

    Returns:
        uint8 ``(H, W, 3)`` array; for torchvision a zero-copy, channels-last view of the
        decoded ``[3, H, W]`` tensor.

    Raises:
        DecodeError: naming the frame, source and URI, on data neither decoder accepts.
    """
    from hyperloader.decode import get_decoder

    context = {"frame_id": frame_id, "source_id": source_id, "uri": uri}
    if isinstance(data, str):
        with open(data, "rb") as f:
            data = f.read()
    if decode_size is None and is_jpeg(data):
        try:
            return decode_jpeg_torchvision(data).permute(1, 2, 0).numpy()
        except RuntimeError as exc:
            logger.debug("torchvision could not decode %s (%s); trying Pillow", uri, exc)
    return get_decoder("pil")(data, decode_size=decode_size, **context)


def register_torchvision_decoder() -> None:
    """Register :func:`torchvision_jpeg_decoder` as ``"torchvision"`` in the registry."""
    from hyperloader.decode import register_decoder

    register_decoder(TORCHVISION_JPEG, torchvision_jpeg_decoder)


def decode_source(data: bytes | bytearray, *, decoder: str,
                  decode_size: tuple[int, int] | None, frame_id: str, source_id: str,
                  uri: str) -> torch.Tensor:
    """Decode an image source to an RGB uint8 ``[3, H, W]`` tensor with a registered decoder.

    With the default ``"torchvision"``, full-size JPEGs are decoded straight to a
    tensor by torchvision (about twice PIL's speed); reduced sizes and other formats go to
    Pillow (DCT scaling for JPEG, to exactly ``decode_size``).

    Raises:
        DecodeError: naming the frame, source and URI.
        ValueError: for an unknown decoder name (listing the known ones).
    """
    from hyperloader.decode import get_decoder

    if decoder == TORCHVISION_JPEG and decode_size is None and is_jpeg(data):
        try:
            return decode_jpeg_torchvision(data)
        except RuntimeError as exc:  # Pillow decides, and names the frame if it fails too
            logger.debug("torchvision could not decode %s (%s); trying Pillow", uri, exc)
            decoder = "pil"
    array = get_decoder(decoder)(data, decode_size=decode_size, frame_id=frame_id,
                                 source_id=source_id, uri=uri)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise DecodeError(f"decoder returned {array.dtype} {array.shape}, expected HxWx3 uint8",
                          frame_id=frame_id, source_id=source_id, uri=uri, decoder=decoder)
    return torch.from_numpy(array).permute(2, 0, 1)


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds once per process (Linux only).

    Large decode buffers then come from the heap and stay mapped instead of being
    mmapped and page-faulted afresh for every image (Pillow decodes ~37% faster).

    Returns:
        True when the thresholds are (already) set in this process.
    """
    global _tuned_pid
    if _tuned_pid == os.getpid():
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        # the symbols already loaded (libc among them): ctypes.util.find_library would
        # run ldconfig in a subprocess, in every DataLoader worker, every epoch
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl or no libc: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # glibc caps the mmap threshold at 32 MiB; ask for 1 GiB and settle for the cap.
    mmap_ok = mallopt(_M_MMAP_THRESHOLD, 1 << 30) or mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX)
    trim_ok = mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    if not (mmap_ok and trim_ok):
        logger.debug("mallopt refused: mmap=%s trim=%s", mmap_ok, trim_ok)
        return False
    _tuned_pid = os.getpid()
    return True
