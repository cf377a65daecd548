from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hyperloader.decode import available_decoders, get_decoder
from hyperloader.errors import DecodeError
from hyperloader.torch import decode_jpeg_torchvision, tune_malloc


def _jpeg(h=24, w=40) -> bytes:
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 6, y * 10, (x + y) * 3], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def test_torchvision_decoder_is_registered_and_matches_pillow():
    assert "torchvision" in available_decoders()
    data = _jpeg()
    fast = get_decoder("torchvision")(data)
    slow = get_decoder("pil")(data)
    assert fast.shape == slow.shape == (24, 40, 3) and fast.dtype == np.uint8
    assert np.abs(fast.astype(int) - slow.astype(int)).max() <= 2  # IDCT rounding only
    assert decode_jpeg_torchvision(data).shape == (3, 24, 40)


def test_torchvision_decoder_defers_reduced_sizes_and_other_formats_to_pillow():
    assert get_decoder("torchvision")(_jpeg(), decode_size=(12, 20)).shape == (12, 20, 3)
    buf = io.BytesIO()
    Image.fromarray(np.zeros((5, 6, 3), np.uint8)).save(buf, "PNG")
    assert get_decoder("torchvision")(buf.getvalue()).shape == (5, 6, 3)


def test_bad_jpeg_raises_decode_error_with_context():
    with pytest.raises(DecodeError, match="frame 'f1' source 's' uri='x.jpg'"):
        get_decoder("torchvision")(b"\xff\xd8\xff\xe0 garbage", frame_id="f1",
                                   source_id="s", uri="x.jpg")


def test_tune_malloc_is_idempotent_on_linux():
    assert tune_malloc() is True
    assert tune_malloc() is True


def test_tune_malloc_starts_no_subprocess():
    """Each DataLoader worker tunes malloc at the start of each epoch: no ldconfig run."""
    import subprocess
    import sys

    code = """
import subprocess
from hyperloader.torch import tune_malloc  # importing torch may run subprocesses itself
def refuse(*args, **kwargs):
    raise RuntimeError("tune_malloc started a subprocess")
subprocess.Popen.__init__ = refuse
assert tune_malloc() is True
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
