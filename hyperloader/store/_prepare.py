"""Turn what the user passes to ``add_frames`` into validated frame dicts ready to store.

Frame objects go through ``to_dict()``; plain dicts are the fast path for bulk imports and
are validated as they are, with the defaults ``to_dict()`` would fill (``context_id``,
``timestamp``, ``num_frames``). The store fields (``dataset``, ``saved``,
``saved_in_version``) are dropped: the store writes its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hyperloader.errors import InvalidFrameError
from hyperloader.model import validate_frame_dict

__all__ = ["STORE_FIELDS", "frame_id_of", "prepare_frames"]

STORE_FIELDS = ("dataset", "saved", "saved_in_version")


def frame_id_of(frame: Any) -> str:
    """Return the id of a frame object, a frame dict or a plain id string.

    Raises:
        InvalidFrameError: when no id can be found.
    """
    if isinstance(frame, str):
        return frame
    if hasattr(frame, "to_dict"):  # SingleFrame, FrameGroup (which is a Mapping too)
        fid = getattr(frame, "id", None)
    else:
        fid = frame.get("id") if isinstance(frame, Mapping) else None
    if not isinstance(fid, str) or not fid:
        raise InvalidFrameError("a frame id must be a non-empty string", field="id",
                                value=fid)
    return fid


def _from_mapping(frame: Mapping[str, Any]) -> dict[str, Any]:
    d = {k: v for k, v in frame.items() if k not in STORE_FIELDS}
    fid = d.get("id")
    if not isinstance(fid, str) or not fid:
        raise InvalidFrameError("a frame dict needs a non-empty string id", frame_id=fid,
                                field="id", value=fid)
    validate_frame_dict(d)
    sources = d["sources"]
    if d.get("context_id") is None:
        d["context_id"] = sources[0]["uri"]
    if d.get("timestamp") is None:
        d["timestamp"] = sources[0].get("timestamp") or 0
    d["num_frames"] = len(sources)
    return d


def _from_object(frame: Any) -> dict[str, Any]:
    to_dict = getattr(frame, "to_dict", None)
    if to_dict is None:
        raise InvalidFrameError("expected a SingleFrame, a FrameGroup or a frame dict",
                                value=frame)
    d = to_dict()
    validate_frame_dict(d)
    for key in STORE_FIELDS:
        d.pop(key, None)
    return d


def prepare_frames(frames: Iterable[Any]) -> list[dict[str, Any]]:
    """Validate every frame and return their dicts, in order; nothing is written.

    Raises:
        InvalidFrameError: for the first malformed frame, naming its id and field.
    """
    return [_from_object(f) if hasattr(f, "to_dict") else _from_mapping(f)
            if isinstance(f, Mapping) else _from_object(f) for f in frames]
