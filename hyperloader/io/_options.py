"""Cache settings: the options dataclass, the default directory and budget, size parsing."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from hyperloader.io._evict import EvictionPolicy, get_eviction
from hyperloader.io._retry import RetryPolicy

__all__ = ["DEFAULT_MAX_BYTES", "CacheOptions", "default_cache_dir", "parse_size"]

DEFAULT_MAX_BYTES = 10 * 2**30
_VERIFY = ("checksum", "always", "size")
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class CacheOptions:
    """How a ``Cache`` evicts, verifies, fetches and waits.

    Attributes:
        eviction: a registered strategy, ``"lru"`` or ``"belady"`` (which uses the order
            given to ``Cache.set_future_order`` and falls back to LRU without one).
        verify: ``"checksum"`` checks size and modification time on every hit, and hashes
            a file again (against the MD5 recorded at download) only when they changed
            since its MD5 was last confirmed; ``"always"`` also hashes each entry on its
            first hit in every process (catches silent disk corruption, costs a read);
            ``"size"`` checks size only.
        num_threads: threads for ``Cache.prefetch``.
        retry: backoff for transient fetch failures.
        lock_timeout_s: how long to wait for another process downloading the same object.
        index_timeout_s: how long to wait for another process's index transaction.
        revalidate_after_s: None (the default) treats remote objects as immutable: a hit
            never asks the server. A number makes a hit on an entry this process has not
            checked for that many seconds ask for the object's size and ETag (one HEAD;
            0 checks every hit); an object that changed is downloaded again (counted as
            ``stale``). A failed check serves the cached copy, except when the object is
            gone. Misses also record the ETag then (on the fsspec path, with a HEAD first).
    """

    eviction: str = "belady"
    verify: str = "checksum"
    num_threads: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lock_timeout_s: float = 600.0
    index_timeout_s: float = 60.0
    revalidate_after_s: float | None = None

    def __post_init__(self) -> None:
        get_eviction(self.eviction)
        if self.verify not in _VERIFY:
            raise ValueError(f"CacheOptions.verify must be one of {_VERIFY}, got {self.verify!r}")
        if self.num_threads < 1:
            raise ValueError(f"CacheOptions.num_threads must be >= 1, got {self.num_threads}")
        if self.revalidate_after_s is not None and not self.revalidate_after_s >= 0:
            raise ValueError("CacheOptions.revalidate_after_s must be None or >= 0, got "
                             f"{self.revalidate_after_s!r}")

    def eviction_policy(self) -> EvictionPolicy:
        """Return the eviction strategy named by ``eviction``."""
        return get_eviction(self.eviction)


def default_cache_dir() -> str:
    """Return ``$HYPERLOADER_CACHE_DIR``, else ``~/.cache/hyperloader``."""
    return os.environ.get("HYPERLOADER_CACHE_DIR") or os.path.join("~", ".cache", "hyperloader")


def parse_size(text: str | int) -> int:
    """Parse a byte count such as ``1048576``, ``"500MB"`` or ``"2GiB"``.

    Raises:
        ValueError: for text that is not a size.
    """
    if isinstance(text, int):
        return text
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a byte size: {text!r} (examples: 1048576, '500MB', '2GiB')")
    number, unit = match.groups()
    return int(float(number) * _UNITS[(unit or "").lower()])
