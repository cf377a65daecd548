"""Differences between two versions, computed column-wise: resolved whole, or streamed.

Both ways apply one rule: ids only on one side are added or removed; a frame on both
sides is modified when the two rows were written apart (``saved_in_version`` or
``saved`` differ) and their ``doc`` differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.model import FrameTables
from hyperloader.store._arrow import take_rows
from hyperloader.store._scan import ScanPlan

__all__ = ["VersionDiff", "diff_plans", "diff_tables"]

#: What a scan of a plan returns: the plan's rows of the given columns, in its order.
Scan = Callable[[ScanPlan, Sequence[str]], Iterator[pa.Table]]
_COMPARED = ("saved_in_version", "saved", "doc")


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """Frame ids that differ between a version and the one it is compared with.

    Attributes:
        added: ids only in the version.
        modified: ids in both whose stored frame differs (store fields ignored).
        removed: ids only in the other version.
    """

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.modified or self.removed)


def _rows(table: pa.Table, column: str, rows: np.ndarray) -> pa.ChunkedArray:
    return take_rows(table.select([column]), rows)[column]


def _apart(new: pa.Table, old: pa.Table) -> np.ndarray:
    """Rows (aligned) written apart whose ``doc`` differs; a null compares as different."""
    apart = np.zeros(new.num_rows, np.bool_)
    for column in ("saved_in_version", "saved"):
        differs = pc.not_equal(new[column], old[column])
        apart |= differs.fill_null(True).to_numpy(zero_copy_only=False)
    changed = pc.not_equal(new["doc"], old["doc"]).fill_null(True)
    return apart & changed.to_numpy(zero_copy_only=False)


def diff_plans(new: ScanPlan, old: ScanPlan, scan_new: Scan, scan_old: Scan) -> VersionDiff:
    """Compare two versions by their plans, as :func:`diff_tables` compares them resolved.

    Ids come from the plans. A frame both sides hold in the same row of the same segment
    is the same write, unchanged, and is not read; the others are streamed from both
    sides in id order, a batch at a time, and compared. Memory holds the plans and one
    batch per side, never a whole version.

    Args:
        new: plan of the version the diff is about.
        old: plan of the version it is compared with.
        scan_new: streams the given columns of a plan of ``new``'s frames (a subset).
        scan_old: the same for ``old``.
    """
    in_old = pc.is_in(new.ids, value_set=old.ids)
    in_new = pc.is_in(old.ids, value_set=new.ids)
    added = new.ids.filter(pc.invert(in_old))
    removed = old.ids.filter(pc.invert(in_new))
    # both sides are sorted by id, so their common frames line up
    new_rows = np.flatnonzero(in_old.to_numpy(zero_copy_only=False))
    old_rows = np.flatnonzero(in_new.to_numpy(zero_copy_only=False))
    codes = {name: i for i, name in enumerate(dict.fromkeys(new.segments + old.segments))}
    new_code = np.array([codes[s] for s in new.segments], np.int64)
    old_code = np.array([codes[s] for s in old.segments], np.int64)
    moved = ((new_code[new.segment[new_rows]] != old_code[old.segment[old_rows]])
             | (new.row[new_rows] != old.row[old_rows]))
    new_rows, old_rows = new_rows[moved], old_rows[moved]
    changed = np.zeros(len(new_rows), np.bool_)
    done = 0
    pairs = zip(scan_new(new.subset(new_rows), _COMPARED),
                scan_old(old.subset(old_rows), _COMPARED), strict=True)
    for new_batch, old_batch in pairs:
        changed[done:done + new_batch.num_rows] = _apart(new_batch, old_batch)
        done += new_batch.num_rows
    modified = new.ids.take(pa.array(new_rows[changed], pa.int64()))
    return VersionDiff(added.to_pylist(), modified.to_pylist(), removed.to_pylist())


def diff_tables(new: FrameTables, old: FrameTables) -> VersionDiff:
    """Compare two resolved FrameTables (rows sorted by id, ``doc`` without store fields).

    A row both sides got from the same write (same ``saved_in_version`` and ``saved``) is
    the same frame, so only rows written apart have their ``doc`` compared.
    """
    new_ids, old_ids = new.frames["id"], old.frames["id"]
    in_old = pc.is_in(new_ids, value_set=old_ids)
    in_new = pc.is_in(old_ids, value_set=new_ids)
    added = new_ids.filter(pc.invert(in_old))
    removed = old_ids.filter(pc.invert(in_new))
    # both sides are sorted by id, so their common rows line up
    new_rows = np.flatnonzero(in_old.to_numpy(zero_copy_only=False))
    old_rows = np.flatnonzero(in_new.to_numpy(zero_copy_only=False))
    apart = np.zeros(len(new_rows), np.bool_)
    for column in ("saved_in_version", "saved"):
        differs = pc.not_equal(_rows(new.frames, column, new_rows),
                               _rows(old.frames, column, old_rows))
        apart |= differs.fill_null(True).to_numpy(zero_copy_only=False)
    new_rows, old_rows = new_rows[apart], old_rows[apart]
    changed = pc.not_equal(_rows(new.frames, "doc", new_rows),
                           _rows(old.frames, "doc", old_rows)).fill_null(True)
    modified = _rows(new.frames, "id", new_rows).filter(changed)
    return VersionDiff(added.to_pylist(), modified.to_pylist(), removed.to_pylist())
