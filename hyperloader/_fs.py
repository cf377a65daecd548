"""The one seam to storage: turn a URL into ``(filesystem, path)`` with the right options.

``s3://host:port/bucket/key`` (the MinIO form the reference documents) is turned into
an ``endpoint_url`` plus a plain ``bucket/key`` path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import fsspec
from fsspec.core import url_to_fs as _fsspec_url_to_fs

from hyperloader._config import options_for

__all__ = ["cat_whole", "is_local", "preload_protocols", "split_endpoint", "storage_options",
           "url_to_fs"]

_HOST_PORT = re.compile(r"^s3://(?P<host>[A-Za-z0-9.\-]+):(?P<port>\d+)/(?P<rest>.+)$")


def split_endpoint(url: str) -> tuple[str, str | None]:
    """Split ``s3://host:port/bucket/key`` into (``s3://bucket/key``, ``endpoint_url``)."""
    m = _HOST_PORT.match(url)
    if not m:
        return url, None
    scheme = "https" if m["port"] == "443" else "http"
    return f"s3://{m['rest']}", f"{scheme}://{m['host']}:{m['port']}"


def is_local(url: str) -> bool:
    """Return True for plain paths and ``file://`` URLs, which are read in place."""
    return "://" not in url or url.startswith("file://")


def storage_options(url: str) -> tuple[str, dict[str, Any]]:
    """Return ``url`` without a ``host:port`` endpoint, and the options that apply to it.

    The configured options of the longest matching prefix, with the endpoint written in
    an ``s3://host:port/...`` URI in place of any configured one (it names the server).
    """
    options = options_for(url)
    url, endpoint = split_endpoint(url)
    if endpoint:
        options["endpoint_url"] = endpoint
        client_kwargs = dict(options.get("client_kwargs") or {})
        client_kwargs.pop("endpoint_url", None)
        options["client_kwargs"] = client_kwargs
    return url, options


def url_to_fs(url: str, **overrides: Any) -> tuple[fsspec.AbstractFileSystem, str]:
    """Return the filesystem and path for ``url``, using the configured storage options.

    Args:
        url: a plain path or any fsspec URL.
        **overrides: options that win over the configured ones.
    """
    url, options = storage_options(url)
    options.update(overrides)
    return _fsspec_url_to_fs(url, **options)


def preload_protocols(urls: Iterable[str]) -> None:
    """Import the fsspec implementations ``urls`` need (s3fs, gcsfs, ...) now.

    Call it in a process about to fork DataLoader workers: each worker then inherits the
    modules instead of importing s3fs, aiobotocore and botocore itself on its first
    fetch, every epoch. Unknown or unavailable protocols are left for the fetch to report.
    """
    for url in urls:
        if is_local(url):
            continue
        protocol = url.split("://", 1)[0]
        try:
            fsspec.get_filesystem_class(protocol)
        except (ImportError, ValueError):
            continue


def cat_whole(fs: fsspec.AbstractFileSystem, path: str) -> bytes:
    """Return the whole file at ``path`` with one request.

    s3fs first asks for the size (a HEAD) so that it can split large reads, unless told
    to read in one piece; other file systems take no such option.

    Raises:
        FileNotFoundError: when there is no such file (other errors as ``fs`` raises them).
    """
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if "s3" in protocols:
        return fs.cat_file(path, max_concurrency=1)
    return fs.cat_file(path)
