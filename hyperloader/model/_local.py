"""A hook through which the io layer tells frames how to get a local copy of a URI.

The model stays free of I/O: ``hyperloader.io`` installs its cache here at import time.
"""

from __future__ import annotations

from collections.abc import Callable

from hyperloader.errors import StoreError

__all__ = ["local_path", "set_local_resolver"]

_resolver: Callable[..., str] | None = None


def set_local_resolver(fn: Callable[..., str]) -> None:
    """Install ``fn(uri, force_download=False) -> local path`` (done by ``hyperloader.io``)."""
    global _resolver
    _resolver = fn


def local_path(uri: str, *, force_download: bool = False) -> str:
    """Return a local path for ``uri`` through the installed resolver.

    Raises:
        StoreError: when no resolver is installed and the URI is remote.
    """
    if _resolver is not None:
        return _resolver(uri, force_download=force_download)
    if "://" not in uri or uri.startswith("file://"):
        return uri.removeprefix("file://")
    raise StoreError(f"no local cache available for uri={uri!r}; import hyperloader.io",
                     uri=uri)
