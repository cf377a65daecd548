"""A cache smaller than the dataset, over several epochs: LRU vs Belady, misses and images/s.

The failure users report against Mosaic Streaming (#658): with a cache smaller than the
dataset, LRU evicts exactly what the next epoch reads first, so every epoch downloads
everything again. hyperloader's torch datasets tell the cache each epoch's order, and the
default eviction (Belady) drops the entry needed furthest in the future.

The script starts moto's S3 server and a latency proxy (own processes, as in
``bench_remote.py``), uploads N JPEGs, and reads ``--epochs`` epochs of
``FrameIterableDataset`` through ``DataLoader(num_workers=2)`` with a cache of
``--cache-fraction`` of the bytes, for each iteration order (sequential: LRU's worst case;
random: reshuffled every epoch) and each configuration:

- ``lru``: ``HYPERLOADER_CACHE_EVICTION=lru`` (the baseline);
- ``belady``: the default;
- ``belady, no epoch period`` (ablation): the cache is told each epoch's order but not
  that epochs repeat, so an entry read for the last time this epoch counts as never read
  again, as before this option existed.

For each: the misses and MiB fetched per epoch (summed over the workers' cache counters),
and images/s of the first epoch (cold) and the median of the later ones. Every
configuration starts from an empty cache directory; all run in one process, in turn.

Run: python benchmarks/bench_eviction.py [--n 1000] [--latency-ms 20] [--epochs 4]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from _common import REPO, ensure_images  # this directory's helper modules
from _s3bench import CREDENTIALS, Service, configure_client, upload
from bench_remote import BUCKET, StatsCollate, build_views
from torch.utils.data import DataLoader

CONFIGS = ("lru", "belady", "belady, no epoch period")
log = logging.getLogger("bench_eviction")


@contextmanager
def _configured(config: str, cache_dir: Path, budget: int) -> Iterator[None]:
    """Point the default cache (and the forked workers) at ``config`` for a while."""
    from hyperloader.io import Cache

    env = {"HYPERLOADER_CACHE_DIR": str(cache_dir), "HYPERLOADER_CACHE_MAX_BYTES": str(budget),
           "HYPERLOADER_CACHE_EVICTION": "lru" if config == "lru" else "belady"}
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    original = Cache.set_future_order
    if config == "belady, no epoch period":
        def without_period(self: Any, *args: Any, **kwargs: Any) -> int:
            kwargs.pop("period", None)
            return original(self, *args, **kwargs)

        Cache.set_future_order = without_period  # type: ignore[method-assign]
    try:
        yield
    finally:
        Cache.set_future_order = original  # type: ignore[method-assign]
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_epochs(view: Any, args: argparse.Namespace) -> list[dict[str, float]]:
    """Read ``args.epochs`` epochs; return images/s, misses and MiB fetched of each."""
    from hyperloader.torch import FrameIterableDataset, SampleOptions

    ds = FrameIterableDataset(view, sample_options=SampleOptions(rois=False, mask_mode="none"))
    collate = StatsCollate(remote=True)
    out = []
    for epoch in range(args.epochs):
        ds.set_epoch(epoch)
        loader = DataLoader(ds, batch_size=args.batch, num_workers=args.workers,
                            collate_fn=collate)
        seen, snaps = 0, {}
        start = time.perf_counter()
        for images, _, snap in loader:
            seen += len(images)
            snaps[snap[0]] = snap[1]
        seconds = time.perf_counter() - start
        caches = [s["cache"] for s in snaps.values()]
        out.append({"rate": seen / seconds, "misses": sum(c["misses"] for c in caches),
                    "fetched_mib": sum(c["bytes_fetched"] for c in caches) / 2**20,
                    "images": seen})
        log.info("  epoch %d: %d images, %.0f img/s, %d misses", epoch, seen, seen / seconds,
                 out[-1]["misses"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="images in the dataset")
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--cache-fraction", type=float, default=0.5,
                    help="the cache budget as a fraction of the dataset's bytes")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--orders", nargs="+", default=["sequential", "random"],
                    choices=["sequential", "random"])
    ap.add_argument("--out", type=Path, default=REPO / "bench_data")
    args = ap.parse_args()
    configure_client()
    torch.set_num_threads(1)

    import hyperloader
    from hyperloader import DataView

    images = ensure_images(args.out, args.n)
    files = sorted((images / "images").glob("*.jpg"))[:args.n]
    total = sum(f.stat().st_size for f in files)
    budget = int(total * args.cache_fraction)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_eviction_") as tmp_dir, \
            Service("moto") as moto, \
            Service("proxy", "--upstream", moto.url, "--latency-ms", str(args.latency_ms)) as proxy:
        tmp = Path(tmp_dir)
        upload(moto.url, BUCKET, files)
        build_views(tmp / "store", images, args.n)  # datasets "remote" and "local"
        hyperloader.set_storage_options("s3://", endpoint_url=proxy.url, **CREDENTIALS)
        for order in args.orders:
            view = DataView(iteration_order=order, random_seed=0)
            view.add_query(dataset_name="remote")
            view.set_labels({f"c{k}": k for k in range(64)})
            for config in CONFIGS:
                log.info("%s order, %s", order, config)
                cache_dir = tmp / f"cache_{order}_{CONFIGS.index(config)}"
                with _configured(config, cache_dir, budget):
                    results[(order, config)] = run_epochs(view, args)

    header = (f"n={args.n} JPEGs ({total / 2**20:.0f} MiB), cache budget "
              f"{budget / 2**20:.0f} MiB ({args.cache_fraction:.0%}); {args.latency_ms:g} ms "
              f"per request; workers={args.workers} batch={args.batch}; epochs={args.epochs}; "
              f"cores={os.cpu_count()}; load average at the end={os.getloadavg()[0]:.1f}")
    lines = [header, "",
             "| order | eviction | epoch 1 img/s | later epochs img/s (median) | x lru "
             "| misses per epoch | MiB fetched, later epochs |",
             "|---|---|---|---|---|---|---|"]
    for (order, config), epochs in results.items():
        later = epochs[1:] or epochs
        rate = statistics.median(e["rate"] for e in later)
        base = statistics.median(e["rate"] for e in (results[(order, "lru")][1:]
                                                     or results[(order, "lru")]))
        lines.append(f"| {order} | {config} | {epochs[0]['rate']:.0f} | {rate:.0f} | "
                     f"{rate / base:.2f} | {', '.join(str(int(e['misses'])) for e in epochs)} | "
                     f"{sum(e['fetched_mib'] for e in later):.0f} |")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
