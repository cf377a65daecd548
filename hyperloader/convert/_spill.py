"""Lines spilled to per-bucket files on disk: the external group-by of the COCO reader."""

from __future__ import annotations

import os
from collections.abc import Iterator

__all__ = ["Spill"]

_FLUSH_LINES = 20_000


class Spill:
    """Lines appended to per-bucket files, buffered so few files are open at once.

    Args:
        tmp: the directory holding the bucket files.
        kind: a file-name prefix, so several spills share one directory.
    """

    def __init__(self, tmp: str, kind: str) -> None:
        self.tmp, self.kind = tmp, kind
        self.buffers: dict[int, list[str]] = {}
        self.count = 0

    def add(self, bucket: int, line: str) -> None:
        """Append ``line`` to ``bucket`` (flushing every buffer when many lines wait)."""
        self.buffers.setdefault(bucket, []).append(line)
        self.count += 1
        if self.count >= _FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        """Append every buffered line to its bucket's file."""
        for bucket, lines in self.buffers.items():
            with open(os.path.join(self.tmp, f"{self.kind}_{bucket}.jsonl"), "a",
                      encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        self.buffers.clear()
        self.count = 0

    @staticmethod
    def lines(tmp: str, kind: str, bucket: int) -> Iterator[str]:
        """Yield the lines of one bucket in the order they were added."""
        path = os.path.join(tmp, f"{kind}_{bucket}.jsonl")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield line.rstrip("\n")
