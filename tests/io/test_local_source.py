"""SingleFrame.get_local_source / get_local_mask_source through the default cache."""

from __future__ import annotations

import fsspec

import hyperloader.io  # noqa: F401  (installs the cache as the frames' local resolver)
from hyperloader import SingleFrame
from hyperloader.io import default_cache


def test_local_file_is_returned_in_place(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(b"local")
    frame = SingleFrame(str(path))
    assert frame.get_local_source() == str(path)
    assert default_cache().stats()["misses"] == 0


def test_remote_source_and_mask_are_cached_and_force_download_refetches():
    fs = fsspec.filesystem("memory")
    fs.pipe("/lsrc/img.jpg", b"image-bytes")
    fs.pipe("/lsrc/mask.png", b"mask-bytes")
    frame = SingleFrame("memory://lsrc/img.jpg", mask_source="memory://lsrc/mask.png")
    cache = default_cache()
    first = frame.get_local_source()
    assert open(first, "rb").read() == b"image-bytes"
    assert frame.get_local_source() == first
    assert cache.stats()["misses"] == 1 and cache.stats()["hits"] == 1
    fs.pipe("/lsrc/img.jpg", b"changed!!!!")  # same size: only force_download sees it
    again = frame.get_local_source(force_download=True)
    assert open(again, "rb").read() == b"changed!!!!"
    assert cache.stats()["misses"] == 2
    mask = frame.get_local_mask_source()
    assert open(mask, "rb").read() == b"mask-bytes"
    assert frame.get_local_mask_source("00") == mask
