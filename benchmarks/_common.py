"""Helpers every benchmark shares: the repository path, the generated images, CPU time."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAKE_IMAGES = REPO / ".." / "shared" / "bench" / "make_images.py"

log = logging.getLogger("benchmarks")


def ensure_images(out: Path, n: int) -> Path:
    """Return ``out/images_{n}``, generating ``n`` images with make_images.py if missing."""
    images = out / f"images_{n}"
    if len(list((images / "images").glob("*.jpg"))) != n:
        log.info("generating %d images into %s", n, images)
        subprocess.run([sys.executable, str(MAKE_IMAGES), str(images), "--n", str(n),
                        "--procs", str(os.cpu_count() or 1)], check=True)
    return images


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
