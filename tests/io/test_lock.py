from __future__ import annotations

import threading
import time

import pytest

from hyperloader.errors import StoreError
from hyperloader.io._lock import FileLock


def test_lock_excludes_other_threads_and_times_out(tmp_path):
    path = str(tmp_path / "x.lock")
    held, release = threading.Event(), threading.Event()

    def holder():
        with FileLock(path):
            held.set()
            release.wait(timeout=10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(timeout=10)
    start = time.perf_counter()
    with pytest.raises(StoreError, match="timed out"):
        FileLock(path, timeout_s=0.1).acquire()
    assert time.perf_counter() - start >= 0.1
    release.set()
    t.join()
    with FileLock(path, timeout_s=1.0):  # free again once the holder left
        pass
