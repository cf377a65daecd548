"""Resolve a version's segment chain into one FrameTables, vectorised, with a process cache.

Resolution keeps the last write per frame id and drops tombstones; rows come out sorted by
frame id. It is associative: ``merge(merge(a, b), c) == merge(a, [b, c])``, so a parent's
resolution is the base of its child's, and a draft that gained commits is brought up to date
from its cached resolution by merging only the new segments.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader._locks import ForkSafeLock
from hyperloader.model import FrameTables
from hyperloader.store._arrow import last_rows, sorted_order, take_rows
from hyperloader.store._layout import Store
from hyperloader.store._segments import TOMBSTONE, empty_tables, read_segment

__all__ = ["Link", "cached_resolution", "clear_cache", "merge", "resolve_chain"]


@dataclass(frozen=True)
class Link:
    """One version in a chain: its id, last counted commit and own ``(seq, segment)`` list."""

    version_id: str
    seq: int
    segments: tuple[tuple[int, str], ...]


def _concat(tables: Sequence[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables, promote_options="permissive")


def _children(base: FrameTables, segments: Sequence[FrameTables], which: str,
              n_base: int, offsets: np.ndarray, where: np.ndarray) -> pa.Table:
    """Keep the ROIs/sources of surviving frames, renumbered and grouped in frame order."""
    tables = [getattr(base, which)] + [getattr(s, which) for s in segments]
    starts = np.concatenate([[0], n_base + offsets])
    rows = np.concatenate([t["frame_index"].to_numpy().astype(np.int64) + start
                           for t, start in zip(tables, starts, strict=True)])
    final = where[rows]
    kept = np.flatnonzero(final >= 0)
    order = kept[np.argsort(final[kept], kind="stable")]
    table = take_rows(_concat(tables), order)
    idx = table.schema.get_field_index("frame_index")
    return table.set_column(idx, "frame_index", pa.array(final[order], pa.int32()))


def merge(base: FrameTables | None, segments: Sequence[FrameTables]) -> FrameTables:
    """Apply ``segments`` (in order) on top of the resolved ``base``.

    Every table is gathered with one ``take`` (none when nothing moved), so a small
    commit on a large base costs a few passes over the base, not a rebuild.

    Returns:
        FrameTables with one row per live frame, sorted by frame id, without tombstones.
    """
    if not segments:
        return base if base is not None else empty_tables()
    base = base if base is not None else empty_tables()
    n_base = base.frames.num_rows
    sizes = np.array([s.frames.num_rows for s in segments], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    new = _concat([s.frames for s in segments])
    last = last_rows(new["id"])
    tomb = new[TOMBSTONE].take(pa.array(last)).fill_null(False).to_numpy(zero_copy_only=False)
    new_keep = np.sort(last[~tomb])
    replaced = pc.is_in(base.frames["id"], value_set=pc.unique(new["id"]))
    base_keep = np.flatnonzero(~replaced.to_numpy(zero_copy_only=False))
    keep = np.concatenate([base_keep, n_base + new_keep])
    combined = _concat([base.frames, new.drop_columns([TOMBSTONE])])
    final = keep[sorted_order(take_rows(combined.select(["id"]), keep)["id"])]
    where = np.full(combined.num_rows, -1, np.int64)
    where[final] = np.arange(len(final))
    return FrameTables(take_rows(combined, final),
                       _children(base, segments, "rois", n_base, offsets, where),
                       _children(base, segments, "sources", n_base, offsets, where))


@dataclass
class _Entry:
    seq: int
    tables: FrameTables


_CACHE: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
_LOCK = ForkSafeLock()
_MAX_ENTRIES = 8


def clear_cache() -> None:
    """Forget every cached resolution (tests, or to free memory)."""
    with _LOCK:
        _CACHE.clear()


def _cached(key: tuple[str, str]) -> _Entry | None:
    with _LOCK:
        entry = _CACHE.get(key)
        if entry is not None:
            _CACHE.move_to_end(key)
        return entry


def _remember(key: tuple[str, str], entry: _Entry) -> None:
    with _LOCK:
        _CACHE[key] = entry
        _CACHE.move_to_end(key)
        while len(_CACHE) > _MAX_ENTRIES:
            _CACHE.popitem(last=False)


def cached_resolution(store: Store, link: Link) -> FrameTables | None:
    """Return the cached resolution of ``link`` when it is up to date (no I/O), else None."""
    hit = _cached((store.url, link.version_id))
    return hit.tables if hit is not None and hit.seq == link.seq else None


def resolve_chain(store: Store, dataset_id: str, chain: Sequence[Link]) -> FrameTables:
    """Resolve the chain (root ancestor first) to the last link's FrameTables.

    Each link's resolution is cached per ``(store, version id)`` with its commit seq; a
    cached draft resolution with an older seq is updated by merging only newer segments.

    Raises:
        StoreError: when a segment cannot be read.
    """
    base: FrameTables | None = None
    for link in chain:
        key = (store.url, link.version_id)
        hit = _cached(key)
        if hit is not None and hit.seq == link.seq:
            base = hit.tables
            continue
        start: FrameTables | None
        if hit is not None and hit.seq < link.seq:
            start, todo = hit.tables, [s for q, s in link.segments if q > hit.seq]
        else:
            start, todo = base, [s for _, s in link.segments]
        tables = merge(start, [read_segment(store, dataset_id, s) for s in todo])
        _remember(key, _Entry(link.seq, tables))
        base = tables
    return base if base is not None else empty_tables()
