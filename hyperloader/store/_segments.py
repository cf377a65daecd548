"""Immutable segments: one batch of upserts or tombstones as one zstd Parquet file.

A segment holds a FrameTables in one table: the ``frames`` columns (``doc`` is the frame
JSON without the store fields) plus ``saved`` (epoch ms), ``saved_in_version``,
``_tombstone``, and the frame's ROIs and sources nested as ``_rois`` / ``_sources``
(list<struct>, one list per frame). One file per segment means one PUT to write it and one
GET to read it whole, and a segment is either wholly there or not at all; a streamed read
(``SegmentReader``) fetches only the column chunks it needs. A tombstone row
carries only the id; its ``doc`` is null.

Rows are written sorted by frame id (stably, so a repeated id keeps its last write last)
in row groups of ``ROW_GROUP_ROWS``, so a version can be streamed in id order by reading
each of its segments once, front to back (``_scan``). Older segments may be unsorted.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hyperloader.errors import StoreError
from hyperloader.model import FrameTables, TimestampKeys, frames_to_tables
from hyperloader.store._arrow import sorted_order
from hyperloader.store._layout import Store

__all__ = ["ROW_GROUP_ROWS", "TOMBSTONE", "SegmentReader", "delete_segment", "empty_tables",
           "read_segment", "stamp", "tombstones", "write_segment"]

TOMBSTONE = "_tombstone"
ROW_GROUP_ROWS = 16_384
_NESTED = {"rois": "_rois", "sources": "_sources"}
_PAGE_BYTES = 1 << 18  # a streamed read decodes one page of a column at a time
_READ_BUFFER = 1 << 18  # and reads its column chunk this much at a time
_REMOTE_BLOCK = 4 << 20  # ranged reads of an object store file (s3fs would take 50 MiB)
_DETAILS_KEPT = 4096
# Segment files never change once written, so what one HEAD said of a file (size, ETag)
# holds: the second pass of a scan, and later scans in this process, reuse it.
_DETAILS: dict[str, dict[str, Any]] = {}


def empty_tables() -> FrameTables:
    """Return resolved FrameTables with no rows: every fixed column, no ``_tombstone``."""
    tables = _empty_segment()
    return FrameTables(tables.frames.drop_columns([TOMBSTONE]), tables.rois, tables.sources)


def _empty_segment() -> FrameTables:
    return stamp(frames_to_tables([]), saved=0, version_id="")


def stamp(tables: FrameTables, *, saved: int, version_id: str) -> FrameTables:
    """Add the store columns (``saved``, ``saved_in_version``, ``_tombstone``) to upserts."""
    n = tables.frames.num_rows
    frames = tables.frames
    frames = frames.append_column("saved", pa.array(np.full(n, saved, np.int64)))
    frames = frames.append_column("saved_in_version",
                                  pa.array([version_id] * n, pa.string()))
    frames = frames.append_column(TOMBSTONE, pa.array(np.zeros(n, np.bool_)))
    return FrameTables(frames, tables.rois, tables.sources)


def tombstones(frame_ids: list[str], *, saved: int, version_id: str) -> FrameTables:
    """Return a segment that deletes ``frame_ids``."""
    base = _empty_segment()
    n = len(frame_ids)
    columns = {}
    for field in base.frames.schema:
        if field.name == "id":
            columns["id"] = pa.array(frame_ids, pa.string())
        elif field.name == "saved":
            columns["saved"] = pa.array(np.full(n, saved, np.int64))
        elif field.name == "saved_in_version":
            columns["saved_in_version"] = pa.array([version_id] * n, pa.string())
        elif field.name == TOMBSTONE:
            columns[TOMBSTONE] = pa.array(np.ones(n, np.bool_))
        else:
            columns[field.name] = pa.nulls(n, field.type)
    return FrameTables(pa.table(columns), base.rois, base.sources)


def _nest(child: pa.Table, n_frames: int) -> pa.ListArray:
    """Group a child table (rows ordered by ``frame_index``) into one list per frame."""
    frame_index = child["frame_index"].to_numpy()
    offsets = np.searchsorted(frame_index, np.arange(n_frames + 1)).astype(np.int32)
    struct = child.drop_columns(["frame_index"]).to_struct_array().combine_chunks()
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), struct)


def _unnest(lists: pa.ChunkedArray) -> pa.Table:
    lists = lists.combine_chunks()
    parents = pc.list_parent_indices(lists).cast(pa.int32())
    flat = pa.Table.from_struct_array(pc.list_flatten(lists))
    return flat.add_column(0, "frame_index", parents)


def _to_table(tables: FrameTables) -> pa.Table:
    """One row per frame, ROIs and sources nested, sorted by id (stable)."""
    frames = tables.frames
    for part, column in _NESTED.items():
        frames = frames.append_column(column, _nest(getattr(tables, part), frames.num_rows))
    order = sorted_order(frames["id"])
    if len(order) and np.any(order != np.arange(len(order))):
        frames = frames.take(pa.array(order))
    return frames


def _from_table(table: pa.Table) -> FrameTables:
    rois, sources = (_unnest(table[c]) for c in _NESTED.values())
    return FrameTables(table.drop_columns(list(_NESTED.values())), rois, sources)


def _path(store: Store, dataset_id: str, segment_id: str) -> str:
    return store.path("datasets", dataset_id, "segments", f"{segment_id}.parquet")


def write_segment(store: Store, dataset_id: str, tables: FrameTables) -> tuple[str, int]:
    """Write ``tables`` as a new segment; return its id and the bytes written.

    Raises:
        StoreError: when writing fails.
    """
    segment_id = uuid.uuid4().hex
    path = _path(store, dataset_id, segment_id)
    buf = io.BytesIO()
    # keep Arrow's list field names ("item") so segments concatenate with fresh tables
    pq.write_table(_to_table(tables), buf, compression="zstd", row_group_size=ROW_GROUP_ROWS,
                   data_page_size=_PAGE_BYTES, use_compliant_nested_type=False)
    data = buf.getvalue()
    try:
        store.write_bytes(path, data)
    except OSError as exc:
        raise StoreError(f"cannot write segment {path!r} in store {store.url!r}: {exc}",
                         uri=store.url) from exc
    return segment_id, len(data)


def delete_segment(store: Store, dataset_id: str, segment_id: str) -> None:
    """Remove a segment no commit references (a refused write's leftovers)."""
    try:
        store.fs.rm_file(_path(store, dataset_id, segment_id))
    except FileNotFoundError:
        pass


def read_segment(store: Store, dataset_id: str, segment_id: str) -> FrameTables:
    """Read one segment back.

    Raises:
        StoreError: when the segment file is missing or unreadable.
    """
    path = _path(store, dataset_id, segment_id)
    try:
        if store.protocol in ("file", "local"):
            table = pq.read_table(path)
        else:  # one GET, no HEAD for the size
            table = pq.read_table(pa.BufferReader(store.cat(path)))
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"cannot read segment {path!r} in store {store.url!r}: {exc}",
                         uri=store.url) from exc
    return _from_table(table)


