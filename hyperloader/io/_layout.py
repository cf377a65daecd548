"""Where a cache keeps its files: content-addressed entries, lock stripes, temp files.

```
DIR/index.sqlite          the shared index (see _index.py)
DIR/index.lock            guards creating the index
DIR/index.write.lock      held around every write transaction of the index
DIR/locks/NNNN.lock       download locks, one stripe per hash(uri) % 8192
DIR/objects/ab/<key>.ext  one file per cached object version
DIR/tmp/                  downloads in progress, moved into objects/ with os.replace
```
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator

__all__ = ["CacheLayout", "content_key"]

logger = logging.getLogger(__name__)

# Unrelated URIs in one stripe wait for each other's download: with 32 downloads in
# flight (2 workers x 16 threads) 1024 stripes made 3% of misses wait; 8192 make 0.4%.
_LOCK_STRIPES = 8192
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def content_key(uri: str, md5: str) -> str:
    """Return the entry key of one version of an object: sha256 of its URI and content MD5.

    The MD5 is that of the downloaded bytes (for S3 objects not uploaded in parts it is
    also the ETag), so a key never needs a metadata request of its own.
    """
    return hashlib.sha256(f"{uri}\nmd5={md5}".encode()).hexdigest()


def _suffix(uri: str) -> str:
    ext = os.path.splitext(uri.split("?", 1)[0])[1]
    return ext.lower() if _SUFFIX.match(ext) else ""


class CacheLayout:
    """Maps keys and URIs to paths inside one cache directory."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.objects = os.path.join(directory, "objects")
        self.tmp = os.path.join(directory, "tmp")
        self.locks = os.path.join(directory, "locks")
        self.index = os.path.join(directory, "index.sqlite")
        self.index_lock = os.path.join(directory, "index.lock")
        self.index_write_lock = os.path.join(directory, "index.write.lock")

    def create(self) -> None:
        """Create the directory tree (idempotent, safe to race)."""
        for sub in (self.objects, self.tmp, self.locks):
            os.makedirs(sub, exist_ok=True)

    def entry_path(self, key: str, uri: str) -> str:
        """Return the local path of the entry ``key``; the URI's extension is kept for sniffing."""
        return os.path.join(self.objects, key[:2], key + _suffix(uri))

    def lock_path(self, uri: str) -> str:
        """Return the download-lock file guarding ``uri``."""
        stripe = int(hashlib.sha256(uri.encode()).hexdigest()[:8], 16) % _LOCK_STRIPES
        return os.path.join(self.locks, f"{stripe:04d}.lock")

    def temp_path(self, uri: str) -> str:
        """Return a fresh temp path for a download of ``uri`` (unique per call)."""
        name = hashlib.sha256(uri.encode()).hexdigest()[:16]
        return os.path.join(self.tmp, f"{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")

    def sweep_temp(self, max_age_s: float = 6 * 3600.0) -> int:
        """Delete temp files older than ``max_age_s`` (left by crashed processes)."""
        removed = 0
        cutoff = time.time() - max_age_s
        for entry in _scan(self.tmp):
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            logger.info("removed %d stale temp file(s) from %s", removed, self.tmp)
        return removed

    def entry_files(self) -> Iterator[tuple[str, int]]:
        """Yield ``(path, size)`` of every entry file on disk."""
        for bucket in _scan(self.objects):
            if bucket.is_dir():
                for entry in _scan(bucket.path):
                    try:
                        yield entry.path, entry.stat().st_size
                    except FileNotFoundError:
                        continue


def _scan(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except FileNotFoundError:
        return []
