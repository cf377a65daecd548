"""Image, mask and polygon decoders behind one registry; numpy out, no torch.

Images decode through a registry (``get_decoder("pil")``; the torch layer adds
``"torchvision"``). Polygons rasterise pixel-identically to pycocotools. Masks decode to
their stored values and map to class ids with a vectorised lookup.
"""

from __future__ import annotations

from ._image import decode_image, image_size
from ._mask import alpha_from_mask, decode_mask
from ._mask_ids import map_mask_to_ids
from ._pil import ImageData
from ._polygon import POLY_SEPARATOR, polygon_bbox_xyxy, polygon_parts
from ._rasterize import rasterize_polygon, rasterize_polygons
from ._registry import (
    DEFAULT_DECODER,
    ImageDecoder,
    available_decoders,
    get_decoder,
    register_decoder,
)
from ._resize import resize_nearest

__all__ = [
    "DEFAULT_DECODER",
    "ImageData",
    "ImageDecoder",
    "POLY_SEPARATOR",
    "alpha_from_mask",
    "available_decoders",
    "decode_image",
    "decode_mask",
    "get_decoder",
    "image_size",
    "map_mask_to_ids",
    "polygon_bbox_xyxy",
    "polygon_parts",
    "rasterize_polygon",
    "rasterize_polygons",
    "register_decoder",
    "resize_nearest",
]
