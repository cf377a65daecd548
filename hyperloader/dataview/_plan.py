"""The columnar plan: one entry per returned item, as small numpy index arrays.

An entry is a frame of one version (or, for ``frame_per_roi``, one ROI of a frame).
Entries are stored in sequential order: by context, then timestamp, then frame id (then
version and ROI position), so entry ids double as sequential positions and a group
(context) is a contiguous run delimited by ``starts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.dataview._enums import OutputRois
from hyperloader.dataview._match import RuleMatch, match_versions
from hyperloader.dataview._order import group_starts, order_sequential
from hyperloader.dataview._rules import CompiledRule
from hyperloader.model import FrameTables

__all__ = ["MAX_RULES", "EntryTable", "Selection", "order_entries", "select_entries"]

MAX_RULES = 64


@dataclass(frozen=True)
class EntryTable:
    """The plan's index arrays; entry ``i`` is the i-th item in sequential order.

    Attributes:
        version_idx: int16/int32, index of the entry's version in the view's version list.
        row: int32, the frame's row in that version's FrameTables.
        roi: int32, the ROI's position in the frame (``frame_per_roi``), else -1.
        rules: unsigned bit mask, bit ``r`` set when rule ``r`` selects the entry.
        starts: group (context) boundaries; group ``g`` is ``[starts[g], starts[g+1])``.
        roi_keep: per version, packed bits over ROI rows: the ROIs that made their frame
            match (``only_filtered`` only, else None).
        rule_counts: entries each rule selects (an entry may count for several rules).
    """

    version_idx: np.ndarray
    row: np.ndarray
    roi: np.ndarray
    rules: np.ndarray
    starts: np.ndarray
    roi_keep: tuple[np.ndarray | None, ...]
    rule_counts: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.row)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays."""
        arrays = [self.version_idx, self.row, self.roi, self.rules, self.starts]
        return sum(a.nbytes for a in arrays) + sum(k.nbytes for k in self.roi_keep
                                                    if k is not None)

    def groups(self) -> np.ndarray:
        """Return the group code of each entry (non-decreasing)."""
        return np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))

    def rule_members(self, rule: int) -> np.ndarray:
        """Return the entry ids rule ``rule`` selects, in sequential order."""
        bit = self.rules.dtype.type(1) << self.rules.dtype.type(rule)
        return np.flatnonzero(self.rules & bit).astype(np.int64, copy=False)


def _mask_dtype(n_rules: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if n_rules <= np.iinfo(dtype).bits:
            return np.dtype(dtype)
    raise ValueError(f"a view holds at most {MAX_RULES} rules, got {n_rules}")


@dataclass
class _Part:
    rows: np.ndarray
    roi: np.ndarray
    bits: np.ndarray
    keep: np.ndarray | None


def _version_part(tables: FrameTables, rule_matches: Sequence[tuple[int, RuleMatch]],
                  mode: OutputRois, dtype: np.dtype) -> _Part:
    fi = tables.rois.column("frame_index").to_numpy()
    matches = [(dtype.type(1) << dtype.type(r), m) for r, m in rule_matches]
    if mode is OutputRois.frame_per_roi:
        bits = np.zeros(len(fi), dtype)
        for bit, m in matches:
            bits[m.roi_hits(fi)] |= bit
        sel = np.flatnonzero(bits)
        roi_index = tables.rois.column("roi_index").to_numpy()
        return _Part(fi[sel], roi_index[sel].astype(np.int32), bits[sel], None)
    bits = np.zeros(tables.num_frames, dtype)
    for bit, m in matches:
        bits[m.frames] |= bit
    rows = np.flatnonzero(bits)
    keep = None
    if mode is OutputRois.only_filtered:
        hits = np.zeros(len(fi), bool)
        for _, m in matches:
            hits |= m.roi_hits(fi)
        keep = np.packbits(hits)
    return _Part(rows, np.full(len(rows), -1, np.int32), bits[rows], keep)


def _context_codes(contexts: list[pa.Array]) -> np.ndarray:
    """Dictionary-encode the context ids to int codes that sort like the strings."""
    arr = pa.chunked_array(contexts, pa.string()).combine_chunks().fill_null("")
    enc = arr.dictionary_encode()
    rank = pc.rank(enc.dictionary, sort_keys="ascending", tiebreaker="dense")
    return (rank.to_numpy().astype(np.int64) - 1)[enc.indices.to_numpy()]


@dataclass(frozen=True)
class Selection:
    """What the rules select in each version, before ordering: enough to count."""

    parts: tuple[_Part, ...]
    n_rules: int
    dtype: np.dtype

    @property
    def count(self) -> int:
        """Number of entries."""
        return sum(len(p.rows) for p in self.parts)

    @property
    def rule_counts(self) -> tuple[int, ...]:
        """Entries each rule selects (an entry may count for several rules)."""
        bits = [self.dtype.type(1) << self.dtype.type(r) for r in range(self.n_rules)]
        return tuple(sum(int(np.count_nonzero(p.bits & b)) for p in self.parts) for b in bits)


def select_entries(versions: Sequence[tuple[FrameTables, Sequence[tuple[int, CompiledRule]]]],
                   n_rules: int, mode: OutputRois) -> Selection:
    """Evaluate every rule on its versions, vectorised.

    Args:
        versions: Per version, its tables and the ``(rule index, compiled rule)`` pairs
            that read it.
        n_rules: Number of rules of the view.
        mode: The view's ``output_rois``.

    Raises:
        ValueError: with more than ``MAX_RULES`` rules.
        QuerySyntaxError: when a rule evaluates on none of its versions.
    """
    dtype = _mask_dtype(n_rules)
    matches = match_versions(versions)
    parts = tuple(_version_part(tables, m, OutputRois(mode), dtype)
                  for (tables, _), m in zip(versions, matches, strict=True))
    return Selection(parts, n_rules, dtype)


def order_entries(selection: Selection, tables: Sequence[FrameTables]) -> EntryTable:
    """Lay a selection out in sequential order: (context, timestamp, id, version, ROI)."""
    parts, dtype = selection.parts, selection.dtype
    vdtype = np.int16 if len(parts) < 2**15 else np.int32
    ctx, ts, ids = [], [], []
    for part, t in zip(parts, tables, strict=True):
        take = pa.array(part.rows)
        ctx.append(t.frames.column("context_id").take(take).combine_chunks())
        ids.append(t.frames.column("id").take(take).combine_chunks())
        ts.append(t.frames.column("timestamp").fill_null(0).to_numpy()[part.rows])
    vidx = np.concatenate([np.full(len(p.rows), i, vdtype) for i, p in enumerate(parts)]
                          or [np.zeros(0, vdtype)])
    rows = np.concatenate([p.rows for p in parts] or [np.zeros(0, np.int64)]).astype(np.int32)
    roi = np.concatenate([p.roi for p in parts] or [np.zeros(0, np.int32)])
    bits = np.concatenate([p.bits for p in parts] or [np.zeros(0, dtype)])
    codes = _context_codes(ctx)
    id_arr = pa.chunked_array(ids, pa.string()).combine_chunks()
    order = order_sequential(codes, np.concatenate(ts or [np.zeros(0, np.int64)]), id_arr,
                             vidx, roi)
    starts = group_starts(codes[order])
    starts = starts.astype(np.int32) if len(order) < 2**31 else starts
    return EntryTable(vidx[order], rows[order], roi[order], bits[order], starts,
                      tuple(p.keep for p in parts), selection.rule_counts)
