"""Synthetic street scenes for ``hyperloader demo``: JPEGs, class masks and matching polygons.

Each scene has a sky whose colour follows the weather, a road, and a few trees, cars,
people and bicycles drawn with Pillow plus sensor-like noise. The ROI polygons are the
drawn shapes themselves (people and bicycles are multi-part), the PNG mask holds class
ids, and the frame meta holds city, weather, time of day and speed. Deterministic: scene
``i`` uses ``numpy.random.default_rng([seed, i])`` only.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from hyperloader.model import SingleFrame, ellipse_to_poly, join_parts

__all__ = ["CLASS_VALUES", "MASK_LABELS", "make_demo_frames", "make_scene"]

#: Class id of each label in the PNG masks (0 is background).
CLASS_VALUES = {"road": 1, "tree": 2, "car": 3, "person": 4, "bicycle": 5}
#: The version mask-label mapping of those masks.
MASK_LABELS = {(0, 0, 0): ["background"], **{(v, v, v): [k] for k, v in CLASS_VALUES.items()}}

CITIES = ("bremen", "berlin", "hamburg", "munich")
_SKY = {"sunny": (110, 170, 235), "rain": (105, 110, 120), "fog": (200, 200, 205)}
_CAR_COLOURS = {"red": (200, 30, 30), "blue": (30, 60, 190), "white": (235, 235, 235),
                "black": (25, 25, 25), "yellow": (230, 200, 40)}


def _car(rng: np.random.Generator, w: int, h: int) -> list[float]:
    cw = float(rng.uniform(0.18, 0.3) * w)
    ch = cw * 0.45
    x = float(rng.uniform(0, w - cw))
    y = float(rng.uniform(h * 0.55, h - ch - 4))
    cab = cw * 0.2
    return [round(v, 1) for v in (x, y + ch * 0.45, x + cab, y + ch * 0.45, x + cab * 1.5, y,
                                  x + cw - cab * 1.5, y, x + cw - cab, y + ch * 0.45,
                                  x + cw, y + ch * 0.45, x + cw, y + ch, x, y + ch)]


def _person(rng: np.random.Generator, w: int, h: int) -> list[list[float]]:
    ph = float(rng.uniform(0.2, 0.32) * h)
    cx = float(rng.uniform(0.05, 0.95) * w)
    feet = float(rng.uniform(h * 0.6, h - 2))
    head = ellipse_to_poly((cx, feet - ph + ph * 0.1, ph * 0.1, ph * 0.1, 0), vertices=12)
    body = ellipse_to_poly((cx, feet - ph * 0.4, ph * 0.16, ph * 0.4, 0), vertices=16)
    return [head, body]


def _bicycle(rng: np.random.Generator, w: int, h: int) -> list[list[float]]:
    r = float(rng.uniform(0.035, 0.05) * w)
    x = float(rng.uniform(r, w - 4 * r))
    y = float(rng.uniform(h * 0.65, h - r - 2))
    return [ellipse_to_poly((x, y, r, r, 0), vertices=12),
            ellipse_to_poly((x + 2.6 * r, y, r, r, 0), vertices=12)]


def _tree(rng: np.random.Generator, w: int, h: int) -> list[float]:
    tw = float(rng.uniform(0.08, 0.14) * w)
    x = float(rng.choice([rng.uniform(0, 0.2), rng.uniform(0.7, 0.9)]) * w)
    base = h * 0.55
    top = float(base - rng.uniform(0.3, 0.45) * h)
    return [round(v, 1) for v in (x, base, x + tw / 2, top, x + tw, base)]


def _pairs(flat: list[float]) -> list[tuple[float, float]]:
    return list(zip(flat[0::2], flat[1::2], strict=True))


def make_scene(i: int, *, seed: int = 0, width: int = 320,
               height: int = 240) -> tuple[Image.Image, Image.Image, list[dict], dict]:
    """Return ``(image, mask, rois, meta)`` of scene ``i``; ROI dicts hold label and poly."""
    rng = np.random.default_rng([seed, i])
    weather = str(rng.choice(list(_SKY), p=[0.5, 0.3, 0.2]))
    img = Image.new("RGB", (width, height), _SKY[weather])
    mask = Image.new("L", (width, height), 0)
    draw, mdraw = ImageDraw.Draw(img), ImageDraw.Draw(mask)
    horizon = int(height * 0.55)
    draw.rectangle((0, horizon, width, height), fill=(95, 140, 70))
    road = [(width * 0.42, horizon), (width * 0.58, horizon), (width, height), (0, height)]
    draw.polygon(road, fill=(80, 80, 85))
    mdraw.polygon(road, fill=CLASS_VALUES["road"])
    rois: list[dict[str, Any]] = []
    for _ in range(int(rng.integers(0, 3))):
        poly = _tree(rng, width, height)
        draw.polygon(_pairs(poly), fill=(30, int(rng.integers(90, 140)), 40))
        mdraw.polygon(_pairs(poly), fill=CLASS_VALUES["tree"])
        rois.append({"label": "tree", "poly": poly})
    for _ in range(int(rng.integers(0, 4))):
        poly = _car(rng, width, height)
        colour = str(rng.choice(list(_CAR_COLOURS)))
        draw.polygon(_pairs(poly), fill=_CAR_COLOURS[colour])
        mdraw.polygon(_pairs(poly), fill=CLASS_VALUES["car"])
        rois.append({"label": "car", "poly": poly, "meta": {"color": colour,
                                                            "occluded": bool(rng.random() < .2)}})
    for kind, make, fill in (("person", _person, (160, 90, 60)),
                             ("bicycle", _bicycle, (20, 20, 20))):
        for _ in range(int(rng.integers(0, 3 if kind == "person" else 2))):
            parts = make(rng, width, height)
            for part in parts:
                draw.polygon(_pairs(part), fill=fill)
                mdraw.polygon(_pairs(part), fill=CLASS_VALUES[kind])
            rois.append({"label": kind, "poly": join_parts(parts),
                         "confidence": round(float(rng.uniform(0.6, 1.0)), 2)})
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    arr = np.asarray(img).astype(np.float32)
    arr += rng.normal(0, 8 if weather == "rain" else 4, arr.shape[:2] + (1,)).astype(np.float32)
    img = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8))
    meta = {"city": CITIES[i % len(CITIES)], "weather": weather,
            "time_of_day": "day" if rng.random() < 0.7 else "dusk",
            "speed_kmh": round(float(rng.uniform(0, 60)), 1), "camera": "front"}
    return img, mask, rois, meta


def make_demo_frames(out_dir: str, n: int, *, seed: int = 0, width: int = 320,
                     height: int = 240) -> list[SingleFrame]:
    """Write ``n`` scenes under ``out_dir`` (images/, masks/, previews/) and return frames.

    Frames ``demo-0000``... come in sequences of 8 (context ``seq-000``..., 33 ms apart);
    each has its class mask, a preview thumbnail, its ROIs and a weather frame label.
    """
    for sub in ("images", "masks", "previews"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    frames = []
    for i in range(n):
        img, mask, rois, meta = make_scene(i, seed=seed, width=width, height=height)
        stem = f"{i:04d}"
        paths = {k: os.path.abspath(os.path.join(out_dir, k, stem + ext)) for k, ext in
                 (("images", ".jpg"), ("masks", ".png"), ("previews", ".jpg"))}
        img.save(paths["images"], quality=88)
        mask.save(paths["masks"])
        thumb = img.copy()
        thumb.thumbnail((80, 60))
        thumb.save(paths["previews"], quality=80)
        frame = SingleFrame(paths["images"], width=width, height=height,
                            preview_uri=paths["previews"], metadata=meta,
                            mask_source=paths["masks"], context_id=f"seq-{i // 8:03d}",
                            timestamp=(i % 8) * 33, id=f"demo-{i:04d}")
        for k, roi in enumerate(rois):
            frame.add_annotation(poly2d_xy=roi["poly"], labels=roi["label"],
                                 confidence=roi.get("confidence"), metadata=roi.get("meta"),
                                 id=f"{frame.id}-r{k}")
        frame.add_annotation(labels=[meta["weather"]], id=f"{frame.id}-r{len(rois)}")
        frames.append(frame)
    return frames

