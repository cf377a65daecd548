"""The decoder registry: default, registration, and the unknown-name error."""

from __future__ import annotations

import numpy as np
import pytest

from hyperloader.decode import (
    DEFAULT_DECODER,
    _registry,
    available_decoders,
    decode_image,
    get_decoder,
    register_decoder,
)


@pytest.fixture(autouse=True)
def _restore_registry():
    saved = dict(_registry._DECODERS)
    yield
    _registry._DECODERS.clear()
    _registry._DECODERS.update(saved)


def test_pil_is_the_default():
    assert DEFAULT_DECODER == "pil"
    assert get_decoder() is decode_image
    assert get_decoder("pil") is decode_image
    assert "pil" in available_decoders()


def test_register_and_get():
    def fake(data, *, decode_size=None, frame_id=None, source_id=None, uri=None):
        return np.zeros((*(decode_size or (1, 1)), 3), np.uint8)

    register_decoder("torchvision", fake)
    assert get_decoder("torchvision") is fake
    assert get_decoder("torchvision")(b"", decode_size=(2, 3)).shape == (2, 3, 3)
    assert available_decoders() == sorted(available_decoders())
    assert {"pil", "torchvision"} <= set(available_decoders())
    register_decoder("torchvision", decode_image)  # replacing is allowed
    assert get_decoder("torchvision") is decode_image


def test_unknown_name_lists_known_ones():
    register_decoder("torchvision", decode_image)
    with pytest.raises(ValueError) as info:
        get_decoder("torchvison")
    msg = str(info.value)
    assert "unknown decoder 'torchvison'" in msg
    assert "did you mean 'torchvision'" in msg
    assert "known: pil, torchvision" in msg
    assert not isinstance(info.value, KeyError)


def test_unhashable_name_is_a_value_error():
    with pytest.raises(ValueError, match="unknown decoder"):
        get_decoder(["pil"])


@pytest.mark.parametrize("name", ["", None, 3])
def test_bad_name(name):
    with pytest.raises(ValueError, match="non-empty string"):
        register_decoder(name, decode_image)


def test_not_callable():
    with pytest.raises(TypeError, match="callable"):
        register_decoder("x", "decode_image")
