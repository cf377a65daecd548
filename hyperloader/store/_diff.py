"""Differences between two resolved versions, computed column-wise."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.model import FrameTables
from hyperloader.store._arrow import take_rows

__all__ = ["VersionDiff", "diff_tables"]


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
