"""Warm a cache with many URIs at once, concurrently, with a progress bar."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from hyperloader.errors import StoreError
from hyperloader.io._cache import Cache

__all__ = ["PrefetchSummary", "prefetch_uris"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrefetchSummary:
    """What ``prefetch_uris`` did.

    Attributes:
        fetched: URIs downloaded by this call.
        hits: URIs already cached.
        local: local files (nothing to do).
        failed: URIs that could not be fetched.
        errors: the error message of each failed URI.
    """

    fetched: int = 0
    hits: int = 0
    local: int = 0
    failed: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def prefetch_uris(uris: Iterable[str], cache: Cache | None = None, num_workers: int = 8,
                  progress: bool = True) -> PrefetchSummary:
    """Download every URI into ``cache`` on ``num_workers`` threads and wait for them.

    A URI that cannot be fetched is recorded in the summary, not raised, so one bad object
    does not stop a warm-up of millions.

    Args:
        uris: the URIs (duplicates are fetched once).
        cache: the target; ``default_cache()`` when None.
        num_workers: concurrent downloads.
        progress: show a tqdm progress bar.

    Returns:
        Counts of fetched, already-cached, local and failed URIs.
    """
    if num_workers < 1:
        raise ValueError(f"prefetch_uris num_workers must be >= 1, got {num_workers}")
    if cache is None:
        from hyperloader.io._default import default_cache

        cache = default_cache()
    unique = list(dict.fromkeys(uris))
    counts = {"miss": 0, "hit": 0, "local": 0}
    errors: dict[str, str] = {}
    with ThreadPoolExecutor(num_workers, thread_name_prefix="hyperloader-warm") as pool, \
            tqdm(total=len(unique), desc="prefetch", unit="obj", disable=not progress) as bar:
        futures = {pool.submit(cache._ensure, uri, observe=False): uri for uri in unique}
        for future in as_completed(futures):
            try:
                counts[future.result()[1]] += 1
            except StoreError as exc:
                errors[futures[future]] = str(exc)
                logger.warning("prefetch of %s failed: %s", futures[future], exc)
            bar.update(1)
    return PrefetchSummary(fetched=counts["miss"], hits=counts["hit"], local=counts["local"],
                           failed=len(errors), errors=errors)
