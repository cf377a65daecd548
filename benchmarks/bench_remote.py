"""Remote data: images/s from an S3 server, serial vs hyperloader (cold / warm cache) vs local disk.

The script starts moto's S3 server on 127.0.0.1 (its own process), uploads N JPEGs from
``../shared/bench/make_images.py`` (cached under ``bench_data/images_N``), and for each
added per-request latency (0 ms: straight to the server; else through a latency proxy,
its own process too) measures:

- serial: one process fetching and decoding one image at a time, s3fs ``cat_file`` (HEAD +
  GET) or boto3 ``get_object`` (GET), then ``PIL.Image.open(...).convert("RGB")``;
- hyperloader cold: ``FrameIterableDataset`` over a store whose frames point at
  ``s3://bench/images/*.jpg``, in ``DataLoader(num_workers=2, batch_size=64,
  collate_fn=collate_frames)``, decode only, read-ahead with ``LoaderOptions``' defaults;
  a fresh, empty cache directory (``$HYPERLOADER_CACHE_DIR``);
- hyperloader warm: the next pass over the same cache;
- hyperloader cold, s3fs GETs: the cold pass again, into another empty cache, with
  ``HYPERLOADER_S3_DIRECT=0`` (every miss an s3fs request instead of a signed URL fetched
  by urllib3), to show what the direct path is worth;
- local disk: the same loader over frames pointing at the local files.

Rates are images over the whole pass (worker start-up included), the median of ``--reps``
interleaved repetitions. CPU columns split the cost per image between the client (this
process and its workers) and the servers (moto, proxy), which share the same cores: on a
small machine the cold rate is CPU-bound, and the last lines give that ceiling. Below the
table: the workers' cache counters and read-ahead stall time (``LoaderStats``).

Run: python benchmarks/bench_remote.py [--n 2000] [--latency-ms 0 20] [--reps 3]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import REPO, cpu_seconds, ensure_images  # this directory's helper modules
from _s3bench import CREDENTIALS, Service, configure_client, s3_client, upload
from PIL import Image
from torch.utils.data import DataLoader, get_worker_info

BUCKET = "bench"
SERIAL_S3FS = "serial s3fs cat + PIL"
SERIAL_BOTO3 = "serial boto3 get_object + PIL"
COLD = "hyperloader, cold cache"
COLD_S3FS = "hyperloader, cold cache, s3fs GETs"
WARM = "hyperloader, warm cache"
LOCAL = "local disk, same loader"
ROWS = ("serial", "hyperloader", "local")
log = logging.getLogger("bench_remote")


# -- the store -------------------------------------------------------------------------------------

def build_views(root: Path, images: Path, n: int) -> dict[str, Any]:
    """Create datasets ``remote`` (s3:// sources) and ``local`` (paths); return a view of each."""
    import hyperloader
    from hyperloader import Dataset as HDataset
    from hyperloader import DatasetVersion, DataView, SingleFrame

    hyperloader.set_root(root)
    labels = json.loads((images / "labels.json").read_text())
    stems = sorted(labels)[:n]
    uri_of: dict[str, Callable[[str], str]] = {
        "remote": lambda stem: f"s3://{BUCKET}/images/{stem}.jpg",
        "local": lambda stem: str(images / "images" / f"{stem}.jpg"),
    }
    views = {}
    for name, uri in uri_of.items():
        HDataset.create(name)
        frames = []
        for stem in stems:
            frame = SingleFrame(uri(stem), width=640, height=480, id=stem)
            frame.add_annotation(labels=[f"c{labels[stem]}"])
            frames.append(frame)
        DatasetVersion.get_version(dataset_name=name).add_frames(frames)
        view = DataView(iteration_order="random", random_seed=0)
        view.add_query(dataset_name=name)
        view.set_labels({f"c{k}": k for k in range(64)})
        views[name] = view
    return views


# -- measuring -------------------------------------------------------------------------------------

@dataclass
class Pass:
    """One measured pass."""

    images: int
    seconds: float
    client_cpu_s: float
    server_cpu_s: dict[str, float]
    workers: dict[int, dict[str, Any]] = field(default_factory=dict)
    cache_totals: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.images / self.seconds


@contextmanager
def _cpu_meter(servers: dict[str, Service]) -> Iterator[dict[str, float]]:
    """Measure CPU seconds of this process + reaped children (the workers), and servers."""
    out: dict[str, float] = {}
    t0 = os.times()
    s0 = {name: cpu_seconds(s.pid) for name, s in servers.items()}
    yield out
    t1 = os.times()
    out["client"] = sum(t1[:4]) - sum(t0[:4])
    for name, s in servers.items():
        out[name] = cpu_seconds(s.pid) - s0[name]


def serial_pass(endpoint: str, keys: list[str], client: str,
                servers: dict[str, Service]) -> Pass:
    """Fetch and PIL-decode ``keys`` one at a time in this process."""
    if client == "s3fs":
        import s3fs

        fs = s3fs.S3FileSystem(endpoint_url=endpoint, **CREDENTIALS)  # one per endpoint

        def get(key: str) -> bytes:
            return fs.cat_file(f"{BUCKET}/{key}")
    else:
        s3 = s3_client(endpoint)

        def get(key: str) -> bytes:
            return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    get(keys[-1])  # open the connection pool outside the timing: the baseline's best case
    with _cpu_meter(servers) as cpu:
        start = time.perf_counter()
        for key in keys:
            with Image.open(io.BytesIO(get(key))) as im:
                np.asarray(im.convert("RGB"))
        seconds = time.perf_counter() - start
    return Pass(len(keys), seconds, cpu["client"], {k: v for k, v in cpu.items() if k != "client"})


class StatsCollate:
    """``collate_frames`` plus a snapshot of the worker's loader and cache counters."""

    def __init__(self, remote: bool) -> None:
        self.remote = remote

    def __call__(self, batch: list[Any]) -> tuple[Any, Any, tuple[int, dict[str, Any]] | None]:
        from hyperloader.torch import collate_frames

        images, targets = collate_frames(batch)
        info = get_worker_info()
        if info is None:  # num_workers=0: the caller reads the dataset's counters itself
            return images, targets, None
        return images, targets, (info.id, self.snapshot(info.dataset))

    def snapshot(self, dataset: Any) -> dict[str, Any]:
        """The counters of this process's dataset (and cache) so far."""
        stats = dataset.stats
        snap: dict[str, Any] = {"frames": stats.frames, "stall_s": stats.stall_seconds,
                                "skipped": stats.skipped}
        if self.remote:
            from hyperloader.io import default_cache

            snap["cache"] = default_cache().stats()
        return snap


def loader_pass(view: Any, args: argparse.Namespace, remote: bool,
                servers: dict[str, Service]) -> Pass:
    """One epoch of ``FrameIterableDataset`` through a DataLoader, as a user would run it."""
    from hyperloader.torch import FrameIterableDataset, LoaderOptions, SampleOptions

    ds = FrameIterableDataset(
        view, sample_options=SampleOptions(rois=False, mask_mode="none"),
        loader_options=LoaderOptions(prefetch_threads=args.threads, prefetch_items=args.ahead,
                                     prefetch_bytes=args.ahead_mb << 20))
    collate = StatsCollate(remote)
    loader = DataLoader(ds, batch_size=args.batch, num_workers=args.workers, collate_fn=collate)
    seen, snaps = 0, {}
    with _cpu_meter(servers) as cpu:
        start = time.perf_counter()
        for images, _, snap in loader:
            seen += len(images)
            if snap is not None:
                snaps[snap[0]] = snap[1]
        seconds = time.perf_counter() - start
    # the exhausted iterator joined its workers, so their CPU time is in os.times() now
    if seen != args.n:
        raise RuntimeError(f"the loader delivered {seen} images, expected {args.n}")
    if not snaps:
        snaps[0] = collate.snapshot(ds)
    totals = {}
    if remote:
        from hyperloader.io import Cache

        with Cache(os.environ["HYPERLOADER_CACHE_DIR"]) as cache:
            totals = {k: v for k, v in cache.stats().items() if k in ("entries", "bytes_cached")}
    return Pass(seen, seconds, cpu["client"],
                {k: v for k, v in cpu.items() if k != "client"}, snaps, totals)


# -- one latency ----------------------------------------------------------------------------------

@dataclass
class Row:
    """The passes of one configuration at one latency."""

    name: str
    latency_ms: float
    passes: list[Pass] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(p.rate for p in self.passes)

    def cpu_ms(self, who: str) -> float:
        per = [(p.client_cpu_s if who == "client" else p.server_cpu_s.get(who, 0.0)) / p.images
               for p in self.passes]
        return statistics.median(per) * 1e3


def run_latency(latency_ms: float, moto: Service, views: dict[str, Any], keys: list[str],
                tmp: Path, args: argparse.Namespace) -> list[Row]:
    """Measure every configuration with ``latency_ms`` added to each request.

    Every cache directory stays until all repetitions are done. Deleting thousands of
    files just before a cold pass made it measure the file system instead: ext4 passes
    over the inodes freed in the last half minute or so when it allocates new ones, and
    on the 2-core bench VM that cost up to 0.8 ms of kernel CPU per file created (2,000
    files, 113 KiB each, written into a fresh directory right after deleting 2,000: 0.9
    ms each; with nothing deleted: 0.12-0.18 ms).
    """
    import hyperloader

    with ExitStack() as stack:
        stack.callback(_remove_caches, tmp)
        servers = {"moto": moto}
        endpoint = moto.url
        if latency_ms > 0:
            proxy = stack.enter_context(Service("proxy", "--upstream", moto.url,
                                                "--latency-ms", str(latency_ms)))
            servers["proxy"], endpoint = proxy, proxy.url
        hyperloader.set_storage_options("s3://", endpoint_url=endpoint, **CREDENTIALS)
        serial_keys = keys[:args.serial_n]
        rows = {name: Row(name, latency_ms) for name in
                (SERIAL_S3FS, SERIAL_BOTO3, COLD, WARM, COLD_S3FS, LOCAL)}
        for rep in range(args.reps):  # interleaved, so drifting machine load hits every row
            log.info("latency %g ms, repetition %d/%d", latency_ms, rep + 1, args.reps)
            if "local" in args.rows:
                rows[LOCAL].passes.append(loader_pass(views["local"], args, False, servers))
            if "hyperloader" in args.rows:
                cache = tmp / f"cache_{latency_ms:g}ms_{rep}"
                os.environ["HYPERLOADER_CACHE_DIR"] = str(cache)  # forked workers inherit it
                for name in (COLD, WARM):
                    rows[name].passes.append(loader_pass(views["remote"], args, True, servers))
                os.environ["HYPERLOADER_CACHE_DIR"] = str(cache) + "_s3fs"
                os.environ["HYPERLOADER_S3_DIRECT"] = "0"  # read at each miss, in the workers
                try:
                    rows[COLD_S3FS].passes.append(
                        loader_pass(views["remote"], args, True, servers))
                finally:
                    del os.environ["HYPERLOADER_S3_DIRECT"]
            if "serial" in args.rows:
                for name, client in ((SERIAL_S3FS, "s3fs"), (SERIAL_BOTO3, "boto3")):
                    rows[name].passes.append(serial_pass(endpoint, serial_keys, client, servers))
    return [row for row in rows.values() if row.passes]


def _remove_caches(tmp: Path) -> None:
    for cache in tmp.glob("cache_*"):
        shutil.rmtree(cache, ignore_errors=True)


# -- report ---------------------------------------------------------------------------------------

def _table(rows: list[Row]) -> list[str]:
    out = ["| configuration | latency | images | img/s (median) | min-max | x serial s3fs "
           "| x serial boto3 | x local disk | CPU ms/img client | moto | proxy |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    by = {(r.name, r.latency_ms): r for r in rows}

    def ratio(r: Row, base: str, fmt: str) -> str:
        other = by.get((base, r.latency_ms))
        return format(r.rate / other.rate, fmt) if other else "-"

    for r in rows:
        rates = [p.rate for p in r.passes]
        out.append(
            f"| {r.name} | {r.latency_ms:g} ms | {r.passes[0].images} | {r.rate:.0f} | "
            f"{min(rates):.0f}-{max(rates):.0f} | {ratio(r, SERIAL_S3FS, '.1f')}x | "
            f"{ratio(r, SERIAL_BOTO3, '.1f')}x | {ratio(r, LOCAL, '.2f')} | "
            f"{r.cpu_ms('client'):.2f} | {r.cpu_ms('moto'):.2f} | "
            + (f"{r.cpu_ms('proxy'):.2f} |" if r.latency_ms > 0 else "- |"))
    return out


def _worker_lines(rows: list[Row]) -> list[str]:
    out = []
    for r in rows:
        if not r.passes[-1].workers:
            continue
        p = r.passes[-1]
        w = p.workers.values()
        stall = sum(s["stall_s"] for s in w)
        line = (f"- {r.name} @ {r.latency_ms:g} ms (last pass, {len(w)} workers): "
                f"frames={sum(s['frames'] for s in w)} skipped={sum(s['skipped'] for s in w)} "
                f"prefetch stall={stall:.2f}s ({stall / (len(w) * p.seconds):.0%} of worker time)")
        caches = [s["cache"] for s in w if "cache" in s]
        if caches:
            total = {k: sum(c[k] for c in caches) for k in
                     ("hits", "misses", "failed", "corrupt", "bytes_fetched", "evictions")}
            line += (f"; cache hits={total['hits']} misses={total['misses']} "
                     f"failed={total['failed']} corrupt={total['corrupt']} "
                     f"fetched={total['bytes_fetched'] / 2**20:.1f} MiB "
                     f"evictions={total['evictions']}; after the pass the cache holds "
                     f"{p.cache_totals['entries']} entries, "
                     f"{p.cache_totals['bytes_cached'] / 2**20:.1f} MiB")
        out.append(line)
    return out


def _ceiling_lines(rows: list[Row]) -> list[str]:
    """What the CPU allows: on a CPU-bound machine img/s <= cores / (CPU seconds per image)."""
    cores = os.cpu_count() or 1
    out = []
    for r in rows:
        if r.name not in (COLD, COLD_S3FS):
            continue
        client = r.cpu_ms("client")
        total = client + r.cpu_ms("moto") + r.cpu_ms("proxy")
        out.append(f"- {r.name} @ {r.latency_ms:g} ms: CPU-bound ceiling on {cores} cores "
                   f"{cores / total * 1e3:.0f} img/s with the servers on the same cores, "
                   f"{cores / client * 1e3:.0f} img/s for the client alone (a remote server)")
    return out


def _loader_defaults() -> Any:
    from hyperloader.torch import LoaderOptions

    return LoaderOptions()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="images served (and read per pass)")
    ap.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 20.0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--serial-n", type=int, default=300,
                    help="images read by the serial baselines (a prefix of the keys)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    defaults = _loader_defaults()
    ap.add_argument("--threads", type=int, default=defaults.prefetch_threads,
                    help="read-ahead threads per worker (default: LoaderOptions')")
    ap.add_argument("--ahead", type=int, default=defaults.prefetch_items,
                    help="read-ahead depth, frames per worker (default: LoaderOptions')")
    ap.add_argument("--ahead-mb", type=int, default=defaults.prefetch_bytes >> 20,
                    help="read-ahead budget per worker, MiB (default: LoaderOptions')")
    ap.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS),
                    help="which configurations to measure")
    ap.add_argument("--out", type=Path, default=REPO / "bench_data")
    args = ap.parse_args()
    args.serial_n = min(args.serial_n, args.n)
    configure_client()
    torch.set_num_threads(1)

    images = ensure_images(args.out, args.n)
    files = sorted((images / "images").glob("*.jpg"))[:args.n]
    mean_kib = sum(f.stat().st_size for f in files) / len(files) / 1024
    with tempfile.TemporaryDirectory(prefix="bench_remote_") as tmp_dir, \
            Service("moto") as moto:
        tmp = Path(tmp_dir)
        start = time.perf_counter()
        keys = upload(moto.url, BUCKET, files)
        log.info("uploaded %d objects in %.1fs", len(keys), time.perf_counter() - start)
        views = build_views(tmp / "store", images, args.n)
        rows = [r for lat in args.latency_ms
                for r in run_latency(lat, moto, views, keys, tmp, args)]
    header = (f"n={args.n} (mean JPEG {mean_kib:.0f} KiB), serial rows read the first "
              f"{args.serial_n}; workers={args.workers} batch={args.batch} read-ahead "
              f"threads={args.threads} depth={args.ahead}; reps={args.reps}; "
              f"cores={os.cpu_count()}; load average at the end={os.getloadavg()[0]:.1f}")
    sys.stdout.write("\n".join([header, "", *_table(rows), "", *_worker_lines(rows),
                                *_ceiling_lines(rows)]) + "\n")


if __name__ == "__main__":
    main()
