"""SingleFrame: one source with its ROIs, masks, preview and meta."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hyperloader.model._annotate import make_roi
from hyperloader.model._content_type import guess_content_type
from hyperloader.model._parts import MaskSource, Roi, Source, new_id
from hyperloader.model._validate import validate_frame_dict, validate_roi_dict

__all__ = ["SingleFrame", "masks_from"]

DEFAULT_SOURCE_ID = "default"


def masks_from(value: Mapping[str, str] | Sequence[str] | str | None) -> list[MaskSource]:
    """Turn a ``{id: uri}`` dict, a list of URIs (ids "00", "01", ...) or one URI into masks."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    items = value.items() if isinstance(value, Mapping) else (
        (f"{i:02d}", uri) for i, uri in enumerate(value))
    return [MaskSource(id=str(k), uri=u, content_type=guess_content_type(u)) for k, u in items]


class _FrameCommon:
    """What SingleFrame and FrameGroup share: ids, meta, store fields, equality, JSON."""

    def _init_common(self, id: str | None, metadata: dict[str, Any] | None,
                     context_id: str | None, timestamp: int | None) -> None:
        self.id: str = id or new_id()
        self.meta: dict[str, Any] = metadata if metadata is not None else {}
        self._context_id = context_id
        self._timestamp = timestamp
        self.dataset: dict[str, str] | None = None
        self.saved: int | None = None
        self.saved_in_version: str | None = None
        # top-level JSON keys the model does not interpret (e.g. "blob"), written back as read
        self.extra: dict[str, Any] = {}

    @property
    def metadata(self) -> dict[str, Any]:
        """The frame meta dict (same object as :attr:`meta`)."""
        return self.meta

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self.meta = value

    @property
    def context_id(self) -> str:
        """Grouping key; defaults to the first source's URI ("" while a group is empty)."""
        if self._context_id is not None:
            return self._context_id
        sources = self.sources
        return sources[0].uri if sources else ""

    @context_id.setter
    def context_id(self, value: str | None) -> None:
        self._context_id = value

    @property
    def timestamp(self) -> int:
        """Order inside a context; defaults to the first source's timestamp, or 0."""
        if self._timestamp is not None:
            return self._timestamp
        ts = self.sources[0].timestamp if self.sources else None
        return ts if ts is not None else 0

    @timestamp.setter
    def timestamp(self, value: int | None) -> None:
        self._timestamp = value

    @property
    def sources(self) -> list[Source]:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def rois(self) -> list[Roi]:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Return the frame in the reference JSON shape.

        The dict is the caller's: changing it (meta included) does not change the frame.
        """
        from hyperloader.model._serde import frame_to_dict

        return frame_to_dict(self)

    def _as_dict(self) -> dict[str, Any]:
        """Like :meth:`to_dict`, but sharing the frame's meta dicts and lists: read only."""
        from hyperloader.model._serde import _frame_dict

        return _frame_dict(self, copy=False)

    def validate(self) -> None:
        """Validate the whole frame.

        Raises:
            InvalidFrameError: naming the frame id, field path and value.
        """
        validate_frame_dict(self._as_dict())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._as_dict() == other._as_dict()

    # mutable, so unhashable: defining __eq__ without __hash__ sets __hash__ to None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, context_id={self.context_id!r})"


