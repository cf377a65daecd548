"""Helpers for the CLI tests: run the real entry point in a subprocess, write test data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, root: str | Path | None = None, check: bool = True,
        timeout: float = 240, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run ``python -m hyperloader ARGS`` and return the finished process."""
    cmd = [sys.executable, "-m", "hyperloader", *args]
    if root is not None:
        cmd[3:3] = ["--root", str(root)]
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
                             f"stderr:\n{proc.stderr}")
    return proc


def write_image(path: Path, size=(64, 48), colour=(40, 40, 40)) -> str:
    """Write a uniform RGB image and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), colour, np.uint8)).save(path)
    return str(path)
