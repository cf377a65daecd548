"""Whole-object S3 GETs at a quarter of the CPU: a presigned URL, fetched by urllib3.

Through s3fs, one GET of a 100 KiB object costs about 4 ms of client CPU, most of it in
aiobotocore's request pipeline (event hooks, response parsing, a hop to the event-loop
thread). On a fast network that, not the network, caps a cold cache. Here botocore signs
a short-lived URL (about 35 µs; the same credential chain, region and addressing as
s3fs) and urllib3 fetches it (about 1 ms), from the caller's thread.

Signing is ``S3Signer``'s (``_s3sign.py``), which also refuses the options this path
cannot honour: :func:`direct_for` then returns None and the fsspec path serves, as it does
for an endpoint behind an HTTP proxy. ``HYPERLOADER_S3_DIRECT=0`` turns it off.

A response it does not expect (a redirect, 403) also goes back to the fsspec path, which
owns the full semantics and error messages; a region redirect is remembered per bucket.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, Literal
from urllib.parse import urlsplit

from hyperloader._fs import storage_options
from hyperloader._locks import ForkSafeLock
from hyperloader.io._s3sign import S3Signer
from hyperloader.io._sigv4 import PROBE_KEY

__all__ = ["DirectGet", "S3Direct", "ServerBusyError", "direct_for", "enabled",
           "prepare_for_workers"]

logger = logging.getLogger(__name__)

_ENV = "HYPERLOADER_S3_DIRECT"
_CHUNK = 1 << 20


class ServerBusyError(ConnectionError):
    """The server answered 5xx or 429: worth retrying (a ConnectionError for the classifier)."""

    def __init__(self, status: int, uri: str) -> None:
        super().__init__(f"HTTP {status} from the server for {uri!r}")
        self.status = status


class DirectGet:
    """What one direct GET produced: the bytes' size, MD5 and ETag, or ``declined``."""

    __slots__ = ("declined", "etag", "md5", "size")

    def __init__(self, size: int = 0, md5: str = "", declined: bool = False,
                 etag: str | None = None) -> None:
        self.size, self.md5, self.declined, self.etag = size, md5, declined, etag


