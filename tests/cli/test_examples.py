"""Smoke tests: every example runs end to end with tiny settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cli.cli_helpers import REPO, run

EXAMPLES = REPO / "examples"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _python(*args: str, timeout: float = 300) -> str:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO,
                          env=ENV, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
                             f"stderr:\n{proc.stderr}")
    return proc.stdout


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("examples-store")
    run("demo", "--frames", "16", "--samples", "8", "--workers", "0", root=root)
    return str(root)


def test_quickstart(tmp_path):
    out = _python(str(EXAMPLES / "quickstart.py"), "--root", str(tmp_path / "qs"))
    assert "published v1 (12 frames, published)" in out
    assert "the view selects 4 frames" in out
    assert out.count("bremen  ['car'] -> 1") == 4


def test_train_detection(demo_store):
    out = _python(str(EXAMPLES / "train_detection.py"), "--root", demo_store, "--steps", "2",
                  "--workers", "1")
    assert "step 2: loss" in out and "trained 2 steps" in out


def test_train_segmentation(demo_store):
    out = _python(str(EXAMPLES / "train_segmentation.py"), "--root", demo_store, "--steps", "2",
                  "--batch-size", "2", "--workers", "1")
    assert "step 2: loss" in out and "mIoU" in out


def test_ddp_train_shards_and_resumes(demo_store, tmp_path):
    ckpt = str(tmp_path / "ckpt")
    args = ["-m", "torch.distributed.run", "--nproc_per_node", "2",
            str(EXAMPLES / "ddp_train.py"), "--root", demo_store, "--ckpt", ckpt,
            "--save-every", "1", "--workers", "0"]
    first = _python(*args, "--steps", "2")
    report = json.loads(next(line for line in first.splitlines() if line.startswith("{")))
    assert report["ranks"] == 2 and report["frames_read_by_two_ranks_in_one_epoch"] == 0
    assert len(report["frames_per_rank"]) == 2 and min(report["frames_per_rank"]) > 0
    assert sorted(os.listdir(ckpt)) == ["rank0.pt", "rank1.pt"]
    second = _python(*args, "--steps", "3")
    assert "[rank 0] resumed from step 2" in second and "[rank 1] resumed from step 2" in second
    assert "trained to step 3" in second
