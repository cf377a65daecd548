"""Draw a frame: its source image, ROI polygons with labels and confidence, masks."""

from __future__ import annotations

import functools
import io
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from hyperloader.errors import DecodeError
from hyperloader.model import split_parts
from hyperloader.render._colors import label_color, text_color
from hyperloader.render._masks import (
    MaskMode,
    label_colors,
    normalize_mask_labels,
    overlay_alpha,
    overlay_labels,
    pixel_key,
)

__all__ = ["RenderOptions", "render_frame"]

log = logging.getLogger(__name__)

Reader = Callable[[str], bytes]


@dataclass
class RenderOptions:
    """How :func:`render_frame` draws.

    Attributes:
        mask_mode: ``"labels"`` (mask values in label colours) or ``"alpha"`` (opacity).
        mask_labels: the version's mask-label mapping (``{(r, g, b): [labels]}`` or the
            metadata's list form); values it does not name get colours of their own.
        fill_alpha: opacity of the polygon fill in its label colour (0 = outline only).
        mask_alpha: opacity of the label colours in ``labels`` mode.
        line_width: outline width in pixels.
        draw_masks: whether to overlay the source's masks at all.
    """

    mask_mode: MaskMode | str = MaskMode.LABELS
    mask_labels: Any = None
    fill_alpha: float = 0.35
    mask_alpha: float = 0.5
    line_width: int = 2
    draw_masks: bool = True

    def __post_init__(self) -> None:
        self.mask_mode = MaskMode(self.mask_mode)
        for name in ("fill_alpha", "mask_alpha"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


def _default_reader(uri: str) -> bytes:
    from hyperloader.io import fetch_bytes

    return fetch_bytes(uri)


def _open(data: bytes, *, frame_id: str, source_id: str, uri: str) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise DecodeError(f"not an image: {exc}", frame_id=frame_id, source_id=source_id,
                          uri=uri, decoder="pillow") from exc
    return img


def render_frame(frame: Any, *, options: RenderOptions | None = None,
                 read: Reader | None = None) -> Image.Image:
    """Draw ``frame`` (SingleFrame or FrameGroup) as an RGB image.

    A FrameGroup becomes a grid with one tile per source, captioned with the source id.

    Args:
        frame: the frame, or its dict form.
        options: drawing options; defaults to :class:`RenderOptions()`.
        read: ``uri -> bytes`` for sources and masks; defaults to ``hyperloader.io``.

    Raises:
        DecodeError: when a source or mask is not a readable image.
        StoreError: when a URI cannot be read.
    """
    opts = options or RenderOptions()
    d = frame.to_dict() if hasattr(frame, "to_dict") else frame
    read = read or _default_reader
    tiles = [_render_source(d, src, opts, read) for src in d["sources"]]
    if len(tiles) == 1:
        return tiles[0]
    return _grid(tiles, [s["id"] for s in d["sources"]])


def _render_source(d: Mapping[str, Any], src: Mapping[str, Any], opts: RenderOptions,
                   read: Reader) -> Image.Image:
    img = _open(read(src["uri"]), frame_id=d["id"], source_id=src["id"], uri=src["uri"])
    img = img.convert("RGB")
    rois = [r for r in d.get("rois") or () if src["id"] in r.get("sources", ["default"])]
    if opts.draw_masks:
        img = _draw_masks(img, d["id"], src, rois, opts, read)
    return _draw_rois(img, rois, opts)


def _draw_masks(img: Image.Image, frame_id: str, src: Mapping[str, Any], rois: list[dict],
                opts: RenderOptions, read: Reader) -> Image.Image:
    base = label_colors(normalize_mask_labels(opts.mask_labels))
    for m in src.get("masks") or ():
        mask_img = _open(read(m["uri"]), frame_id=frame_id, source_id=src["id"], uri=m["uri"])
        if mask_img.size != img.size:
            mask_img = mask_img.resize(img.size, Image.Resampling.NEAREST)
        if mask_img.mode == "P":
            mask_img = mask_img.convert("RGB")
        arr = np.asarray(mask_img)
        if opts.mask_mode is MaskMode.ALPHA:
            img = overlay_alpha(img, arr)
            continue
        colors = dict(base)
        for roi in rois:  # a ROI's own mask value takes the ROI's label colour
            ref = roi.get("mask") or {}
            if str(ref.get("id")) == str(m["id"]) and "value" in ref:
                colors[pixel_key(ref["value"])] = label_color(_first(roi.get("label")))
        img = overlay_labels(img, arr, colors=colors, alpha=opts.mask_alpha)
    return img


def _first(labels: Any) -> str | None:
    return labels[0] if labels else None


@functools.lru_cache(maxsize=4)
def _font(size: int = 12) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def _caption(roi: Mapping[str, Any]) -> str:
    text = ",".join(roi.get("label") or []) or "?"
    if roi.get("confidence") is not None:
        text += f" {roi['confidence']:.2f}"
    return text


def _draw_rois(img: Image.Image, rois: list[dict], opts: RenderOptions) -> Image.Image:
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    fill = ImageDraw.Draw(layer)
    shapes = [r for r in rois if r.get("poly")]
    for roi in shapes:
        color = label_color(_first(roi.get("label")))
        for part in split_parts(roi["poly"]):
            xy = list(zip(part[0::2], part[1::2], strict=True))
            if len(xy) >= 3 and opts.fill_alpha > 0:
                fill.polygon(xy, fill=(*color, round(opts.fill_alpha * 255)))
    out = Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")
    draw = ImageDraw.Draw(out)
    font = _font()
    for roi in shapes:
        color = label_color(_first(roi.get("label")))
        parts = split_parts(roi["poly"])
        for part in parts:
            xy = list(zip(part[0::2], part[1::2], strict=True))
            if len(xy) >= 2:
                draw.line(xy + xy[:1], fill=color, width=opts.line_width)
        xs = [v for p in parts for v in p[0::2]]
        ys = [v for p in parts for v in p[1::2]]
        _label_box(draw, (min(xs), min(ys)), _caption(roi), color, font)
    for roi in rois:
        if roi.get("points"):
            color = label_color(_first(roi.get("label")))
            for part in split_parts(roi["points"]):
                for x, y in zip(part[0::2], part[1::2], strict=True):
                    draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=color)
    y = 2
    for roi in rois:  # frame labels: a stack of captions in the corner
        if not roi.get("poly") and not roi.get("points"):
            y = _label_box(draw, (2, y), _caption(roi), label_color(_first(roi.get("label"))),
                           font, above=False) + 2
    return out


def _label_box(draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str,
               color: tuple[int, int, int], font: Any, *, above: bool = True) -> float:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left + 4, bottom - top + 4
    x, y = at
    if above and y - h >= 0:
        y -= h
    draw.rectangle((x, y, x + w, y + h), fill=color)
    draw.text((x + 2 - left, y + 2 - top), text, fill=text_color(color), font=font)
    return y + h


def _grid(tiles: list[Image.Image], names: list[str]) -> Image.Image:
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    cap = 16
    cw = max(t.width for t in tiles)
    ch = max(t.height for t in tiles) + cap
    out = Image.new("RGB", (cols * cw, rows * ch), (32, 32, 32))
    draw = ImageDraw.Draw(out)
    font = _font()
    for i, (tile, name) in enumerate(zip(tiles, names, strict=True)):
        x, y = (i % cols) * cw, (i // cols) * ch
        draw.text((x + 3, y + 2), name, fill=(255, 255, 255), font=font)
        out.paste(tile, (x, y + cap))
    return out