class SingleFrame(_FrameCommon):
    """A frame with one source (id ``"default"``), its ROIs, masks, preview and meta.

    Args:
        source: URI of the image or video (any fsspec URL or a local path).
        width: Image width in pixels.
        height: Image height in pixels.
        preview_uri: URI of a thumbnail.
        metadata: Frame meta dict (also available as ``meta``).
        annotations: ROIs (``Roi`` objects or ROI dicts).
        mask_source: URI of one mask (id ``"00"``).
        context_id: Grouping key; defaults to the source URI.
        timestamp: Order inside the context; defaults to 0.
        id: Frame id; a uuid4 hex is generated when omitted.
        source_meta: Meta of the source itself.
        content_type: MIME type; inferred from the URI's extension when omitted.
    """

    def __init__(self, source: str, width: int | None = None, height: int | None = None,
                 preview_uri: str | None = None, metadata: dict[str, Any] | None = None,
                 annotations: Sequence[Roi | Mapping[str, Any]] | None = None,
                 mask_source: str | None = None, context_id: str | None = None,
                 timestamp: int | None = None, id: str | None = None, *,
                 source_meta: dict[str, Any] | None = None,
                 content_type: str | None = None) -> None:
        self._init_common(id, metadata, context_id, timestamp)
        self._source = Source(id=DEFAULT_SOURCE_ID, uri=source,
                              content_type=content_type or guess_content_type(source or ""),
                              width=width, height=height, timestamp=timestamp,
                              masks=masks_from(mask_source), preview_uri=preview_uri,
                              meta=source_meta if source_meta is not None else {})
        from hyperloader.model._serde import roi_from_dict

        self.annotations: list[Roi] = [
            a if isinstance(a, Roi) else roi_from_dict(a, frame_id=self.id, field=f"rois[{i}]")
            for i, a in enumerate(annotations or [])]
        validate_frame_dict(self._as_dict())

    # -- sources ---------------------------------------------------------------------------
    @property
    def sources(self) -> list[Source]:
        """The frame's sources (exactly one for a SingleFrame)."""
        return [self._source]

    @property
    def source(self) -> str:
        """URI of the frame's source."""
        return self._source.uri

    @source.setter
    def source(self, uri: str) -> None:
        self._source.uri = uri

    @property
    def source_id(self) -> str:
        """Id of the frame's source (``"default"`` unless the frame sits in a group)."""
        return self._source.id

    @property
    def width(self) -> int | None:
        """Source width in pixels."""
        return self._source.width

    @width.setter
    def width(self, value: int | None) -> None:
        self._source.width = value

    @property
    def height(self) -> int | None:
        """Source height in pixels."""
        return self._source.height

    @height.setter
    def height(self, value: int | None) -> None:
        self._source.height = value

    @property
    def preview_uri(self) -> str | None:
        """URI of the source's thumbnail."""
        return self._source.preview_uri

    @preview_uri.setter
    def preview_uri(self, value: str | None) -> None:
        self._source.preview_uri = value

    @property
    def content_type(self) -> str | None:
        """MIME type of the source."""
        return self._source.content_type

    @property
    def source_meta(self) -> dict[str, Any]:
        """Meta of the source itself (in a FrameGroup this is the member's meta)."""
        return self._source.meta

    @property
    def mask_source(self) -> str | None:
        """URI of the first mask, or None."""
        return self._source.masks[0].uri if self._source.masks else None

    @mask_source.setter
    def mask_source(self, uri: str | None) -> None:
        self._source.masks = masks_from(uri)

    @property
    def masks_source(self) -> dict[str, str]:
        """Masks as ``{mask_id: uri}``; set a dict to keep ids, a list for "00", "01", ..."""
        return {m.id: m.uri for m in self._source.masks}

    @masks_source.setter
    def masks_source(self, value: Mapping[str, str] | Sequence[str] | None) -> None:
        self._source.masks = masks_from(value)

    # -- annotations -----------------------------------------------------------------------
    @property
    def rois(self) -> list[Roi]:
        """Alias of :attr:`annotations`."""
        return self.annotations

    def add_annotation(self, poly2d_xy: Sequence | None = None,
                       box2d_xywh: Sequence[float] | None = None,
                       ellipse2d_xyrrt: Sequence[float] | None = None,
                       points2d_xy: Sequence | None = None,
                       labels: Sequence[str] | str | None = None,
                       confidence: float | None = None,
                       metadata: dict[str, Any] | None = None,
                       id: str | None = None, *, sources: Sequence[str] | None = None) -> Roi:
        """Add a ROI; with no geometry it is a frame-level label.

        A box is stored as its 4-corner polygon; a list of lists is a multi-part polygon.

        Raises:
            InvalidFrameError: for bad geometry, confidence or meta.
        """
        field = f"rois[{len(self.annotations)}]"
        roi = make_roi(poly2d_xy=poly2d_xy, box2d_xywh=box2d_xywh,
                       ellipse2d_xyrrt=ellipse2d_xyrrt, points2d_xy=points2d_xy,
                       labels=labels, confidence=confidence, metadata=metadata, id=id,
                       sources=sources or [self._source.id],
                       frame_id=self.id, field=field)
        validate_roi_dict(_roi_json(roi), frame_id=self.id, field=field,
                          source_ids={self._source.id})
        self.annotations.append(roi)
        return roi

    def get_local_source(self, force_download: bool = False) -> str:
        """Return a local path to the source, fetching it into the cache if remote."""
        from hyperloader.model._local import local_path

        return local_path(self._source.uri, force_download=force_download)

    def get_local_mask_source(self, mask_id: str | None = None,
                              force_download: bool = False) -> str | None:
        """Return a local path to a mask (the first one by default), or None if none."""
        from hyperloader.model._local import local_path

        masks = self.masks_source
        if not masks:
            return None
        uri = masks[mask_id] if mask_id is not None else next(iter(masks.values()))
        return local_path(uri, force_download=force_download)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SingleFrame:
        """Build a SingleFrame from the reference JSON.

        Raises:
            InvalidFrameError: when the dict is malformed.
        """
        from hyperloader.model._serde import single_frame_from_dict

        return single_frame_from_dict(d)


def _roi_json(roi: Roi) -> dict[str, Any]:
    from hyperloader.model._serde import _roi_dict

    return _roi_dict(roi, copy=False)