def enabled() -> bool:
    """Return False when ``$HYPERLOADER_S3_DIRECT`` is ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get(_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


class S3Direct:
    """Fetches whole objects for one set of s3fs-style storage options with presigned GETs.

    Args:
        options: the storage options, as ``s3fs.S3FileSystem`` takes them.

    Attributes:
        signer: the :class:`S3Signer` of ``options``.
        pid: the process that built it. A forked child keeps using it (its botocore
            session, clients and signing templates), but with a connection pool of its own.

    Raises:
        ValueError: the options hold something this path cannot honour.
    """

    def __init__(self, options: dict[str, Any]) -> None:
        import urllib3

        self.signer = S3Signer(options)
        self.pid = os.getpid()
        self._lock = ForkSafeLock()
        if _proxied(self.signer.endpoint_url):
            raise ValueError(f"an HTTP proxy applies to {self.signer.endpoint_url}; it needs "
                             "the fsspec path")
        verify = self.signer.verify
        tls: dict[str, Any] = ({"cert_reqs": "CERT_NONE"} if verify is False else
                               {"ca_certs": verify})
        config = self.signer.config
        timeout = urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout)
        self._pool_kwargs = dict(num_pools=16, maxsize=max(config.max_pool_connections, 32),
                                 timeout=timeout, retries=False, **tls)
        self._http: Any = None
        self.pool_pid = 0  # the process self._http belongs to
        self._urllib3 = urllib3

    def download(self, uri: str, bucket: str, key: str, out: BinaryIO,
                 check_size: Callable[[int], None] | None = None, *,
                 digest: bool = True) -> DirectGet:
        """GET ``bucket/key`` into ``out``; return its size and MD5, or ``declined``.

        Args:
            uri: the object's URI, for messages.
            bucket: the object's bucket.
            key: the object's key.
            out: a binary file, written from its current position.
            check_size: called with the announced length before any byte is read; raises
                to stop (an over-budget object is never read).
            digest: compute the MD5 (``DirectGet.md5`` stays empty without it).

        Raises:
            FileNotFoundError: 404.
            ServerBusyError: 5xx or 429 (transient).
            ConnectionError, TimeoutError: the connection failed or the body came short.
        """
        for attempt in (0, 1):
            try:
                url = self.signer.sign(bucket, key)
            except self.signer.error as exc:  # no credentials found, ...: fsspec decides
                logger.debug("cannot sign a GET of %s (%s); using fsspec", uri, exc)
                return DirectGet(declined=True)
            try:
                resp = self._request(uri, url)
            except self._urllib3.exceptions.SSLError as exc:
                logger.debug("TLS failed for a direct GET of %s (%s); using fsspec", uri, exc)
                return DirectGet(declined=True)
            reusable = False
            try:
                status = resp.status
                if status == 200:
                    got = self._read(uri, resp, out, check_size, digest)
                    reusable = True
                    return got
                resp.drain_conn()  # a small error document; the connection stays usable
                reusable = True
                region = resp.headers.get("x-amz-bucket-region")
                if attempt == 0 and region and region != self.signer.region_of(bucket) \
                        and status in (301, 307, 400):
                    logger.debug("bucket %s lives in %s; signing for it", bucket, region)
                    self.signer.move(bucket, region)
                    continue
                if status == 404:
                    raise FileNotFoundError(f"no such object: {uri!r} (HTTP 404)")
                if status >= 500 or status == 429:
                    raise ServerBusyError(status, uri)
                logger.debug("direct GET of %s got HTTP %d; using fsspec", uri, status)
                return DirectGet(declined=True)
            finally:
                if not reusable:  # stopped mid-body: never hand this connection out again
                    resp.close()
                resp.release_conn()
        return DirectGet(declined=True)

    def _pool(self) -> Any:
        """Return this process's connection pool: a forked child never uses its parent's sockets."""
        pid = os.getpid()
        if self.pool_pid != pid:
            with self._lock:
                if self.pool_pid != pid:
                    self._http = self._urllib3.PoolManager(**self._pool_kwargs)
                    self.pool_pid = pid
        return self._http

    def _request(self, uri: str, url: str) -> Any:
        try:
            return self._pool().request("GET", url, preload_content=False, decode_content=False)
        except self._urllib3.exceptions.SSLError:
            raise  # download() declines: s3fs has its own TLS set-up, and says what is wrong
        except self._urllib3.exceptions.TimeoutError as exc:
            raise TimeoutError(f"GET {uri!r} timed out: {exc}") from exc
        except self._urllib3.exceptions.HTTPError as exc:
            raise ConnectionError(f"GET {uri!r} failed: {exc}") from exc

    def _read(self, uri: str, resp: Any, out: BinaryIO,
              check_size: Callable[[int], None] | None, digest: bool) -> DirectGet:
        announced = resp.headers.get("Content-Length")
        if announced is not None and check_size is not None:
            check_size(int(announced))
        md5 = hashlib.md5(usedforsecurity=False) if digest else None
        size = 0
        try:
            # urllib3 raises on a body shorter than its Content-Length (enforce_content_length)
            for chunk in resp.stream(_CHUNK, decode_content=False):
                if md5 is not None:
                    md5.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if check_size is not None and announced is None:
                    check_size(size)
        except self._urllib3.exceptions.TimeoutError as exc:
            raise TimeoutError(f"reading {uri!r} timed out: {exc}") from exc
        except self._urllib3.exceptions.HTTPError as exc:
            raise ConnectionError(f"reading {uri!r} broke off after {size} bytes: {exc}") from exc
        return DirectGet(size, "" if md5 is None else md5.hexdigest(),
                         etag=resp.headers.get("ETag"))


def _proxied(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    return (bool(urllib.request.getproxies().get(parts.scheme))
            and not urllib.request.proxy_bypass(parts.hostname or ""))


_BUILT: dict[str, S3Direct | None] = {}
_BUILT_LOCK = ForkSafeLock()


def direct_for(uri: str) -> tuple[S3Direct, str, str] | None:
    """Return the direct getter, bucket and key for an ``s3://`` URI, or None (use fsspec).

    One getter per set of options. A forked DataLoader worker inherits its parent's
    (loading botocore's S3 model for a new one costs about 0.2 s of CPU, per worker and
    epoch) and opens its own connections; :func:`prepare_for_workers` builds it before
    the fork.
    """
    if not uri.startswith("s3://") or not enabled():
        return None
    plain, options = storage_options(uri)
    bucket, _, key = plain[len("s3://"):].partition("/")
    if not bucket or not key:
        return None
    token = json.dumps(options, sort_keys=True, default=repr)
    getter: S3Direct | Literal[False] | None = _BUILT.get(token, False)
    if getter is False:
        with _BUILT_LOCK:
            getter = _BUILT.get(token, False)
            if getter is False:
                getter = _build(options)
                _BUILT[token] = getter
    return None if getter is None else (getter, bucket, key)


def prepare_for_workers(prefixes: Iterable[str]) -> None:
    """Build the direct getters of ``s3://`` ``prefixes`` now, so forked workers inherit them.

    Args:
        prefixes: store roots and storage-option prefixes (``s3://``,
            ``s3://bucket/path``, ``s3://host:port/bucket``); others are ignored.
    """
    for prefix in prefixes:
        if prefix.startswith("s3://"):
            head = prefix.rstrip("/")
            direct_for(f"{head}/{PROBE_KEY}/k" if head != "s3:" else f"s3://{PROBE_KEY}/k")


def _build(options: dict[str, Any]) -> S3Direct | None:
    try:
        return S3Direct(options)
    except Exception as exc:  # noqa: BLE001 - any reason at all means: let fsspec serve
        logger.debug("direct S3 GETs off for these options (%s); using fsspec", exc)
        return None
