"""Concurrent writers lose nothing; crashed writers leave the previous state readable."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from hyperloader._config import get_config
from hyperloader.store import Dataset, DatasetVersion, _commit_log, _layout

from . import _workers
from ._helpers import frame


class Crash(BaseException):
    """Stands for the process dying: nothing in the store code may catch it."""


@pytest.mark.parametrize("backend", ["local", "s3"], indirect=True)
def test_two_processes_add_to_one_draft_without_losing_frames(backend):
    Dataset.create("shared")
    DatasetVersion.get_current("shared").add_frames([frame(0)])
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    batches, size = 6, 5
    procs = [ctx.Process(target=_workers.add_batches,
                         args=(get_config(), "shared", w, batches, size, barrier))
             for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    v = DatasetVersion.get_current("shared")
    expected = {f"w{w}-b{b}-{i}" for w in range(2) for b in range(batches) for i in range(size)}
    assert set(v.get_frame_ids()) == expected | {"f0000"}
    assert len(v._repo.version_log(v.id).seqs()) == 1 + 2 * batches


def test_threads_add_to_one_draft_without_losing_frames(backend):
    Dataset.create("shared")
    n_threads, batches = 3, (2 if backend.kind == "s3" else 4)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        v = DatasetVersion.get_current("shared")
        try:
            for b in range(batches):
                v.add_frames([frame(f"t{w}-{b}-{i}") for i in range(3)])
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(w,)) for w in range(n_threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    assert len(DatasetVersion.get_current("shared")) == n_threads * batches * 3


def test_crash_between_segment_and_commit_keeps_previous_state(backend, monkeypatch):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(1), frame(2)])
    v.set_metadata({"k": 1})
    before = (v.get_frame_ids(), v.frame_tables().frames["doc"].to_pylist())
    segments_dir = v._repo.store.path("datasets", v.dataset_id, "segments")
    n_segments = len(v._repo.store.ls(segments_dir))

    def crash(store, path, data):
        raise Crash("killed before the commit")

    monkeypatch.setattr(_commit_log, "exclusive_create", crash)
    with pytest.raises(Crash):
        v.add_frames([frame(1, n=99), frame(3)])
    with pytest.raises(Crash):
        v.delete_frames(["f0001"])
    monkeypatch.undo()
    fresh = DatasetVersion.get_version("cars", version_id=v.id)
    assert (fresh.get_frame_ids(), fresh.frame_tables().frames["doc"].to_pylist()) == before
    assert len(v._repo.store.ls(segments_dir)) == n_segments + 2  # garbage, not visible
    assert fresh.get_metadata() == {"k": 1}
    fresh.add_frames([frame(3)])  # the store is still writable
    assert fresh.get_frame_ids() == ["f0001", "f0002", "f0003"]


def test_crash_while_writing_a_segment_keeps_previous_state(backend, monkeypatch):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(1)])
    real = _layout.Store.write_bytes

    def torn(self, path, data):
        if path.endswith(".parquet"):
            raise OSError("disk full")
        return real(self, path, data)

    monkeypatch.setattr(_layout.Store, "write_bytes", torn)
    with pytest.raises(OSError, match="disk full"):
        v.add_frames([frame(2)])
    monkeypatch.undo()
    assert DatasetVersion.get_version("cars", version_id=v.id).get_frame_ids() == ["f0001"]


def test_published_readers_unaffected_by_concurrent_child_writes(backend):
    Dataset.create("cars")
    DatasetVersion.get_current("cars").add_frames([frame(i) for i in range(6)])
    parent = DatasetVersion.create_snapshot("cars", publish_name="v1")
    expected = parent.frame_tables().frames["doc"].to_pylist()
    child = DatasetVersion.get_current("cars")
    stop, seen = threading.Event(), []

    def reader() -> None:
        while True:  # at least one read, however the threads are scheduled
            v1 = DatasetVersion.get_version("cars", "v1")
            seen.append(v1.frame_tables().frames["doc"].to_pylist() == expected)
            if stop.is_set():
                return

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(3):
            child.delete_frames([f"f{i:04d}"])
            child.add_frames([frame(i, n=100 + i), frame(100 + i)])
    finally:
        stop.set()
        t.join()
    assert seen and all(seen)
    assert child.diff(parent).modified == ["f0000", "f0001", "f0002"]
