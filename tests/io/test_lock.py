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


def test_index_writers_queue_on_the_write_lock_file(tmp_path):
    from hyperloader.io._index import Index

    index = Index(str(tmp_path / "i.sqlite"), str(tmp_path / "i.lock"),
                  write_lock_path=str(tmp_path / "i.write.lock"))
    index.touch("k", 1)  # something buffered for the transaction to flush
    done = threading.Event()

    def writer():
        with index.transaction():
            pass
        done.set()

    with FileLock(str(tmp_path / "i.write.lock")):  # as another process's writer would
        t = threading.Thread(target=writer)
        t.start()
        assert not done.wait(0.2)  # queued on the file lock, not inside SQLite
        assert index.lookup("k") is None  # readers are not blocked meanwhile
    assert done.wait(10)
    t.join()
    index.close()

