"""A horizontal bar chart drawn with Pillow (no matplotlib)."""

from __future__ import annotations

from collections.abc import Mapping

from PIL import Image, ImageDraw, ImageFont

from hyperloader.render._colors import label_color

__all__ = ["bar_chart", "stack_vertical"]


def bar_chart(values: Mapping[str, float], *, title: str = "", width: int = 640,
              bar_height: int = 18, max_bars: int = 40,
              sort_by_value: bool = True) -> Image.Image:
    """Draw ``{name: value}`` as horizontal bars, each in its label colour.

    Args:
        values: the bars; at most ``max_bars`` largest are drawn.
        title: a line above the bars.
        width: image width in pixels.
        bar_height: height of one bar in pixels.
        max_bars: how many bars to draw at most.
        sort_by_value: largest first; False keeps the mapping's order.
    """
    font = ImageFont.load_default(size=12)
    items = list(values.items())
    if sort_by_value:
        items.sort(key=lambda kv: (-kv[1], kv[0]))
    items = items[:max_bars]
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    name_w = max([probe.textlength(str(k), font=font) for k, _ in items] + [20]) + 10
    top = 28 if title else 8
    height = top + len(items) * (bar_height + 4) + 8
    img = Image.new("RGB", (width, max(height, top + 20)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((8, 8), title, fill=(0, 0, 0), font=font)
    peak = max((v for _, v in items), default=0) or 1
    span = width - name_w - 70
    for i, (name, value) in enumerate(items):
        y = top + i * (bar_height + 4)
        draw.text((8, y + 2), str(name), fill=(0, 0, 0), font=font)
        bar = max(1, round(span * value / peak)) if value else 0
        if bar:
            draw.rectangle((name_w, y, name_w + bar, y + bar_height),
                           fill=label_color(str(name)))
        text = f"{value:g}" if isinstance(value, float) else str(value)
        draw.text((name_w + bar + 6, y + 2), text, fill=(0, 0, 0), font=font)
    if not items:
        draw.text((8, top), "(nothing to show)", fill=(90, 90, 90), font=font)
    return img


def stack_vertical(images: list[Image.Image], gap: int = 8) -> Image.Image:
    """Stack images top to bottom on a white background."""
    width = max(i.width for i in images)
    height = sum(i.height for i in images) + gap * (len(images) - 1)
    out = Image.new("RGB", (width, height), (255, 255, 255))
    y = 0
    for im in images:
        out.paste(im, (0, y))
        y += im.height + gap
    return out