def _open_remote(store: Store, path: str) -> Any:
    """Open a segment on an object store; on S3, ask for its size and ETag only once."""
    if store.protocol not in ("s3", "s3a"):
        return store.fs.open(path, "rb", block_size=_REMOTE_BLOCK)
    known = _DETAILS.get(path)
    if known is None:
        handle = store.fs.open(path, "rb", block_size=_REMOTE_BLOCK)
        if len(_DETAILS) >= _DETAILS_KEPT:
            _DETAILS.clear()
        _DETAILS[path] = dict(handle.details)
        return handle
    handle = store.fs.open(path, "rb", block_size=_REMOTE_BLOCK, size=known["size"])
    handle.details = dict(known)  # s3fs reads them (ETag) on each ranged GET
    return handle


class SegmentReader:
    """Lazy reads of one segment: a few columns whole, or rows batch by batch.

    Reads only the column chunks asked for, a buffer at a time, so streaming a segment
    holds one batch of it, not the file. Close it (or use it as a context manager).

    Raises:
        StoreError: when the segment file is missing or unreadable.
    """

    def __init__(self, store: Store, dataset_id: str, segment_id: str) -> None:
        self.path = _path(store, dataset_id, segment_id)
        self._url = store.url
        handle = None
        try:
            if store.protocol not in ("file", "local"):
                handle = _open_remote(store, self.path)
            source = self.path if handle is None else handle
            self._file = pq.ParquetFile(source, buffer_size=_READ_BUFFER, pre_buffer=False)
        except (OSError, pa.ArrowInvalid) as exc:
            if handle is not None:
                handle.close()
            raise self._error(exc) from exc
        self._handle = handle

    @property
    def num_rows(self) -> int:
        """Rows in the segment (upserts and tombstones)."""
        return self._file.metadata.num_rows

    @property
    def row_group_starts(self) -> np.ndarray:
        """The first row of each row group, then ``num_rows`` (from the footer)."""
        meta = self._file.metadata
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])

    def timestamp_keys(self) -> TimestampKeys:
        """Return the meta keys its frames and ROIs store as timestamps (reads no rows)."""
        return TimestampKeys.from_tables(_from_table(self._file.schema_arrow.empty_table()))

    def read(self, columns: Sequence[str]) -> pa.Table:
        """Read ``columns`` of every row."""
        try:
            return self._file.read(columns=list(columns), use_threads=False)
        except (OSError, pa.ArrowInvalid) as exc:
            raise self._error(exc) from exc

    def iter_batches(self, columns: Sequence[str], batch_rows: int,
                     row_groups: Sequence[int] | None = None) -> Iterator[pa.RecordBatch]:
        """Yield ``columns`` in file order, ``batch_rows`` rows at a time.

        With ``row_groups`` (ascending), only their rows: the others are not read at all.
        """
        try:
            yield from self._file.iter_batches(batch_size=batch_rows, row_groups=row_groups,
                                               columns=list(columns), use_threads=False)
        except (OSError, pa.ArrowInvalid) as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        """Release the file (again is fine)."""
        self._file.close()
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> SegmentReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, exc: Exception) -> StoreError:
        return StoreError(f"cannot read segment {self.path!r} in store {self._url!r}: {exc}",
                          uri=self._url)
