"""A spy on segment reads: which segment, which columns, which row groups."""

from __future__ import annotations

import posixpath

import pyarrow.parquet as pq

from hyperloader.store import _segments

ALL = "all"  # a read of every row group


def _groups(row_groups) -> tuple[int, ...] | str:
    return ALL if row_groups is None else tuple(int(g) for g in row_groups)


class ReadSpy:
    """Record the segment reads from now on, at two levels.

    ``reads`` holds ``(segment id, columns, row groups)`` per ``SegmentReader`` read;
    ``decoded`` holds ``(columns, row groups)`` per read Parquet was asked for, so that a
    reader that dropped its row groups on the way would show; ``rows`` counts the rows
    Parquet decoded in batches.
    """

    def __init__(self, monkeypatch) -> None:
        self.reads: list[tuple[str, tuple[str, ...], tuple[int, ...] | str]] = []
        self.decoded: list[tuple[tuple[str, ...], tuple[int, ...] | str]] = []
        self.rows = 0
        reader = _segments.SegmentReader
        read, batches = reader.read, reader.iter_batches

        def spy_read(self, columns):
            spy.reads.append((spy.segment(self.path), tuple(columns), ALL))
            return read(self, columns)

        def spy_batches(self, columns, batch_rows, row_groups=None):
            spy.reads.append((spy.segment(self.path), tuple(columns), _groups(row_groups)))
            return batches(self, columns, batch_rows, row_groups=row_groups)

        spy = self
        monkeypatch.setattr(reader, "read", spy_read)
        monkeypatch.setattr(reader, "iter_batches", spy_batches)
        self._spy_parquet(monkeypatch)

    def _spy_parquet(self, monkeypatch) -> None:
        file = pq.ParquetFile
        read, batches, group, groups = (file.read, file.iter_batches, file.read_row_group,
                                        file.read_row_groups)
        decoded, spy = self.decoded, self

        def spy_read(self, columns=None, **kwargs):
            decoded.append((tuple(columns or ()), ALL))
            return read(self, columns=columns, **kwargs)

        def spy_batches(self, batch_size=65536, row_groups=None, columns=None, **kwargs):
            decoded.append((tuple(columns or ()), _groups(row_groups)))
            for batch in batches(self, batch_size=batch_size, row_groups=row_groups,
                                 columns=columns, **kwargs):
                spy.rows += batch.num_rows
                yield batch

        def spy_group(self, i, columns=None, **kwargs):
            decoded.append((tuple(columns or ()), (int(i),)))
            return group(self, i, columns=columns, **kwargs)

        def spy_groups(self, row_groups, columns=None, **kwargs):
            decoded.append((tuple(columns or ()), _groups(row_groups)))
            return groups(self, row_groups, columns=columns, **kwargs)

        monkeypatch.setattr(file, "read", spy_read)
        monkeypatch.setattr(file, "iter_batches", spy_batches)
        monkeypatch.setattr(file, "read_row_group", spy_group)
        monkeypatch.setattr(file, "read_row_groups", spy_groups)

    @staticmethod
    def segment(path: str) -> str:
        """The segment id of a segment file path."""
        return posixpath.basename(path).removesuffix(".parquet")

    def clear(self) -> None:
        """Forget the reads recorded so far."""
        self.reads.clear()
        self.decoded.clear()
        self.rows = 0
