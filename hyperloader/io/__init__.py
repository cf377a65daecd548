"""Fetch bytes with retry, keep them in a bounded local disk cache, and read ahead.

No torch here, and no store or dataview: this layer takes URIs and returns bytes or paths.
"""

from __future__ import annotations

from hyperloader.io._cache import Cache
from hyperloader.io._default import cached_local_path, default_cache
from hyperloader.io._evict import EvictionPolicy, get_eviction, register_eviction
from hyperloader.io._fetch import ObjectInfo, fetch_bytes, fetch_info
from hyperloader.io._future import FutureOrder
from hyperloader.io._options import CacheOptions, default_cache_dir, parse_size
from hyperloader.io._prefetch import Prefetcher
from hyperloader.io._retry import RetryPolicy, is_transient
from hyperloader.io._s3direct import prepare_for_workers
from hyperloader.io._warm import PrefetchSummary, prefetch_uris
from hyperloader.model import set_local_resolver

set_local_resolver(cached_local_path)

__all__ = [
    "Cache",
    "CacheOptions",
    "EvictionPolicy",
    "FutureOrder",
    "ObjectInfo",
    "PrefetchSummary",
    "Prefetcher",
    "RetryPolicy",
    "cached_local_path",
    "default_cache",
    "default_cache_dir",
    "fetch_bytes",
    "fetch_info",
    "get_eviction",
    "is_transient",
    "parse_size",
    "prefetch_uris",
    "prepare_for_workers",
    "register_eviction",
]
