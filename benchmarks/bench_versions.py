"""Copy-on-write versions at scale: build, publish, branch, change 1%, commit.

Builds an N-frame version (3 ROIs each, fed as dicts in batches), publishes it, creates a
child, modifies 1% of the child's frames and commits, and prints seconds and bytes written
per step (bytes measured by walking the store directory before and after).

    python benchmarks/bench_versions.py                 # 1,000,000 frames
    python benchmarks/bench_versions.py --frames 20000  # a quick run
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import hyperloader
from hyperloader.store import Dataset, DatasetVersion

BATCH = 100_000
LABELS = ["car", "person", "bicycle", "truck", "dog"]


def frame_dict(i: int, generation: int = 0) -> dict[str, Any]:
    """A realistic frame dict: one 640x480 source, 3 polygon ROIs, scalar meta."""
    uri = f"s3://bench-bucket/images/{i // 1000:04d}/{i:08d}.jpg"
    rois = []
    for j in range(3):
        x, y = (i * 7 + j * 31) % 600, (i * 13 + j * 17) % 440
        rois.append({"id": f"{i:08d}-{j}", "label": [LABELS[(i + j) % 5]],
                     "poly": [x, y, x + 30, y, x + 30, y + 25, x, y + 25],
                     "confidence": 0.5 + (j + generation) * 0.1, "sources": ["default"]})
    return {"id": f"frame-{i:08d}", "context_id": f"seq-{i // 100:06d}", "timestamp": i % 100,
            "sources": [{"id": "default", "uri": uri, "content_type": "image/jpeg",
                         "width": 640, "height": 480, "timestamp": i % 100}],
            "rois": rois,
            "meta": {"split": "train" if i % 10 else "val", "index": i,
                     "brightness": (i % 255) / 255.0, "generation": generation}}


def store_bytes(root: str) -> int:
    """Total size of the files under ``root``."""
    total = 0
    for dirpath, _, files in os.walk(root):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total


def run_step(rows: list, root: str, name: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` and record its wall time and the bytes it added to the store."""
    before, start = store_bytes(root), time.perf_counter()
    out = fn()
    rows.append((name, time.perf_counter() - start, store_bytes(root) - before))
    print(f"  {name}: {rows[-1][1]:.2f} s", file=sys.stderr, flush=True)
    return out


def build(version: DatasetVersion, n: int) -> None:
    """Add ``n`` frame dicts to ``version`` in batches."""
    for start in range(0, n, BATCH):
        failed = version.add_frames([frame_dict(i) for i in range(start, min(n, start + BATCH))])
        if failed:
            raise RuntimeError(f"{len(failed)} frames failed")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if the child commit is too big."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--root", help="store directory to keep (default: a temporary "
                        "directory, removed at the end)")
    args = parser.parse_args(argv)
    root = args.root or tempfile.mkdtemp(prefix="hl-bench-")
    hyperloader.set_root(root)
    n, changed = args.frames, max(1, args.frames // 100)
    rows: list[tuple[str, float, int]] = []

    Dataset.create("bench", raise_if_exists=True)
    parent = DatasetVersion.get_current("bench")
    run_step(rows, root, f"build parent ({n:,} frames)", lambda: build(parent, n))
    run_step(rows, root, "publish parent", parent.publish_version)
    child = run_step(rows, root, "create child", lambda: DatasetVersion.create_version(
        dataset_name="bench", version_name="child", parent_version_names=[parent.name]))
    run_step(rows, root, "len(child), first read (ids only)", lambda: len(child))
    run_step(rows, root, "resolve child whole (frame_tables)", child.frame_tables)
    ids = range(0, n, n // changed)[:changed]
    modify = f"modify 1% ({changed:,} frames) + commit"
    run_step(rows, root, modify,
             lambda: child.update_frames([frame_dict(i, generation=1) for i in ids]))
    run_step(rows, root, "len(child) after commit (ids only)", lambda: len(child))
    run_step(rows, root, "resolve child whole after commit", child.frame_tables)
    run_step(rows, root, "publish child", child.publish_version)
    diff = run_step(rows, root, "diff child vs parent", lambda: child.diff(parent))

    print()
    print(f"| {'step':<40} | {'seconds':>8} | {'bytes written':>14} |")
    print(f"|{'-' * 42}|{'-' * 10}:|{'-' * 15}:|")
    for name, seconds, nbytes in rows:
        print(f"| {name:<40} | {seconds:8.2f} | {nbytes:14,d} |")
    written = {name: nbytes for name, _, nbytes in rows}
    parent_bytes, child_bytes = rows[0][2], written[modify]
    ratio = child_bytes / parent_bytes
    print(f"\nchild commit wrote {ratio:.2%} of the parent's bytes "
          f"({len(diff.modified):,} frames modified, {len(child):,} frames in the child)")
    if args.root is None:
        shutil.rmtree(root, ignore_errors=True)
    # Parquet's fixed costs dominate tiny runs; the 5% bound is for real sizes.
    too_big = ratio >= 0.05 and n >= 100_000
    return 1 if too_big or len(diff.modified) != changed else 0


if __name__ == "__main__":
    sys.exit(main())
