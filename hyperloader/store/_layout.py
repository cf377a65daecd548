"""Where everything lives inside a store, and the small file operations the store needs.

```
ROOT/hyperloader.json                               {"format_version": 1}
ROOT/names/<quoted dataset name>.json               {"id"}: the name claim, created last
ROOT/datasets/<dataset_id>/dataset.json             {"id", "name", "created", "meta"}
ROOT/datasets/<dataset_id>/log/<seq:010d>.json      catalog commits: versions and names
ROOT/datasets/<dataset_id>/segments/<uuid>.parquet  immutable FrameTables (upserts, tombstones)
ROOT/datasets/<dataset_id>/versions/<version_id>/commits/<seq:010d>.json
```

Every ``<seq:010d>.json`` is created exclusively (see ``_commit_log``); everything else is
written under a fresh name before the commit that makes it visible.
"""

from __future__ import annotations

import json
import os
import posixpath
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import fsspec

from hyperloader._config import get_root
from hyperloader._fs import cat_whole, url_to_fs
from hyperloader.errors import StoreError

__all__ = ["Store", "current_store"]


@dataclass(frozen=True)
class Store:
    """A store root: its URL, its filesystem and the root path inside that filesystem."""

    url: str
    fs: fsspec.AbstractFileSystem
    root: str

    @property
    def protocol(self) -> str:
        """The filesystem's main protocol name (``file``, ``memory``, ``s3`` ...)."""
        proto = self.fs.protocol
        return proto if isinstance(proto, str) else proto[0]

    # -- paths -----------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        """Join ``parts`` under the root."""
        return posixpath.join(self.root, *parts)

    def format_file(self) -> str:
        """Path of ``hyperloader.json``."""
        return self.path("hyperloader.json")

    def names_dir(self) -> str:
        """Directory of the dataset name claims."""
        return self.path("names")

    def name_claim(self, name: str) -> str:
        """Path of the claim file that maps dataset ``name`` to its id."""
        return self.path("names", quote(name, safe="") + ".json")

    @staticmethod
    def name_of_claim(path: str) -> str:
        """Dataset name encoded in a claim file path."""
        return unquote(posixpath.basename(path)[: -len(".json")])

    def dataset_dir(self, dataset_id: str) -> str:
        """Directory holding everything of one dataset."""
        return self.path("datasets", dataset_id)

    def dataset_json(self, dataset_id: str) -> str:
        """Path of the dataset's descriptor."""
        return self.path("datasets", dataset_id, "dataset.json")

    def catalog_dir(self, dataset_id: str) -> str:
        """Directory of the dataset's catalog commits."""
        return self.path("datasets", dataset_id, "log")

    def commits_dir(self, dataset_id: str, version_id: str) -> str:
        """Directory of a version's commits."""
        return self.path("datasets", dataset_id, "versions", version_id, "commits")

    # -- small file operations -----------------------------------------------------------
    def cat(self, path: str) -> bytes:
        """Return a whole file with one request (s3fs would otherwise HEAD for the size).

        Raises:
            FileNotFoundError: when the file is missing.
        """
        return cat_whole(self.fs, path)

    def read_json(self, path: str) -> Any:
        """Read a JSON file; a missing file raises FileNotFoundError.

        Raises:
            StoreError: when the file exists but is not valid JSON.
        """
        data = self.cat(path)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise StoreError(f"corrupt JSON file {self._uri(path)!r}: {exc}",
                             uri=self._uri(path)) from exc

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write a file whose name nobody else uses (segments, descriptors).

        Local files go through a temporary file and ``os.replace``, so a crash never
        leaves a torn file under the final name; object stores write whole objects anyway.
        """
        if self.protocol not in ("file", "local"):
            self.fs.pipe_file(path, data)
            return
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f".tmp-{uuid.uuid4().hex}")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def ls(self, directory: str) -> list[str]:
        """List the file paths in ``directory`` (fresh, not from a listing cache)."""
        try:
            entries = self.fs.ls(directory, detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return [e.rstrip("/") for e in entries if e.rstrip("/") != directory.rstrip("/")]

    def rm_tree(self, directory: str) -> None:
        """Remove ``directory`` and everything below it; missing is fine."""
        try:
            self.fs.rm(directory, recursive=True)
        except FileNotFoundError:
            pass
        self.fs.invalidate_cache(directory)

    def _uri(self, path: str) -> str:
        return f"{self.protocol}://{path}" if self.protocol not in ("file", "local") else path


def current_store() -> Store:
    """Return the store at the root configured now (``set_root``, env, default).

    Raises:
        StoreError: when the root URL cannot be opened.
    """
    url = get_root()
    try:
        fs, root = url_to_fs(url)
    except (ValueError, ImportError, OSError) as exc:
        raise StoreError(f"cannot open store root {url!r}: {exc}", uri=url) from exc
    return Store(url=url, fs=fs, root=root.rstrip("/") or "/")

