"""FrameTables: frames flattened into three Arrow tables (frames, rois, sources).

This is the form segments store, queries evaluate and DataViews index. The full frame
JSON rides along in ``frames.doc`` for exact reconstruction; the other columns exist so
queries run vectorised.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from hyperloader.errors import InvalidFrameError
from hyperloader.model._exact import fits_meta_column, frame_doc, int64_column
from hyperloader.model._frame import _FrameCommon

__all__ = ["FrameTables", "frames_to_tables", "meta_type_name"]

_TS = pa.timestamp("ms", tz="UTC")


@dataclass(frozen=True)
class FrameTables:
    """Three Arrow tables describing a batch of frames (see docs/design.md)."""

    frames: pa.Table
    rois: pa.Table
    sources: pa.Table

    @property
    def num_frames(self) -> int:
        """Number of frames."""
        return self.frames.num_rows

    def meta_schema(self, table: str = "frames") -> dict[str, pa.DataType]:
        """Return ``{meta_key: arrow type}`` for the ``meta.*`` columns of ``table``."""
        schema = getattr(self, table).schema
        return {n[5:]: schema.field(n).type for n in schema.names if n.startswith("meta.")}


def meta_type_name(value: Any) -> str | None:
    """Return the column kind of a scalar meta value, or None for nested values."""
    value = _plain(value)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (dt.datetime, dt.date)):
        return "timestamp"
    return None


def _plain(value: Any) -> Any:
    # a numpy scalar (np.int64, np.bool_, ...) counts as the Python value it holds
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    return value


def _as_timestamp(value: Any) -> Any:
    # a bare date is midnight UTC; Arrow will not turn a date into a timestamp by itself
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return value


_ARROW = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "string": pa.string(),
          "timestamp": _TS}


class _MetaColumns:
    """Collects scalar meta values into typed columns, one row at a time."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.kinds: dict[str, str] = {}
        self.values: dict[str, list[Any]] = {}
        self.rows = 0
        self.frame_ids: list[str] = []  # per row, to name the frame when a value will not fit

    def add(self, meta: Mapping[str, Any] | None, frame_id: str) -> None:
        for key, value in (meta or {}).items():
            kind = meta_type_name(value)
            if kind is None:
                continue
            known = self.kinds.get(key)
            if known is None:
                self.kinds[key] = kind
                self.values[key] = [None] * self.rows
            elif known != kind:
                if {known, kind} == {"int", "float"}:
                    self.kinds[key] = "float"
                else:
                    raise InvalidFrameError(
                        f"meta key {key!r} holds {kind} here but {known} in other frames",
                        frame_id=frame_id, field=f"{self.where}.{key}", value=value)
            self.values[key].append(_as_timestamp(_plain(value)))
        self.rows += 1
        self.frame_ids.append(frame_id)
        for col in self.values.values():
            if len(col) < self.rows:
                col.append(None)

    def arrays(self) -> dict[str, pa.Array]:
        return {f"meta.{k}": self._array(k, v) for k, v in sorted(self.values.items())}

    def _array(self, key: str, values: list[Any]) -> pa.Array:
        kind = self.kinds[key]
        try:
            return pa.array(values, type=_ARROW[kind])
        except (pa.ArrowInvalid, OverflowError):
            # ints past int64, or past 2**53 in a column they share with floats
            row = next((i for i, v in enumerate(values)
                        if v is not None and not fits_meta_column(v, kind)), None)
            if row is None:
                raise
        value = values[row]
        if kind == "int":
            reason = (f"meta key {key!r} holds an integer that does not fit in 64 bits; "
                      "store it as a string")
        else:
            reason = (f"meta key {key!r} holds floats in other frames, and a float cannot hold "
                      "this integer exactly; store it as a string")
        raise InvalidFrameError(reason, frame_id=self.frame_ids[row],
                                field=f"{self.where}.{key}", value=value)


def frames_to_tables(frames: Iterable[Mapping[str, Any] | Any]) -> FrameTables:
    """Flatten frames (objects with ``to_dict()`` or frame dicts) into :class:`FrameTables`.

    Raises:
        InvalidFrameError: when one meta key holds values of incompatible types.
    """
    ids, ctx, ts, docs = [], [], [], []
    fmeta, rmeta = _MetaColumns("meta"), _MetaColumns("rois.meta")
    r_frame, r_idx, r_label, r_conf = [], [], [], []
    s_frame: list[int] = []
    s_cols: dict[str, list[Any]] = {k: [] for k in (
        "id", "uri", "content_type", "width", "height", "timestamp", "mask_uris", "preview_uri")}
    for i, f in enumerate(frames):
        # a model frame's dict is only read here, so it need not be a copy
        d = f._as_dict() if isinstance(f, _FrameCommon) else (
            f.to_dict() if hasattr(f, "to_dict") else f)
        fid = d["id"]
        ids.append(fid)
        ctx.append(d.get("context_id"))
        ts.append(d.get("timestamp") or 0)
        docs.append(frame_doc(d, fid))
        fmeta.add(d.get("meta"), fid)
        for j, roi in enumerate(d.get("rois") or ()):
            r_frame.append(i)
            r_idx.append(j)
            r_label.append(roi.get("label", roi.get("labels")) or [])
            r_conf.append(roi.get("confidence"))
            rmeta.add(roi.get("meta"), fid)
        for src in d.get("sources") or ():
            s_frame.append(i)
            for k in ("id", "uri", "content_type", "width", "height", "timestamp"):
                s_cols[k].append(src.get(k))
            s_cols["mask_uris"].append([m["uri"] for m in src.get("masks") or ()])
            s_cols["preview_uri"].append((src.get("preview") or {}).get("uri"))
    frames_t = pa.table({"id": pa.array(ids, pa.string()), "context_id": pa.array(ctx, pa.string()),
                         "timestamp": int64_column(ts, lambda r: (ids[r], "timestamp")),
                         "doc": pa.array(docs, pa.string()), **fmeta.arrays()})
    rois_t = pa.table({"frame_index": pa.array(r_frame, pa.int32()),
                       "roi_index": pa.array(r_idx, pa.int32()),
                       "label": pa.array(r_label, pa.list_(pa.string())),
                       "confidence": pa.array(r_conf, pa.float64()), **rmeta.arrays()})
    src_types = {"id": pa.string(), "uri": pa.string(), "content_type": pa.string(),
                 "width": pa.int64(), "height": pa.int64(), "timestamp": pa.int64(),
                 "mask_uris": pa.list_(pa.string()), "preview_uri": pa.string()}
    sources_t = pa.table({"frame_index": pa.array(s_frame, pa.int32()), **{
        k: int64_column(v, functools.partial(_source_field, ids, s_frame, k))
        if src_types[k] == pa.int64() else pa.array(v, src_types[k]) for k, v in s_cols.items()}})
    return FrameTables(frames_t, rois_t, sources_t)


def _source_field(ids: list[str], s_frame: list[int], key: str, row: int) -> tuple[str, str]:
    frame = s_frame[row]
    return ids[frame], f"sources[{row - s_frame.index(frame)}].{key}"
