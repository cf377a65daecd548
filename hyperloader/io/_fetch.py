"""Read remote objects through the storage seam, with retries: bytes, metadata, or a local file."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fsspec.callbacks import Callback

from hyperloader._fs import cat_whole, url_to_fs
from hyperloader.errors import StoreError
from hyperloader.io._retry import RetryPolicy, call_with_retry
from hyperloader.io._s3direct import direct_for

__all__ = ["ObjectInfo", "download_to", "fetch_bytes", "fetch_info", "file_digest",
           "local_path", "over_budget"]

logger = logging.getLogger(__name__)

_MD5_ETAG = re.compile(r'^"?([0-9a-fA-F]{32})"?$')
_CHUNK = 1 << 20


class TornDownloadError(ConnectionError):
    """A download ended shorter or longer than announced; retried like a dropped connection."""


class _Announced(Callback):
    """Records the length the server announced and lets ``check_size`` stop the download.

    fsspec file systems report the response's length through ``set_size`` and each chunk
    written through ``relative_update``. The check runs on chunks only: s3fs calls the
    latter inside the ``try/finally`` that releases the response.
    """

    def __init__(self, check_size: Callable[[int], None]) -> None:
        super().__init__()
        self.check_size = check_size

    def relative_update(self, inc: int = 1) -> None:
        super().relative_update(inc)
        self.check_size(max(self.size or 0, self.value))


def over_budget(uri: str, size: int, max_bytes: int) -> StoreError:
    """Return the error for an object of ``size`` bytes that cannot fit a cache of ``max_bytes``."""
    return StoreError(f"{uri!r} is {size} bytes, more than the whole cache budget "
                      f"max_bytes={max_bytes}; raise max_bytes or read it with fetch_bytes",
                      uri=uri, attempts=1, transient=False)


@dataclass(frozen=True)
class ObjectInfo:
    """What the server says about an object before it is read.

    Attributes:
        uri: the object's URI.
        size: its length in bytes, or None when the server does not say.
        etag: the entity tag, quotes included, or None.
    """

    uri: str
    size: int | None
    etag: str | None

    @property
    def md5(self) -> str | None:
        """The content MD5 when the ETag is one (S3 objects not uploaded in parts), else None."""
        if not self.etag or not self.uri.startswith("s3://"):
            return None
        match = _MD5_ETAG.match(self.etag)
        return match.group(1).lower() if match else None


def _resolve(uri: str) -> tuple[Any, str]:
    try:
        return url_to_fs(uri)
    except (ValueError, ImportError, TypeError) as exc:
        raise StoreError(f"cannot open {uri!r}: {exc}", uri=uri, attempts=0,
                         transient=False) from exc


def local_path(uri: str) -> str:
    """Return the path of a plain path or ``file://`` URI, which is read in place.

    Raises:
        StoreError: no such file.
    """
    path = url_to_fs(uri)[1] if uri.startswith("file://") else os.fspath(uri)
    if not os.path.isfile(path):
        raise StoreError(f"local file {uri!r} not found", uri=uri, attempts=1, transient=False)
    return path


def fetch_info(uri: str, *, retry: RetryPolicy | None = None) -> ObjectInfo:
    """Return the size and ETag of the object at ``uri`` (one HEAD for S3 and HTTP).

    Raises:
        StoreError: the object is missing, is a directory, or every attempt failed.
    """
    fs, path = _resolve(uri)
    info = call_with_retry(lambda: fs.info(path), uri=uri, what="reading the metadata of",
                           policy=retry)
    if info.get("type") == "directory":
        raise StoreError(f"{uri!r} is a directory, not an object", uri=uri, attempts=1,
                         transient=False)
    size = info.get("size")
    return ObjectInfo(uri=uri, size=None if size is None else int(size), etag=_etag(info))


def _etag(info: dict[str, Any]) -> str | None:
    etag = info.get("ETag") or info.get("etag") or None
    return None if etag is None else str(etag)


def fetch_bytes(uri: str, *, retry: RetryPolicy | None = None) -> bytes:
    """Return the whole content of ``uri``, retrying transient failures.

    Args:
        uri: a plain path or any fsspec URL (``s3://host:port/bucket/key`` included).
        retry: the backoff policy; ``RetryPolicy()`` when None.

    Raises:
        StoreError: naming the URI, the attempts and the underlying error.
    """
    direct = direct_for(uri)

    def attempt() -> bytes:
        if direct is not None:
            buffer = io.BytesIO()
            if not direct[0].download(uri, direct[1], direct[2], buffer, digest=False).declined:
                return buffer.getvalue()
        fs, path = _resolve(uri)
        return bytes(cat_whole(fs, path))

    return call_with_retry(attempt, uri=uri, what="fetching", policy=retry)


def file_digest(path: str) -> tuple[int, str]:
    """Return the size and MD5 hex digest of a local file."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def download_to(uri: str, dest: str, *, max_bytes: int | None = None,
                retry: RetryPolicy | None = None,
                want_etag: bool = False) -> tuple[int, str, str | None]:
    """Stream ``uri`` into the local file ``dest`` with one request, and check what arrived.

    The transfer counts as torn, and is retried, when its size differs from the length the
    server announced.

    Args:
        uri: a plain path or any fsspec URL.
        dest: the local file to write (replaced).
        max_bytes: stop, and raise, as soon as the object is known to be larger.
        retry: the backoff policy; ``RetryPolicy()`` when None.
        want_etag: learn the object's ETag even where the GET does not show it (the
            fsspec path): one HEAD before the GET, so that an ETag never describes newer
            bytes than those written.

    Returns:
        The size and MD5 hex digest of what was written, and the object's ETag (None
        when unknown).

    Raises:
        StoreError: when every attempt failed, the object is missing or outgrows
            ``max_bytes``.
    """
    direct = direct_for(uri)

    def check_size(size: int) -> None:
        if max_bytes is not None and size > max_bytes:
            raise over_budget(uri, size, max_bytes)

    def attempt() -> tuple[int, str, str | None]:
        if direct is not None:
            with open(dest, "wb") as out:
                got = direct[0].download(uri, direct[1], direct[2], out, check_size)
            if not got.declined:
                return got.size, got.md5, got.etag
        fs, path = _resolve(uri)
        etag = _etag(fs.info(path)) if want_etag else None  # retried with the GET
        announced = _Announced(check_size)
        fs.get_file(path, dest, callback=announced)
        size, md5 = file_digest(dest)
        if announced.size is not None and size != announced.size:
            raise TornDownloadError(f"got {size} bytes, expected {announced.size}")
        return size, md5, etag

    return call_with_retry(attempt, uri=uri, what="downloading", policy=retry)
