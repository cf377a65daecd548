"""The hyperloader exception hierarchy; every layer may import it.

Each error inherits the matching builtin too, so callers can catch either one, and
each survives pickling because it crosses DataLoader worker processes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "DatasetNotFoundError",
    "DecodeError",
    "FrameNotFoundError",
    "HyperloaderError",
    "InvalidFrameError",
    "InvalidMetadataError",
    "QuerySyntaxError",
    "StoreError",
    "VersionNotFoundError",
    "VersionStateError",
    "close_matches",
]


def close_matches(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` names from ``candidates`` that look like ``name``."""
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.5)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class HyperloaderError(Exception):
    """Base class of every error hyperloader raises on purpose."""

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        for key, value in details.items():
            setattr(self, key, value)

    def __reduce__(self):  # keep the details across pickling (DataLoader workers)
        return (_rebuild, (type(self), self.message, self.details))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[HyperloaderError], message: str,
             details: dict[str, Any]) -> HyperloaderError:
    err = cls.__new__(cls)
    HyperloaderError.__init__(err, message, **details)
    return err


class InvalidFrameError(HyperloaderError, ValueError):
    """A frame, ROI, source or meta value is malformed.

    Attributes: ``frame_id``, ``field`` (a path such as ``rois[2].poly``), ``value``.
    """

    def __init__(self, reason: str, *, frame_id: str | None = None, field: str = "",
                 value: Any = None, uri: str | None = None) -> None:
        where = f"frame {frame_id!r}" if frame_id is not None else "frame"
        if field:
            where += f" field {field}"
        if uri:
            where += f" uri={uri!r}"
        msg = f"{where}: {reason} (got {_short(value)})"
        super().__init__(msg, frame_id=frame_id, field=field, value=value, uri=uri)


class InvalidMetadataError(HyperloaderError, ValueError):
    """Version metadata holds a key or value the store cannot keep.

    Attributes: ``version_id`` (or None), ``field`` (a path such as ``metadata.a[2].b``),
    ``value``.
    """

    def __init__(self, reason: str, *, field: str, value: Any,
                 version_id: str | None = None) -> None:
        where = f"version {version_id!r} " if version_id else ""
        msg = f"{where}{field}: {reason} (got {_short(value)})"
        super().__init__(msg, version_id=version_id, field=field, value=value)


class FrameNotFoundError(HyperloaderError, KeyError):
    """A frame id is not in the version that was asked."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.message


class DatasetNotFoundError(HyperloaderError, KeyError):
    """A dataset name or id is unknown; the message lists close matches."""

    def __str__(self) -> str:
        return self.message


class VersionNotFoundError(HyperloaderError, KeyError):
    """A version name or id is unknown; the message lists close matches."""

    def __str__(self) -> str:
        return self.message


class QuerySyntaxError(HyperloaderError, ValueError):
    """A Lucene query is malformed or asks for something impossible.

    Attributes: ``query``, ``position`` (0-based, or None) and ``expected``.
    """

    def __init__(self, query: str, reason: str, position: int | None = None) -> None:
        msg = f"invalid query {query!r}: {reason}"
        if position is not None:
            msg += f"\n  {query}\n  {' ' * position}^"
        super().__init__(msg, query=query, position=position, reason=reason)


class StoreError(HyperloaderError, OSError):
    """Reading or writing the store or a remote object failed. Attribute: ``uri``."""

    def __str__(self) -> str:
        return self.message


class VersionStateError(HyperloaderError):
    """An operation is not allowed in the version's state (e.g. writing a published one)."""


class DecodeError(HyperloaderError):
    """A source or mask could not be decoded.

    Attributes: ``frame_id``, ``source_id``, ``uri`` and ``decoder``.
    """

    def __init__(self, reason: str, *, frame_id: str | None = None, source_id: str | None = None,
                 uri: str | None = None, decoder: str | None = None) -> None:
        where = [f"{k} {v!r}" for k, v in (("frame", frame_id), ("source", source_id))
                 if v is not None]
        if uri is not None:
            where.append(f"uri={uri!r}")
        # re-raised across a DataLoader worker as DecodeError(message): keep it verbatim
        msg = f"{' '.join(where)}: {reason}" if where else reason
        if decoder:
            msg += f" (decoder {decoder})"
        super().__init__(msg, frame_id=frame_id, source_id=source_id, uri=uri, decoder=decoder)
