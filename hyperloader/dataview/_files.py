"""The files a view will read (sources, masks, previews), and warming the cache with them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["FilesMixin"]

_CHUNK = 4096


class FilesMixin:
    """``get_uris`` and ``prefetch_files`` for :class:`DataView`."""

    def iter_uris(self, *, masks: bool = True, previews: bool = False,
                  epoch: int = 0) -> Iterator[str]:
        """Yield the URIs the view reads, in the order of pass ``epoch`` (duplicates kept)."""
        plan = self.plan(epoch)  # type: ignore[attr-defined]
        for start in range(0, len(plan), _CHUNK):
            for d in self.get_entry_dicts(plan[start:start + _CHUNK]):  # type: ignore[attr-defined]
                for src in d.get("sources") or ():
                    yield src["uri"]
                    if masks:
                        yield from (m["uri"] for m in src.get("masks") or ())
                    if previews and (src.get("preview") or {}).get("uri"):
                        yield src["preview"]["uri"]

    def get_uris(self, *, masks: bool = True, previews: bool = False) -> list[str]:
        """Return the unique URIs of the view's sources (and masks, previews), in read order."""
        return list(dict.fromkeys(self.iter_uris(masks=masks, previews=previews)))

    def prefetch_files(self, num_workers: int = 8, wait: bool = True, *, cache: Any = None,
                       masks: bool = True, previews: bool = False,
                       progress: bool = True) -> Any:
        """Download every file of the view into the local cache, with a progress bar.

        Local files are left in place. The cache is told the view's order, so a Belady
        cache keeps what the first pass needs soonest.

        Args:
            num_workers: Concurrent downloads.
            wait: Block until done and return the summary; otherwise return a Future.
            cache: A ``hyperloader.io.Cache``; the process's default cache when None.
            masks: Also fetch mask files.
            previews: Also fetch preview images.
            progress: Show a tqdm progress bar.

        Returns:
            A ``hyperloader.io.PrefetchSummary``, or a Future of one when ``wait=False``.
        """
        # io sits above dataview; import lazily so the view itself never needs it
        from hyperloader.io import default_cache, prefetch_uris

        cache = cache if cache is not None else default_cache()
        uris = self.get_uris(masks=masks, previews=previews)
        cache.set_future_order(uris)
        if wait:
            return prefetch_uris(uris, cache, num_workers=num_workers, progress=progress)
        pool = ThreadPoolExecutor(1, thread_name_prefix="hyperloader-prefetch-files")
        future: Future = pool.submit(prefetch_uris, uris, cache, num_workers, progress)
        pool.shutdown(wait=False)
        return future
