"""Upload the local files of frames (sources, masks, previews) and point the frames at them.

Files keep their path relative to the local dataset root. A file whose content hash is
already at the destination is not uploaded again (S3: the ETag is the MD5 of a single-part
upload; local and memory: the bytes are hashed). A frame with any file that cannot be read
or uploaded fails as a whole, so a FrameGroup is all or nothing.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import posixpath
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from hyperloader._fs import is_local, url_to_fs

__all__ = ["UploadReport", "upload_frames"]

log = logging.getLogger(__name__)

_BAR_MIN_FILES = 100
_WORKERS = 8


@dataclass
class UploadReport:
    """What one ``add_frames`` upload did."""

    uploaded: int = 0
    skipped: int = 0
    failed: int = 0


def _uri_slots(d: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield ``(holder, key)`` for every URI in a frame dict."""
    for src in d.get("sources") or ():
        yield src, "uri"
        for mask in src.get("masks") or ():
            yield mask, "uri"
        if src.get("preview"):
            yield src["preview"], "uri"


def _local_path(uri: str) -> str:
    return os.path.abspath(uri.removeprefix("file://"))


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _remote_md5(fs: Any, path: str, size: int) -> str | None:
    try:
        info = fs.info(path)
    except FileNotFoundError:
        return None
    if info.get("size") != size:
        return None
    etag = str(info.get("ETag") or info.get("etag") or "").strip('"')
    if etag and "-" not in etag:
        return etag
    proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if proto in ("file", "local", "memory"):
        return _md5(fs.cat_file(path))
    return None


def _put_file(fs: Any, path: str, data: bytes) -> None:
    if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
        fs.makedirs(posixpath.dirname(path), exist_ok=True)
    fs.pipe_file(path, data)


def _upload_one(local: str, dest: str, retries: int) -> bool:
    """Upload one file unless its content is already there; return True if skipped."""
    with open(local, "rb") as fh:
        data = fh.read()
    fs, path = url_to_fs(dest)
    if _remote_md5(fs, path, len(data)) == _md5(data):
        return True
    for attempt in range(retries + 1):
        try:
            _put_file(fs, path, data)
            return False
        except OSError:
            if attempt == retries:
                raise
            log.debug("upload of %s to %s failed, retrying", local, dest, exc_info=True)
            time.sleep(min(0.1 * 2**attempt, 2.0))
    return False  # pragma: no cover - the loop returns or raises


def _destinations(paths: set[str], destination: str, root: str | None) -> dict[str, str]:
    if root is None:
        root = os.path.commonpath([os.path.dirname(p) for p in paths])
    root = os.path.abspath(root)
    out = {}
    for p in paths:
        rel = os.path.relpath(p, root)
        if not rel.startswith(".."):
            out[p] = destination.rstrip("/") + "/" + rel.replace(os.sep, "/")
    return out


def _upload_all(dest: dict[str, str], retries: int, report: UploadReport) -> set[str]:
    """Upload every ``local -> url`` in parallel; return the local paths that failed."""
    bad = set()
    quiet = len(dest) < _BAR_MIN_FILES or not sys.stderr.isatty()
    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(dest))) as pool, \
            tqdm(total=len(dest), desc="upload", unit="file", disable=quiet) as bar:
        futures = {pool.submit(_upload_one, p, url, retries): p for p, url in dest.items()}
        for future in as_completed(futures):
            p = futures[future]
            try:
                skipped = future.result()
            except OSError as exc:
                bad.add(p)
                log.warning("cannot upload %s to %s: %s", p, dest[p], exc)
            else:
                report.skipped += skipped
                report.uploaded += not skipped
            bar.update()
    return bad


def upload_frames(dicts: list[dict[str, Any]], destination: str, root: str | None,
                  retries: int) -> tuple[list[dict[str, Any]], list[int], UploadReport]:
    """Upload the frames' local files to ``destination``; rewrite the URIs of the frames.

    Returns:
        The frame dicts (rewritten copies where files moved), the indexes of frames that
        failed (a file missing, outside ``root`` or not uploadable), and a report.
    """
    per_frame = [{_local_path(h[k]) for h, k in _uri_slots(d) if is_local(h[k])}
                 for d in dicts]
    paths = set().union(*per_frame) if per_frame else set()
    report = UploadReport()
    if not paths:
        return dicts, [], report
    dest = _destinations(paths, destination, root)
    bad = {p for p in paths if p not in dest}
    for p in sorted(bad):
        log.warning("cannot upload %s: it is outside local_dataset_root_path %r", p, root)
    if dest:
        bad |= _upload_all(dest, retries, report)
    report.failed = len(bad)
    failed = [i for i, files in enumerate(per_frame) if files & bad]
    out = list(dicts)
    for i, files in enumerate(per_frame):
        if files and not files & bad:
            out[i] = _rewrite(dicts[i], dest)
    log.info("upload to %s: %d files uploaded, %d already there, %d failed", destination,
             report.uploaded, report.skipped, report.failed)
    return out, failed, report


def _rewrite(d: dict[str, Any], dest: dict[str, str]) -> dict[str, Any]:
    d = copy.deepcopy(d)
    for holder, key in _uri_slots(d):
        if is_local(holder[key]):
            new = dest[_local_path(holder[key])]
            if d.get("context_id") == holder[key]:
                d["context_id"] = new
            holder[key] = new
    return d
