"""Draw frames to images with Pillow: sources, ROI polygons and labels, mask overlays, charts."""

from __future__ import annotations

from hyperloader.render._chart import bar_chart, stack_vertical
from hyperloader.render._colors import label_color, text_color, value_color
from hyperloader.render._draw import RenderOptions, render_frame
from hyperloader.render._masks import MaskMode, normalize_mask_labels

__all__ = [
    "MaskMode",
    "RenderOptions",
    "bar_chart",
    "label_color",
    "normalize_mask_labels",
    "render_frame",
    "stack_vertical",
    "text_color",
    "value_color",
]
