"""The lazy, per-process core both datasets share: open the view, fetch bytes, build samples.

A reader pickles to the view's JSON spec, the storage config and the options; the view,
the cache and every handle are opened again on first use inside each worker process.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperloader._config import StorageConfig, get_config, set_config
from hyperloader._fs import is_local, preload_protocols
from hyperloader.errors import DecodeError, HyperloaderError, StoreError
from hyperloader.torch._decoders import tune_malloc
from hyperloader.torch._options import LoaderOptions, OnError, SampleOptions
from hyperloader.torch._sample import FrameDict, build_sample, frame_uris

__all__ = ["FetchedFrame", "FrameReader", "LoaderStats"]

logger = logging.getLogger(__name__)

_ENTRY_CHUNK = 64
_KEEP_ERRORS = 20


@dataclass
class LoaderStats:
    """Counters of one loading process (each DataLoader worker keeps its own).

    Attributes:
        frames: samples delivered.
        skipped: frames skipped under ``on_error="skip"``.
        bytes_read: source and mask bytes read.
        stall_seconds: time the consumer waited on the read-ahead.
        errors: the messages of the most recent skipped frames.
    """

    frames: int = 0
    skipped: int = 0
    bytes_read: int = 0
    stall_seconds: float = 0.0
    errors: deque[str] = field(default_factory=lambda: deque(maxlen=_KEEP_ERRORS))


@dataclass(slots=True)
class FetchedFrame:
    """A frame dict with the bytes of every URI its sample reads, or the error that stopped it."""

    tag: Any
    frame: FrameDict
    blobs: dict[str, bytes] = field(default_factory=dict)
    error: Exception | None = None

    @property
    def nbytes(self) -> int:
        """Bytes held (the read-ahead budget counts these)."""
        return sum(len(b) for b in self.blobs.values()) or 1


class FrameReader:
    """Reads frames of a DataView and turns them into samples, opening everything lazily.

    Args:
        dataview: A DataView (anything with ``to_json``/``from_json``, ``plan``,
            ``get_entry_dicts`` and ``mask_label_ids``).
        sample_options: What a sample contains.
        loader_options: Read-ahead, caching and error policy.
        storage_config: Store root and storage options for worker processes; the
            process's current config when None.
    """

    def __init__(self, dataview: Any, sample_options: SampleOptions,
                 loader_options: LoaderOptions, storage_config: StorageConfig | None = None):
        self.sample_options = sample_options
        self.loader_options = loader_options
        self._view_cls = type(dataview)
        self._spec = dataview.to_json()
        self._config = storage_config if storage_config is not None else get_config()
        # workers fork from here: give them s3fs & co. already imported, S3 getters built
        prefixes = [self._config.resolved_root(), *self._config.options]
        preload_protocols(prefixes)
        if storage_config is None and any(p.startswith("s3://") for p in prefixes):
            from hyperloader.io import prepare_for_workers

            prepare_for_workers(prefixes)
        self._install_config = False
        self._view: Any = dataview
        self._reset_runtime()

    def _reset_runtime(self) -> None:
        self._pid = os.getpid()
        self._cache: Any = None
        self._mask_ids: dict[str | None, Any] = {}
        self._plans: dict[int, np.ndarray] = {}
        self.stats = LoaderStats()

    def __getstate__(self) -> dict[str, Any]:
        return {"sample_options": self.sample_options, "loader_options": self.loader_options,
                "view_cls": self._view_cls, "spec": self._spec, "config": self._config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.sample_options = state["sample_options"]
        self.loader_options = state["loader_options"]
        self._view_cls, self._spec = state["view_cls"], state["spec"]
        self._config = state["config"]
        self._install_config = True  # a fresh process: carry the parent's store config
        self._view = None
        self._reset_runtime()

    # -- lazily opened per process -----------------------------------------------------------

    def setup_process(self) -> None:
        """Install the storage config and tune malloc, once per process."""
        if self._pid != os.getpid():  # forked after first use: drop inherited handles
            view = self._view
            self._reset_runtime()
            self._view = view
        if self._install_config:
            set_config(self._config)
            self._install_config = False
        if self.loader_options.tune_malloc:
            tune_malloc()

    @property
    def view(self) -> Any:
        """The DataView, rebuilt from its JSON spec on first use in this process."""
        if self._view is None:
            self.setup_process()
            self._view = self._view_cls.from_json(self._spec)
        return self._view

    def plan(self, epoch: int) -> np.ndarray:
        """Return the view's entry ids for one pass of ``epoch`` (cached for the last epoch)."""
        if epoch not in self._plans:
            self._plans.clear()
            self._plans[epoch] = np.asarray(self.view.plan(epoch), dtype=np.int64)
        return self._plans[epoch]

    def _cache_obj(self) -> Any:
        if self._cache is None:
            from hyperloader.io import default_cache

            self._cache = default_cache()
        return self._cache

    # -- fetching ------------------------------------------------------------------------------

    def frames(self, entry_ids: np.ndarray,
               tags: Iterable[Any]) -> Iterator[tuple[Any, FrameDict]]:
        """Yield ``(tag, frame dict)`` for ``entry_ids``, reading entries a chunk at a time."""
        tags = iter(tags)
        for start in range(0, len(entry_ids), _ENTRY_CHUNK):
            chunk = entry_ids[start:start + _ENTRY_CHUNK]
            for frame in self.view.get_entry_dicts(chunk):
                yield next(tags), frame

    def prepare(self, entry_ids: np.ndarray, order: np.ndarray | None = None,
                order_start: int | None = None, period: int | None = None) -> bool:
        """Get ready to read ``entry_ids`` in order; return whether to read ahead on threads.

        Local files are read in place, on the consumer thread (the page cache is faster
        than a thread hand-off) unless ``prefetch_local`` is set. When the first frame is
        remote, the cache is told the future read order of every URI (Belady eviction),
        placed at ``order`` (each entry's position in the order all shards share, which
        starts at ``order_start`` and repeats every ``period`` positions) when given; when
        every URI is already cached, they too are read on the consumer thread, unless the
        cache revalidates (its checks are requests).
        """
        if len(entry_ids) == 0:
            return False
        first = self.view.get_entry_dicts(entry_ids[:1])
        if all(is_local(u) for f in first for u in frame_uris(f, self.sample_options)):
            return self.loader_options.prefetch_local
        if self.loader_options.use_cache:
            uris: list[str] = []
            positions: list[int] = []
            places = range(len(entry_ids)) if order is None else order.tolist()
            for place, frame in self.frames(entry_ids, places):
                for uri in frame_uris(frame, self.sample_options):
                    uris.append(uri)
                    positions.append(place)
            cache = self._cache_obj()
            missing = cache.set_future_order(
                uris, None if order is None else positions, order_start=order_start,
                period=period)
            # a revalidating cache asks the server on hits too: keep those HEADs concurrent
            if missing == 0 and not self.loader_options.prefetch_local \
                    and cache.options.revalidate_after_s is None:
                return False
        return True

    def fetch(self, item: tuple[Any, FrameDict]) -> FetchedFrame:
        """Read the bytes of every URI of a frame; errors are kept, not raised."""
        tag, frame = item
        fetched = FetchedFrame(tag, frame)
        try:
            for uri in dict.fromkeys(frame_uris(frame, self.sample_options)):
                fetched.blobs[uri] = self._read(uri, frame["id"])
        except (HyperloaderError, OSError) as exc:
            fetched.error = exc
        return fetched

    def _read(self, uri: str, frame_id: str) -> bytes:
        try:
            if is_local(uri):
                with open(uri.removeprefix("file://"), "rb") as f:
                    return f.read()
            if self.loader_options.use_cache:
                with self._cache_obj().open(uri) as f:
                    return f.read()
            from hyperloader.io import fetch_bytes

            return fetch_bytes(uri)
        except StoreError:
            raise
        except OSError as exc:
            raise StoreError(f"frame {frame_id!r} uri={uri!r}: cannot read: {exc}",
                             uri=uri, frame_id=frame_id) from exc

    def fetch_all(self, items: Iterable[tuple[Any, FrameDict]], *,
                  read_ahead: bool = True) -> Iterator[FetchedFrame]:
        """Fetch ``items`` in order, reading ahead on threads within the configured budget."""
        opts = self.loader_options
        if not read_ahead or opts.prefetch_items == 0 or opts.prefetch_bytes == 0:
            for item in items:
                yield self.fetch(item)
            return
        from hyperloader.io import Prefetcher

        prefetcher = Prefetcher(items, self.fetch, max_items=opts.prefetch_items,
                                max_bytes=opts.prefetch_bytes, num_threads=opts.prefetch_threads,
                                size_of=lambda f: f.nbytes)
        stalled = 0.0
        try:
            for fetched in prefetcher:
                self.stats.stall_seconds += prefetcher.stall_seconds - stalled
                stalled = prefetcher.stall_seconds
                yield fetched
        finally:
            prefetcher.close()

    # -- samples ---------------------------------------------------------------------------------

    def sample(self, fetched: FetchedFrame) -> tuple[Any, dict[str, Any]] | None:
        """Build the sample of a fetched frame; None when it is skipped.

        Raises:
            DecodeError: (or the fetch's ``StoreError``) under ``on_error="raise"``.
        """
        try:
            if fetched.error is not None:
                raise fetched.error
            self.stats.bytes_read += sum(len(b) for b in fetched.blobs.values())
            sample = build_sample(fetched.frame, fetched.blobs, self.sample_options,
                                  self._mask_label_ids)
        except (DecodeError, StoreError, OSError) as exc:
            if self.loader_options.on_error is OnError.RAISE:
                raise
            self.stats.skipped += 1
            self.stats.errors.append(str(exc))
            logger.warning("skipping frame %r: %s", fetched.frame["id"], exc)
            return None
        self.stats.frames += 1
        return sample

    def _mask_label_ids(self, version_id: str | None) -> Any:
        if version_id not in self._mask_ids:
            self._mask_ids[version_id] = self.view.mask_label_ids(version_id)
        return self._mask_ids[version_id]
