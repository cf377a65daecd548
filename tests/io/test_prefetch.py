from __future__ import annotations

import gc
import threading
import time
import traceback

import pytest

from hyperloader.io import Prefetcher


class Probe:
    """A fetch function that records how many calls ran and how many are running."""

    def __init__(self, delay: float = 0.0, fail_on: frozenset[int] = frozenset(),
                 gate: threading.Event | None = None) -> None:
        self.delay, self.fail_on, self.gate = delay, fail_on, gate
        self.lock = threading.Lock()
        self.started = 0
        self.running = 0
        self.max_running = 0

    def __call__(self, item: int) -> bytes:
        with self.lock:
            self.started += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.gate is not None:
                self.gate.wait(timeout=10)
            time.sleep(self.delay * (1 + item % 3) / 3)  # uneven: later items may finish first
            if item in self.fail_on:
                raise KeyError(f"no item {item}")
            return bytes([item % 256]) * 10
        finally:
            with self.lock:
                self.running -= 1


def test_results_come_in_input_order():
    probe = Probe(delay=0.005)
    with Prefetcher(range(40), probe, max_items=8, num_threads=4) as pre:
        out = list(pre)
    assert out == [bytes([i]) * 10 for i in range(40)]
    assert pre.stats()["yielded"] == 40 and pre.stats()["submitted"] == 40
    assert probe.max_running > 1  # really concurrent


def test_never_more_than_max_items_in_flight():
    probe = Probe(delay=0.002)
    pre = Prefetcher(range(50), probe, max_items=5, num_threads=8)
    consumed = 0
    for _ in pre:
        consumed += 1
        assert probe.started - consumed <= 5 - 1  # the one just consumed no longer counts
        time.sleep(0.001)
    assert consumed == 50
    assert pre.stats()["max_in_flight"] == 5
    assert probe.max_running <= 5


def test_byte_budget_limits_read_ahead():
    probe = Probe()
    pre = Prefetcher(range(100), probe, max_items=50, max_bytes=35, num_threads=4)
    consumed = 0
    for _ in range(10):
        next(pre)
        consumed += 1
        time.sleep(0.01)  # let the read-ahead run
        # results are 10 bytes: 4 waiting reach the 35-byte budget; max_items would allow 49
        assert probe.started - consumed <= 4
    pre.close()


def test_a_large_result_waiting_unconsumed_stops_the_read_ahead():
    started: list[int] = []
    sizes = [10, 10, 10_000] + [10] * 47  # the third result alone outgrows the budget

    def fetch(i: int) -> bytes:
        started.append(i)
        return b"x" * sizes[i]

    pre = Prefetcher(range(50), fetch, max_items=50, max_bytes=1_000, num_threads=2)
    assert next(pre) == b"x" * 10  # a small result yielded: the largest *yielded* is 10 bytes
    time.sleep(0.05)  # the big one finishes and waits, unconsumed
    next(pre)
    time.sleep(0.05)
    # 10_000 bytes wait: no more than the two threads' worth beyond them may have started
    assert len(started) <= 3 + 2
    pre.close()


def test_stall_seconds_measure_waiting():
    pre = Prefetcher(range(4), Probe(delay=0.06), max_items=1, num_threads=1)
    list(pre)
    assert pre.stall_seconds >= 0.06
    fast = Prefetcher(range(4), Probe(), max_items=4, num_threads=4)
    next(fast)
    time.sleep(0.05)
    assert fast.stats()["stall_seconds"] <= pre.stall_seconds
    fast.close()


def test_exception_reaches_consumer_with_worker_traceback():
    pre = Prefetcher(range(10), Probe(fail_on=frozenset({3})), max_items=4, num_threads=2)
    got = []
    with pytest.raises(KeyError, match="no item 3") as info:
        for value in pre:
            got.append(value)
    assert len(got) == 3  # everything before the failure, in order
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "__call__" in frames  # the worker-side frame survived the hop
    assert any("Prefetcher worker thread" in n for n in getattr(info.value, "__notes__", []))
    assert list(pre) == []  # closed after raising


def test_skip_mode_drops_failures_and_counts_them():
    pre = Prefetcher(range(10), Probe(fail_on=frozenset({2, 7})), on_error="skip")
    out = list(pre)
    assert out == [bytes([i]) * 10 for i in range(10) if i not in (2, 7)]
    assert pre.stats()["skipped"] == 2


def test_early_close_cancels_pending_work_without_hanging():
    gate = threading.Event()
    probe = Probe(gate=gate)
    pre = Prefetcher(range(1000), probe, max_items=16, num_threads=2)
    threading.Timer(0.05, gate.set).start()
    next(pre)
    start = time.perf_counter()
    pre.close()
    assert time.perf_counter() - start < 0.5
    time.sleep(0.1)
    assert probe.started <= 16 + 2  # nothing queued after close starts running
    with pytest.raises(StopIteration):
        next(pre)


def test_garbage_collection_closes_it():
    gate = threading.Event()
    probe = Probe(gate=gate)
    pre = Prefetcher(range(1000), probe, max_items=8, num_threads=2)
    gate.set()
    next(pre)
    del pre
    gc.collect()
    time.sleep(0.1)
    started = probe.started
    time.sleep(0.1)
    assert probe.started == started <= 8 + 2


def test_generator_exit_from_a_consumer_loop():
    probe = Probe(delay=0.001)

    def consume():
        yield from Prefetcher(range(1000), probe, max_items=4, num_threads=2)

    gen = consume()
    assert next(gen) == bytes([0]) * 10
    gen.close()
    gc.collect()
    time.sleep(0.05)
    assert probe.started <= 4 + 2


def test_items_are_read_lazily():
    pulled = []

    def items():
        for i in range(100):
            pulled.append(i)
            yield i

    pre = Prefetcher(items(), Probe(), max_items=3)
    assert pulled == []
    next(pre)
    assert len(pulled) <= 4
    pre.close()


@pytest.mark.parametrize("kwargs", [{"max_items": 0}, {"max_bytes": 0}, {"num_threads": 0},
                                    {"on_error": "ignore"}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Prefetcher"):
        Prefetcher([], len, **kwargs)
