"""The frame model: SingleFrame, FrameGroup, ROIs, sources and their JSON form; no I/O."""

from hyperloader.model._columns import FrameTables, frames_to_tables, meta_type_name
from hyperloader.model._content_type import guess_content_type
from hyperloader.model._frame import SingleFrame
from hyperloader.model._geometry import (
    POLY_SEPARATOR,
    box_to_poly,
    ellipse_to_poly,
    join_parts,
    split_parts,
)
from hyperloader.model._group import FrameGroup
from hyperloader.model._local import set_local_resolver
from hyperloader.model._parts import MaskSource, Roi, Source, new_id
from hyperloader.model._serde import (
    frame_from_dict,
    frame_to_dict,
    is_single_frame_dict,
    roi_from_dict,
    roi_to_dict,
)
from hyperloader.model._timestamps import TimestampKeys
from hyperloader.model._validate import validate_frame_dict

__all__ = [
    "POLY_SEPARATOR",
    "FrameGroup",
    "FrameTables",
    "MaskSource",
    "Roi",
    "SingleFrame",
    "Source",
    "TimestampKeys",
    "box_to_poly",
    "ellipse_to_poly",
    "frame_from_dict",
    "frame_to_dict",
    "frames_to_tables",
    "guess_content_type",
    "is_single_frame_dict",
    "join_parts",
    "meta_type_name",
    "new_id",
    "roi_from_dict",
    "roi_to_dict",
    "set_local_resolver",
    "split_parts",
    "validate_frame_dict",
]
