"""Loader throughput: hyperloader vs a plain PIL Dataset vs the single-process decode ceiling.

Pipeline: decode + RandomResizedCrop(224) + RandomHorizontalFlip, batch 64, one epoch,
``num_workers`` 0, 1 and 2. Data: realistic 640x480 JPEGs (+ PNG masks + polygons) from
``../shared/bench/make_images.py``, cached under ``bench_data/`` with a store of frames.

Run: python benchmarks/bench_loader.py [--n 2000] [--workers 0 1 2] [--batch 64]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _common import REPO, cpu_seconds, ensure_images  # this directory's helper module
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

CROP = 224

log = logging.getLogger("bench_loader")


# -- data ------------------------------------------------------------------------------------

def ensure_store(out: Path, images: Path, n: int):
    """Store the frames (source, mask, polygons, frame label) once; return a DataView."""
    import hyperloader
    from hyperloader.dataview import DataView
    from hyperloader.model import SingleFrame
    from hyperloader.store import Dataset as HDataset
    from hyperloader.store import DatasetVersion

    hyperloader.set_root(out / f"store_{n}")
    logging.getLogger("hyperloader").setLevel(logging.WARNING)
    name = "bench"
    HDataset.create(name)
    version = DatasetVersion.get_version(dataset_name=name)
    if len(version) != n:
        labels = json.loads((images / "labels.json").read_text())
        frames = []
        for stem in sorted(labels):
            frame = SingleFrame(str(images / "images" / f"{stem}.jpg"), width=640, height=480,
                                mask_source=str(images / "masks" / f"{stem}.png"), id=stem)
            for ann in json.loads((images / "ann" / f"{stem}.json").read_text()):
                flat = [float(v) for xy in ann["polygon"] for v in xy]
                frame.add_annotation(poly2d_xy=flat, labels=[f"c{ann['class_id']}"])
            frame.add_annotation(labels=[f"c{labels[stem]}"])
            frames.append(frame)
        version.add_frames(frames)
    view = DataView(iteration_order="random", random_seed=0)
    view.add_query(dataset_name=name)
    view.set_labels({f"c{k}": k for k in range(64)})
    return view


# -- the loaders -------------------------------------------------------------------------------

def pipeline() -> v2.Compose:
    return v2.Compose([v2.RandomResizedCrop(CROP, antialias=True), v2.RandomHorizontalFlip()])


class PlainDataset(Dataset):
    """What a user writes first: PIL open + convert, torchvision transforms, an int label."""

    def __init__(self, paths: list[str], labels: list[int]) -> None:
        self.paths, self.labels = np.array(paths), np.array(labels)
        self.transforms = v2.Compose([pipeline(), v2.PILToTensor()])

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        with Image.open(self.paths[i]) as im:
            return self.transforms(im.convert("RGB")), int(self.labels[i])


def hyperloader_loader(view, workers: int, batch: int) -> DataLoader:
    from hyperloader.torch import FrameIterableDataset, SampleOptions, collate_frames

    ds = FrameIterableDataset(view, pipeline(),
                              sample_options=SampleOptions(rois=False, mask_mode="none"))
    return DataLoader(ds, batch_size=batch, num_workers=workers, collate_fn=collate_frames)


def plain_loader(images: Path, workers: int, batch: int) -> DataLoader:
    labels = json.loads((images / "labels.json").read_text())
    stems = sorted(labels)
    ds = PlainDataset([str(images / "images" / f"{s}.jpg") for s in stems],
                      [labels[s] for s in stems])
    return DataLoader(ds, batch_size=batch, num_workers=workers, shuffle=True,
                      generator=torch.Generator().manual_seed(0))


# -- measuring ---------------------------------------------------------------------------------

def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _loading_pids() -> list[int]:
    """The DataLoader workers (children of this process), or this process without them."""
    me = os.getpid()
    try:
        kids = Path(f"/proc/{me}/task/{me}/children").read_text().split()
    except OSError:
        kids = []
    return [int(k) for k in kids] or [me]


def measure(loader: DataLoader, n: int) -> dict[str, float]:
    """One epoch: images/s after the first batch, time to first batch, worker RSS growth.

    Also the CPU time per image of this process and its workers together, which a busy
    machine distorts far less than the rate.
    """
    me = os.getpid()
    cpu_start = cpu_seconds(me)
    start = time.perf_counter()
    seen, first, rss_first, rss_last, cpu_last = 0, None, {}, {}, {}
    for images, _ in loader:
        seen += len(images)
        rss = {}
        for pid in _loading_pids():
            try:
                rss[pid] = _rss_mb(pid)
                cpu_last[pid] = cpu_seconds(pid)
            except OSError:  # a worker that just finished its shard
                pass
        if first is None:
            first, first_seen, rss_first = time.perf_counter(), seen, rss
        rss_last.update(rss)
    end = time.perf_counter()
    if seen != n:
        raise RuntimeError(f"loader delivered {seen} images, expected {n}")
    cpu_last[me] = cpu_seconds(me) - cpu_start
    growth = max((rss_last[p] - rss_first[p] for p in rss_first
                  if p in rss_last and not np.isnan(rss_last[p] - rss_first[p])), default=0.0)
    return {"img_s": (seen - first_seen) / (end - first), "ttfb": first - start,
            "rss_growth_mb": growth, "cpu_ms": sum(cpu_last.values()) / seen * 1e3}


def ceiling(images: Path, n: int) -> dict[str, float]:
    """Decode (torchvision) + crop + flip in a tight loop, one process, one thread."""
    from hyperloader.torch import decode_jpeg_torchvision

    paths = sorted((images / "images").glob("*.jpg"))[:n]
    transforms = pipeline()
    start, cpu = time.perf_counter(), time.process_time()
    for p in paths:
        transforms(decode_jpeg_torchvision(p.read_bytes()))
    return {"img_s": len(paths) / (time.perf_counter() - start),
            "cpu_ms": (time.process_time() - cpu) / len(paths) * 1e3}


def run_one(kind: str, images: Path, n: int, workers: int, batch: int) -> dict[str, float]:
    """Measure one configuration in this (fresh) process."""
    # One intra-op thread everywhere, as DataLoader workers have: the in-process loaders
    # (num_workers=0) and the ceiling then compete on the same terms.
    torch.set_num_threads(1)
    if kind == "ceiling":
        from hyperloader.torch import tune_malloc

        tune_malloc()  # the fastest decode setup, as hyperloader's workers get it
        return ceiling(images, n)
    if kind == "plain":
        return measure(plain_loader(images, workers, batch), n)
    view = ensure_store(images.parent, images, n)
    return measure(hyperloader_loader(view, workers, batch), n)


def _subprocess(args: argparse.Namespace, kind: str, workers: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--n", str(args.n), "--batch", str(args.batch),
           "--out", str(args.out), "--one", kind, "--workers", str(workers)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(name: str, workers: int | str, m: dict[str, float], plain: dict[str, float] | None,
         ceil: dict[str, float], procs: int) -> str:
    base = plain or m
    ttfb = f"{m['ttfb']:.2f}" if "ttfb" in m else "-"
    rss = f"{m['rss_growth_mb']:+.1f}" if "rss_growth_mb" in m else "-"
    return (f"| {name} | {workers} | {m['img_s']:.0f} | {ttfb} | {rss} | {m['cpu_ms']:.2f} | "
            f"{m['img_s'] / base['img_s']:.2f} | {base['cpu_ms'] / m['cpu_ms']:.2f} | "
            f"{m['img_s'] / (ceil['img_s'] * procs):.0%} | {ceil['cpu_ms'] / m['cpu_ms']:.0%} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", type=Path, default=REPO / "bench_data")
    ap.add_argument("--one", choices=["plain", "hyperloader", "ceiling"],
                    help=argparse.SUPPRESS)  # internal: measure one configuration
    args = ap.parse_args()
    if args.n < 2 * args.batch:  # the rate is taken after the first batch: it needs a second
        ap.error(f"--n ({args.n}) must be at least twice --batch ({args.batch})")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    images = ensure_images(args.out, args.n)
    if args.one:
        result = run_one(args.one, images, args.n, args.workers[0], args.batch)
        sys.stdout.write(json.dumps(result) + "\n")
        return
    ensure_store(args.out, images, args.n)
    ceil = _subprocess(args, "ceiling", 0)
    cores = os.cpu_count() or 1
    rows = []
    for workers in args.workers:
        procs = min(max(workers, 1), cores)
        plain = _subprocess(args, "plain", workers)
        hyper = _subprocess(args, "hyperloader", workers)
        rows += [_row("plain PIL Dataset", workers, plain, plain, ceil, procs),
                 _row("hyperloader", workers, hyper, plain, ceil, procs)]
    out = [f"n={args.n} batch={args.batch} cores={cores} "
           f"load average at the end={os.getloadavg()[0]:.1f}", "",
           "| loader | workers | img/s | first batch (s) | worker RSS growth (MiB) "
           "| CPU ms/img | x plain (img/s) | x plain (CPU) | of ceiling x procs (img/s) "
           "| of ceiling (CPU) |",
           "|---|---|---|---|---|---|---|---|---|---|", *rows,
           _row("ceiling: torchvision decode + crop + flip, tight loop", "-", ceil, None, ceil,
                1)]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
