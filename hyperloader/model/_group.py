"""FrameGroup: several SingleFrames keyed by source id, sharing one frame record."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any

from hyperloader.errors import InvalidFrameError
from hyperloader.model._annotate import make_roi
from hyperloader.model._frame import SingleFrame, _FrameCommon
from hyperloader.model._parts import Roi, Source
from hyperloader.model._validate import validate_roi_dict

__all__ = ["FrameGroup"]


class FrameGroup(_FrameCommon, MutableMapping[str, SingleFrame]):
    """A dict-like group of SingleFrames keyed by source id, e.g. ``fg["left"] = frame``.

    Each member's ROIs are bound to its source; ``add_global_annotation`` binds one ROI
    to every source. A member's ``metadata`` is stored as its source's ``meta``.

    Args:
        frames: Initial ``{source_id: SingleFrame}`` members.
        metadata: Group meta dict.
        context_id: Grouping key; defaults to the first source's URI.
        timestamp: Order inside the context; defaults to the first source's timestamp.
        id: Frame id; a uuid4 hex is generated when omitted.
    """

    def __init__(self, frames: Mapping[str, SingleFrame] | None = None,
                 metadata: dict[str, Any] | None = None, context_id: str | None = None,
                 timestamp: int | None = None, id: str | None = None) -> None:
        self._init_common(id, metadata, context_id, timestamp)
        self._frames: dict[str, SingleFrame] = {}
        self.global_annotations: list[Roi] = []
        # ROIs in the order from_dict read them; identity, not id, since ids may repeat
        self._loaded_rois: list[Roi] = []
        for key, frame in (frames or {}).items():
            self[key] = frame

    def __getitem__(self, key: str) -> SingleFrame:
        return self._frames[key]

    def __setitem__(self, key: str, frame: SingleFrame) -> None:
        if not isinstance(frame, SingleFrame):
            raise TypeError(f"FrameGroup members must be SingleFrame, got {type(frame).__name__}")
        if not isinstance(key, str) or not key:
            raise InvalidFrameError("source id must be a non-empty string", frame_id=self.id,
                                    field="sources", value=key)
        frame._source.id = key
        # a member's metadata is its source's meta: make them one dict
        frame._source.meta.update(frame.meta)
        frame.meta = frame._source.meta
        for roi in frame.annotations:
            roi.sources = [key]
        self._frames[key] = frame

    def __delitem__(self, key: str) -> None:
        del self._frames[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    __eq__ = _FrameCommon.__eq__  # and so __hash__ is None: unhashable, as mutable

    @property
    def sources(self) -> list[Source]:
        """The members' sources, in insertion order."""
        return [f._source for f in self._frames.values()]

    @property
    def rois(self) -> list[Roi]:
        """Every ROI of the group: members' and global, in stored order."""
        rois = [r for f in self._frames.values() for r in f.annotations]
        rois += self.global_annotations
        if self._loaded_rois:
            present = {id(r) for r in rois}
            ordered = [r for r in self._loaded_rois if id(r) in present]
            loaded = {id(r) for r in ordered}
            rois = ordered + [r for r in rois if id(r) not in loaded]
        return rois

    def add_global_annotation(self, poly2d_xy: Sequence | None = None,
                              box2d_xywh: Sequence[float] | None = None,
                              ellipse2d_xyrrt: Sequence[float] | None = None,
                              points2d_xy: Sequence | None = None,
                              labels: Sequence[str] | str | None = None,
                              confidence: float | None = None,
                              metadata: dict[str, Any] | None = None,
                              id: str | None = None) -> Roi:
        """Add one ROI bound to every source of the group.

        Raises:
            InvalidFrameError: for bad geometry, confidence or meta.
        """
        from hyperloader.model._serde import _roi_dict

        field = f"rois[{len(self.rois)}]"
        roi = make_roi(poly2d_xy=poly2d_xy, box2d_xywh=box2d_xywh,
                       ellipse2d_xyrrt=ellipse2d_xyrrt, points2d_xy=points2d_xy,
                       labels=labels, confidence=confidence, metadata=metadata, id=id,
                       sources=list(self._frames), frame_id=self.id, field=field)
        validate_roi_dict(_roi_dict(roi, copy=False), frame_id=self.id, field=field,
                          source_ids=set(self._frames))
        self.global_annotations.append(roi)
        return roi

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FrameGroup:
        """Build a FrameGroup from the reference JSON.

        Raises:
            InvalidFrameError: when the dict is malformed.
        """
        from hyperloader.model._serde import frame_group_from_dict

        return frame_group_from_dict(d)
