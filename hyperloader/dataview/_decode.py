"""Decode plan entries into frame dicts: output_rois, label mapping, label_num, dataset.

Only the rows asked for are decoded: their ``doc`` strings are taken from the Arrow
column and parsed with ``json.loads``; datetime meta, an ISO string there, is parsed back
only under the keys the version's columns type as timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from hyperloader.dataview._enums import OutputRois
from hyperloader.dataview._mapping import LabelMapper
from hyperloader.dataview._plan import EntryTable
from hyperloader.dataview._source import VersionRef
from hyperloader.model import FrameTables, TimestampKeys

__all__ = ["LoadedVersion", "decode_dicts"]

_STORE_FIELDS = ("saved", "saved_in_version")


class LoadedVersion:
    """A version's reference and tables, with the ROI index columns decoded lazily."""

    def __init__(self, ref: VersionRef, tables: FrameTables) -> None:
        self.ref = ref
        self.tables = tables

    @cached_property
    def timestamp_keys(self) -> TimestampKeys:
        """The meta keys whose JSON strings are datetimes (falsy when there are none)."""
        return TimestampKeys.from_tables(self.tables)

    @cached_property
    def frame_index(self) -> np.ndarray:
        """Frame row of each ROI row (non-decreasing)."""
        return self.tables.rois.column("frame_index").to_numpy()

    @cached_property
    def roi_index(self) -> np.ndarray:
        """Position of each ROI row inside its frame."""
        return self.tables.rois.column("roi_index").to_numpy()

    def docs(self, rows: np.ndarray) -> list[str]:
        """Return the ``doc`` JSON strings of ``rows``."""
        return self.tables.frames.column("doc").take(pa.array(rows)).to_pylist()

    def store_fields(self, rows: np.ndarray) -> list[dict[str, Any]]:
        """Return the store columns (``saved``, ``saved_in_version``) of ``rows``, if any."""
        names = [c for c in _STORE_FIELDS if c in self.tables.frames.column_names]
        if not names:
            return [{}] * len(rows)
        taken = self.tables.frames.select(names).take(pa.array(rows)).to_pylist()
        return [{k: v for k, v in d.items() if v is not None} for d in taken]

    def kept_positions(self, row: int, keep: np.ndarray) -> list[int]:
        """Return the positions (in the frame) of row ``row``'s ROIs whose bit is set."""
        lo, hi = np.searchsorted(self.frame_index, [row, row + 1])
        j = np.arange(lo, hi)
        bits = (keep[j >> 3] >> (7 - (j & 7))) & 1  # np.packbits is big-endian per byte
        return [int(p) for p in self.roi_index[lo:hi][bits.astype(bool)]]


def _shape(d: dict[str, Any], version: LoadedVersion, roi: int, keep: np.ndarray | None,
           row: int, mapper: LabelMapper, mode: OutputRois) -> dict[str, Any]:
    rois = d.get("rois") or []
    if mode is OutputRois.frame_per_roi:
        rois = [rois[roi]]
    elif mode is OutputRois.only_filtered and keep is not None:
        rois = [rois[p] for p in version.kept_positions(row, keep)]
    for r in rois:
        labels = r.pop("labels", None)
        labels = r.get("label", labels) or []
        r["label"], num = mapper.apply(version.ref, labels)
        if num is not None:
            r["label_num"] = num
    d["rois"] = rois
    d["dataset"] = {"id": version.ref.dataset_id, "version": version.ref.version_id}
    return d


def decode_dicts(entries: EntryTable, entry_ids: Sequence[int] | np.ndarray,
                 versions: Sequence[LoadedVersion], mapper: LabelMapper,
                 mode: OutputRois) -> list[dict[str, Any]]:
    """Return the frame dicts of ``entry_ids``, in the order asked.

    Raises:
        IndexError: for an entry id outside ``[0, len(entries))``.
    """
    ids = np.asarray(entry_ids, np.int64).reshape(-1)
    if len(ids) and (ids.min() < 0 or ids.max() >= len(entries)):
        bad = ids[(ids < 0) | (ids >= len(entries))][0]
        raise IndexError(f"entry id {int(bad)} out of range [0, {len(entries)})")
    vidx, rows, rois = entries.version_idx[ids], entries.row[ids], entries.roi[ids]
    out: list[dict[str, Any]] = [{}] * len(ids)
    for v in np.unique(vidx):
        pos = np.flatnonzero(vidx == v)
        version, keep = versions[int(v)], entries.roi_keep[int(v)]
        docs, extra = version.docs(rows[pos]), version.store_fields(rows[pos])
        stamps = version.timestamp_keys
        for p, text, fields in zip(pos, docs, extra, strict=True):
            d = _shape(json.loads(text), version, int(rois[p]), keep, int(rows[p]), mapper,
                       mode)
            if stamps:  # after _shape, so only the ROIs kept are parsed
                stamps.restore(d)
            d.update(fields)
            out[p] = d
    return out
