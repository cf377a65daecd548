"""The closed vocabularies of a DataView: iteration order and which ROIs a frame carries."""

from __future__ import annotations

from enum import Enum

__all__ = ["IterationOrder", "OutputRois"]


class _StrEnum(str, Enum):
    """A string-valued enum whose constructor lists the known values on a bad one."""

    @classmethod
    def _missing_(cls, value: object) -> _StrEnum:
        if isinstance(value, str):
            for member in cls:
                if member.value == value.lower():
                    return member
        known = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"unknown {cls.__name__} {value!r}; known values: {known}")

    def __str__(self) -> str:
        return self.value


class IterationOrder(_StrEnum):
    """How frames are ordered: ``sequential`` (by context, then timestamp) or ``random``."""

    sequential = "sequential"
    random = "random"


class OutputRois(_StrEnum):
    """Which ROIs a returned frame carries.

    ``all_in_frame``: every ROI of the frame. ``only_filtered``: only the ROIs that made
    the frame match. ``frame_per_roi``: each matching ROI yields its own copy of the frame
    holding that ROI alone.
    """

    all_in_frame = "all_in_frame"
    only_filtered = "only_filtered"
    frame_per_roi = "frame_per_roi"

