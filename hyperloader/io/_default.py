"""The process's default cache, created lazily from the environment."""

from __future__ import annotations

import os

from hyperloader._locks import ForkSafeLock
from hyperloader.io._cache import Cache
from hyperloader.io._options import DEFAULT_MAX_BYTES, CacheOptions, parse_size

__all__ = ["cached_local_path", "default_cache"]

_LOCK = ForkSafeLock()
_DEFAULT: tuple[tuple[object, ...], Cache] | None = None


def default_cache() -> Cache:
    """Return this process's default ``Cache``, creating it on first use.

    Its directory is ``$HYPERLOADER_CACHE_DIR`` (else ``~/.cache/hyperloader``), its budget
    ``$HYPERLOADER_CACHE_MAX_BYTES`` (``"20GiB"`` style accepted, default 10 GiB) and its
    eviction ``$HYPERLOADER_CACHE_EVICTION`` (default ``"belady"``, which is LRU while no
    future order is known), and ``$HYPERLOADER_CACHE_REVALIDATE_S`` sets
    ``CacheOptions.revalidate_after_s`` (unset: objects are immutable). A forked child, or
    a change to those variables, gets a new one.

    Raises:
        ValueError: an environment variable holds a malformed value.
    """
    global _DEFAULT
    env = os.environ
    budget = env.get("HYPERLOADER_CACHE_MAX_BYTES")
    eviction = env.get("HYPERLOADER_CACHE_EVICTION", "belady")
    revalidate = env.get("HYPERLOADER_CACHE_REVALIDATE_S", "").strip()
    key = (os.getpid(), env.get("HYPERLOADER_CACHE_DIR"), budget, eviction, revalidate)
    with _LOCK:
        if _DEFAULT is None or _DEFAULT[0] != key:
            options = CacheOptions(eviction=eviction,
                                   revalidate_after_s=_seconds(revalidate) if revalidate else None)
            cache = Cache(None, parse_size(budget) if budget else DEFAULT_MAX_BYTES, options)
            _DEFAULT = (key, cache)
        return _DEFAULT[1]


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError("HYPERLOADER_CACHE_REVALIDATE_S must be a number of seconds, got "
                         f"{text!r}") from None


def cached_local_path(uri: str, *, force_download: bool = False) -> str:
    """Return a local path for ``uri`` through the default cache (local files in place).

    This is what ``SingleFrame.get_local_source`` uses.

    Raises:
        StoreError: the object is missing or every fetch attempt failed.
    """
    cache = default_cache()
    if force_download:
        cache.invalidate(uri)
    return cache.get(uri)
