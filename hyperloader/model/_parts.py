"""The value types inside a frame: ROIs, sources and mask sources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from hyperloader.model._geometry import split_parts

__all__ = ["MaskSource", "Roi", "Source", "new_id"]


def new_id() -> str:
    """Return a fresh random id (uuid4 hex)."""
    return uuid.uuid4().hex


@dataclass(slots=True)
class Roi:
    """One annotation: labels plus an optional polygon (no polygon means a frame label).

    ``poly`` is flat; parts of a multi-part polygon are separated by ``POLY_SEPARATOR``.
    ``label_num`` is filled by a DataView from its label enumeration. ``extra`` keeps the
    JSON keys this model does not interpret, so that a round trip loses none of them.
    """

    labels: list[str] = field(default_factory=list)
    poly: list[float] | None = None
    confidence: float | None = None
    sources: list[str] = field(default_factory=lambda: ["default"])
    meta: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    points: list[float] | None = None
    mask: dict[str, Any] | None = None
    label_num: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> list[str]:
        """Alias of :attr:`labels` (the JSON field is ``label``)."""
        return self.labels

    @property
    def metadata(self) -> dict[str, Any]:
        """Alias of :attr:`meta`."""
        return self.meta

    @property
    def is_frame_label(self) -> bool:
        """True when the ROI has no geometry and labels the whole frame."""
        return self.poly is None and self.points is None

    def parts(self) -> list[list[float]]:
        """Return the polygon's parts (empty for a frame label)."""
        return split_parts(self.poly) if self.poly else []


@dataclass(slots=True)
class MaskSource:
    """A mask file attached to a source; ``extra`` keeps JSON keys the model does not use."""

    id: str
    uri: str
    content_type: str | None = None
    timestamp: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Source:
    """A raw-data source of a frame: an image or video URI with its size and masks.

    ``extra`` and ``preview_extra`` keep the JSON keys of the source and of its ``preview``
    dict that the model does not interpret, so that a round trip loses none of them.
    """

    id: str
    uri: str
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    timestamp: int | None = None
    masks: list[MaskSource] = field(default_factory=list)
    preview_uri: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    preview_extra: dict[str, Any] = field(default_factory=dict)
