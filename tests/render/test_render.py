from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hyperloader.errors import DecodeError
from hyperloader.model import FrameGroup, SingleFrame
from hyperloader.render import (
    MaskMode,
    RenderOptions,
    bar_chart,
    label_color,
    normalize_mask_labels,
    render_frame,
)


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture()
def store():
    """An in-memory ``uri -> bytes`` reader."""
    files = {
        "img.png": _png(np.full((60, 80, 3), 40, np.uint8)),
        "img2.png": _png(np.full((30, 50, 3), 200, np.uint8)),
    }
    sem = np.zeros((60, 80), np.uint8)
    sem[40:50, 60:70] = 3
    files["sem.png"] = _png(sem)
    return files


def test_polygon_interior_gets_its_label_colour(store):
    f = SingleFrame("img.png", width=80, height=60)
    f.add_annotation(box2d_xywh=[10, 10, 30, 20], labels="car", confidence=0.9)
    img = render_frame(f, options=RenderOptions(fill_alpha=1.0), read=store.__getitem__)
    assert img.size == (80, 60) and img.mode == "RGB"
    assert img.getpixel((25, 25)) == label_color("car")
    assert img.getpixel((70, 55)) == (40, 40, 40)  # outside untouched


def test_default_fill_is_a_blend_towards_the_label_colour(store):
    f = SingleFrame("img.png")
    f.add_annotation(poly2d_xy=[[10, 30, 40, 30, 40, 55], [60, 5, 75, 5, 75, 20, 60, 20]],
                     labels="person")
    img = render_frame(f, read=store.__getitem__)
    want = np.array(label_color("person")) * 0.35 + 40 * 0.65
    for xy in ((36, 40), (68, 12)):  # both parts of a multi-part polygon are filled
        assert np.abs(np.array(img.getpixel(xy)) - want).max() <= 2


def test_mask_labels_mode_maps_values_to_label_colours(store):
    f = SingleFrame("img.png", mask_source="sem.png")
    opts = RenderOptions(mask_labels={(3, 3, 3): ["road"]}, mask_alpha=1.0)
    img = render_frame(f, options=opts, read=store.__getitem__)
    assert img.getpixel((65, 45)) == label_color("road")
    assert img.getpixel((5, 5)) == (40, 40, 40)


def test_roi_mask_reference_uses_the_roi_label(store):
    d = SingleFrame("img.png", mask_source={"m1": "sem.png"}).to_dict()
    d["rois"] = [{"id": "r", "label": ["tree"], "sources": ["default"],
                  "mask": {"id": "m1", "value": [3, 3, 3]}}]
    img = render_frame(d, options=RenderOptions(mask_alpha=1.0), read=store.__getitem__)
    assert img.getpixel((65, 45)) == label_color("tree")


def test_alpha_mode_uses_the_mask_as_opacity(store):
    alpha = np.zeros((60, 80), np.uint8)
    alpha[:, 40:] = 255
    store["alpha.png"] = _png(alpha)
    f = SingleFrame("img.png", mask_source="alpha.png")
    img = render_frame(f, options=RenderOptions(mask_mode="alpha"), read=store.__getitem__)
    assert img.getpixel((10, 10)) == (0, 0, 0)
    assert img.getpixel((60, 10)) == (40, 40, 40)
    assert RenderOptions(mask_mode="alpha").mask_mode is MaskMode.ALPHA


def test_frame_group_renders_one_tile_per_source(store):
    g = FrameGroup()
    g["left"] = SingleFrame("img.png")
    g["right"] = SingleFrame("img2.png")
    g["right"].add_annotation(box2d_xywh=[5, 5, 40, 20], labels="car")
    img = render_frame(g, options=RenderOptions(fill_alpha=1.0), read=store.__getitem__)
    assert img.size == (160, 60 + 16)
    assert img.getpixel((80 + 38, 16 + 22)) == label_color("car")
    assert img.getpixel((10, 16 + 30)) == (40, 40, 40)


def test_frame_labels_and_points_are_drawn(store):
    f = SingleFrame("img.png")
    f.add_annotation(labels=["night"])
    f.add_annotation(points2d_xy=[[50, 50]], labels="kp")
    img = render_frame(f, read=store.__getitem__)
    assert img.getpixel((3, 3)) == label_color("night")
    assert img.getpixel((50, 50)) == label_color("kp")


def test_unreadable_source_is_a_decode_error():
    f = SingleFrame("bad.png", id="f1")
    with pytest.raises(DecodeError, match="f1"):
        render_frame(f, read=lambda uri: b"not an image")


def test_options_are_checked():
    with pytest.raises(ValueError, match="fill_alpha"):
        RenderOptions(fill_alpha=2)
    with pytest.raises(ValueError):
        RenderOptions(mask_mode="nope")


def test_mask_labels_accepts_metadata_list_form():
    got = normalize_mask_labels([{"value": [1, 1, 1], "labels": ["a"]}, {"value": 2,
                                                                        "labels": "b"}])
    assert got == {0x010101: ["a"], 0x020202: ["b"]}
    assert normalize_mask_labels({"3,3,3": ["c"]}) == {0x030303: ["c"]}


def test_label_colours_are_stable_and_distinct():
    assert label_color("car") == label_color("car")
    assert label_color("car") != label_color("person")


def test_bar_chart_draws_bars_in_label_colours():
    img = bar_chart({"car": 10, "person": 5}, title="labels")
    arr = np.asarray(img)
    colours = {tuple(c) for c in arr.reshape(-1, 3)}
    assert label_color("car") in colours and label_color("person") in colours
    assert bar_chart({}).size[0] == 640
