"""Functions that spawned processes run against a shared store."""

from __future__ import annotations

from hyperloader._config import StorageConfig, set_config
from hyperloader.store import DatasetVersion

from ._helpers import frame


def add_batches(config: StorageConfig, dataset: str, worker: int, batches: int, size: int,
                barrier) -> int:
    """Add ``batches`` batches of ``size`` frames to the current draft; return how many."""
    set_config(config)
    version = DatasetVersion.get_current(dataset)
    barrier.wait(timeout=60)
    for b in range(batches):
        failed = version.add_frames([frame(f"w{worker}-b{b}-{i}") for i in range(size)])
        if failed:
            raise RuntimeError(f"frames failed: {failed}")
    return batches * size
