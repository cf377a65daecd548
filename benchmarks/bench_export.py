"""Memory of whole-version reads: iterate a version's frames and export it as COCO.

Builds a copy-on-write version of N frames (4 ROIs each): a parent written in batches and
published, and a child that modifies 1%, deletes 0.5% and adds 0.5% of the frames. Then
each measurement runs in a fresh subprocess and reports its wall and CPU time and peak
RSS (``VmHWM``; ``ru_maxrss`` where there is no /proc):

- ``open``: import hyperloader and open the child version (the floor under every row);
- ``read, frame_tables()``: resolve the whole version into memory, no frame objects;
- ``read, streamed``: the same rows through the streaming scan, no frame objects;
- ``iterate, whole tables``: the frames through ``frame_tables()``, the materialising
  path ``get_frames()`` used to take;
- ``iterate, get_frames()``: the streaming path;
- ``export, whole tables``: ``write_coco`` fed from ``frame_tables()``;
- ``export, CLI``: ``hyperloader export coco bench/child -o out.json``.

    python benchmarks/bench_export.py                  # 100,000 frames
    python benchmarks/bench_export.py --frames 10000   # a quick run
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

BATCH = 20_000
LABELS = ["car", "person", "bicycle", "truck", "dog"]
MODES = {
    "open": "open",
    "tables": "read, frame_tables()",
    "scan": "read, streamed",
    "materialise": "iterate, whole tables",
    "stream": "iterate, get_frames()",
    "export-materialise": "export, whole tables",
    "export": "export, CLI",
}


def frame_dict(i: int, generation: int = 0) -> dict[str, Any]:
    """A COCO-like frame: numeric id (so batches are not in id order), 4 box ROIs, meta."""
    rois = []
    for j in range(4):
        x, y = (i * 7 + j * 31) % 600, (i * 13 + j * 17) % 440
        rois.append({"id": f"{i}-{j}", "label": [LABELS[(i + j) % 5]],
                     "poly": [x, y, x + 30, y, x + 30, y + 25, x, y + 25],
                     "confidence": 0.5 + (j + generation) * 0.1, "sources": ["default"],
                     "meta": {"iscrowd": 0}})
    return {"id": str(i), "context_id": f"seq-{i // 100:06d}", "timestamp": i % 100,
            "sources": [{"id": "default", "uri": f"/data/images/{i:08d}.jpg",
                         "content_type": "image/jpeg", "width": 640, "height": 480,
                         "timestamp": i % 100}],
            "rois": rois,
            "meta": {"split": "train" if i % 10 else "val", "generation": generation}}


def build(root: str, n: int) -> None:
    """Write the parent (published) and the child version of the benchmark dataset."""
    import hyperloader
    from hyperloader.store import Dataset, DatasetVersion

    hyperloader.set_root(root)
    Dataset.create("bench", raise_if_exists=True)
    parent = DatasetVersion.get_current("bench")
    for start in range(0, n, BATCH):
        parent.add_frames([frame_dict(i) for i in range(start, min(n, start + BATCH))])
    parent.publish_version()
    child = DatasetVersion.create_version(dataset_name="bench", version_name="child",
                                          parent_version_names=[parent.name])
    step = 100
    child.update_frames([frame_dict(i, generation=1) for i in range(0, n, step)])
    child.delete_frames([str(i) for i in range(step // 2, n, 2 * step)])
    child.add_frames([frame_dict(i) for i in range(n, n + n // 200)])


def _whole_tables(version: Any) -> Iterator[Any]:
    """What ``get_frames()`` did before it streamed: iterate the resolved tables."""
    frames = version.frame_tables().frames.select(["doc", "saved", "saved_in_version"])
    for batch in frames.to_batches(max_chunksize=10_000):
        columns = batch.to_pydict()
        for doc, saved, vid in zip(columns["doc"], columns["saved"],
                                   columns["saved_in_version"], strict=True):
            yield version._frame(doc, saved, vid)


def measure(root: str, mode: str, out: str) -> dict[str, Any]:
    """Run one measurement in this process; return frames seen, seconds and peak RSS."""
    import hyperloader
    from hyperloader.convert import write_coco
    from hyperloader.store import DatasetVersion

    start, cpu_start = time.perf_counter(), _cpu_seconds()
    hyperloader.set_root(root)
    version = DatasetVersion.get_version("bench", "child")
    count = 0
    if mode == "tables":
        count = version.frame_tables().num_frames
    elif mode == "scan":
        _, tables = version._repo.scan(version.id, ("doc", "saved", "saved_in_version"))
        count = sum(t.num_rows for t in tables)
    elif mode in ("materialise", "stream"):
        frames = _whole_tables(version) if mode == "materialise" else version.get_frames()
        for _ in frames:
            count += 1
    elif mode == "export-materialise":
        count = write_coco(_whole_tables(version), out).images
    elif mode == "export":
        from hyperloader.cli._main import main

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            rc = main(["--root", root, "-q", "export", "coco", "bench/child", "-o", out])
        if rc:
            raise RuntimeError(f"export exited {rc}")
        count = int(re.search(r": (\d+) images", printed.getvalue()).group(1))
    return {"frames": count, "seconds": time.perf_counter() - start,
            "cpu": _cpu_seconds() - cpu_start, "rss_mb": peak_rss_mb()}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak RSS in MB.

    Linux keeps ``ru_maxrss`` across ``exec``, so a child forked from a big parent would
    report the parent's size; ``VmHWM`` belongs to the process's own address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(root: str, mode: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hl-bench-out-") as tmp:
        cmd = [sys.executable, __file__, "--measure", mode, "--root", root,
               "--out", os.path.join(tmp, "out.json")]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Build the dataset (unless ``--root`` already holds it) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--root", help="store directory to keep and reuse (default: a "
                        "temporary directory, removed at the end)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma-separated subset of {', '.join(MODES)}")
    parser.add_argument("--measure", choices=list(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        build(args.root, args.frames)
        return 0
    if args.measure:
        print(json.dumps(measure(args.root, args.measure, args.out)))
        return 0
    root = args.root or tempfile.mkdtemp(prefix="hl-bench-")
    try:
        if not os.path.exists(os.path.join(root, "names")):
            start = time.perf_counter()  # in a subprocess, so this one stays small
            subprocess.run([sys.executable, __file__, "--build", "--root", root,
                            "--frames", str(args.frames)], check=True)
            print(f"built {args.frames:,} frames in {time.perf_counter() - start:.1f} s "
                  f"({root})", file=sys.stderr)
        print(f"| {'measurement':<24} | {'frames':>8} | {'wall s':>7} | {'CPU s':>7} | "
              f"{'peak RSS MB':>11} |")
        print(f"|{'-' * 26}|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|{'-' * 12}:|")
        for mode in args.modes.split(","):
            r = _child(root, mode)
            print(f"| {MODES[mode]:<24} | {r['frames']:8,d} | {r['seconds']:7.2f} | "
                  f"{r['cpu']:7.2f} | {r['rss_mb']:11.0f} |", flush=True)
    finally:
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
