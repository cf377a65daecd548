"""ForkSafeLock: a lock held by a parent thread at fork time is free in the child."""

from __future__ import annotations

import multiprocessing
import threading

from hyperloader._locks import ForkSafeLock


def _take(lock: ForkSafeLock, queue) -> None:
    with lock:
        queue.put("took it")


def test_a_lock_held_by_a_parent_thread_is_free_in_a_forked_child():
    lock = ForkSafeLock()
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with lock:
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_take, args=(lock, queue))
    child.start()
    try:
        assert queue.get(timeout=20) == "took it"
        assert lock.locked()  # still held here, by the parent's thread
    finally:
        release.set()
        thread.join()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
    assert not lock.locked()


def test_it_excludes_threads_like_a_lock():
    lock, inside, overlaps = ForkSafeLock(), [], []

    def work() -> None:
        for _ in range(200):
            with lock:
                inside.append(1)
                overlaps.append(len(inside))
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(overlaps) == 800 and max(overlaps) == 1
