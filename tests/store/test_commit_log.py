"""Exclusive commit files per backend, optimistic appends, and the publish boundary."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from hyperloader.errors import VersionStateError
from hyperloader.store import Dataset, DatasetVersion, _commit_log, _write
from hyperloader.store._commit_log import CommitLog, exclusive_create
from hyperloader.store._layout import Store, current_store
from hyperloader.store._state import fold_version

from ._helpers import frame


def test_exclusive_create_refuses_an_existing_file(backend):
    # on s3 this is a conditional PUT (If-None-Match: *) answered by the moto server
    store = current_store()
    path = store.path("x", "0000000000.json")
    assert exclusive_create(store, path, b'{"a": 1}')
    assert not exclusive_create(store, path, b'{"a": 2}')
    assert json.loads(store.fs.cat_file(path)) == {"a": 1}
    assert store.ls(store.path("x")) == [path]  # no temporary files left behind


def test_concurrent_appends_never_share_a_sequence_number(backend):
    store = current_store()
    log = CommitLog(store, store.path("log"))
    threads, per_thread = 3, (4 if backend.kind == "s3" else 10)

    def writer(w: int) -> None:
        for i in range(per_thread):
            log.append(lambda entries, i=i: {"writer": w, "i": i, "seen": len(entries)})

    pool = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    entries = log.entries()
    assert [s for s, _ in entries] == list(range(threads * per_thread))
    assert sorted((e["writer"], e["i"]) for _, e in entries) == sorted(
        (w, i) for w in range(threads) for i in range(per_thread))
    assert all(e["seen"] == s for s, e in entries)  # each entry was built on all before it


def test_append_returns_none_when_make_declines(backend):
    store = current_store()
    log = CommitLog(store, store.path("log"))
    assert log.append(lambda entries: None) is None
    assert log.append(lambda entries: {"op": "x"}) == 0
    assert log.seqs() == [0]


def test_commits_after_the_publish_commit_are_ignored():
    entries = [(0, {"op": "write", "segment": "a", "schema": {}}),
               (1, {"op": "publish", "time": 5}),
               (2, {"op": "write", "segment": "late", "schema": {}}),
               (3, {"op": "meta", "set": {"x": 1}})]
    state = fold_version(entries)
    assert state.published and state.seq == 1 and state.meta == {}
    assert state.segments == ((0, "a"),)


def test_stray_commit_after_publish_is_invisible(backend):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(1)])
    v.publish_version()
    store, log = current_store(), v._repo.version_log(v.id)
    late = {"op": "meta", "set": {"late": True}, "time": 0}
    assert exclusive_create(store, log._path(log.seqs()[-1] + 1), json.dumps(late).encode())
    fresh = DatasetVersion.get_version("cars", version_id=v.id)
    assert fresh.get_metadata() == {} and fresh.get_frame_ids() == ["f0001"]


def test_writer_that_loses_to_a_publish_gets_version_state_error(backend, monkeypatch):
    Dataset.create("cars")
    v = DatasetVersion.get_current("cars")
    v.add_frames([frame(1)])
    real = _write.write_segment

    def publish_meanwhile(store: Store, dataset_id, tables):
        out = real(store, dataset_id, tables)
        DatasetVersion.get_version("cars", version_id=v.id).publish_version()
        return out

    monkeypatch.setattr(_write, "write_segment", publish_meanwhile)
    with pytest.raises(VersionStateError, match="published"):
        v.add_frames([frame(2)])
    assert v.get_frame_ids() == ["f0001"] and v.is_published


def test_unknown_protocols_fall_back_with_a_warning(backend, monkeypatch, caplog):
    if backend.kind != "memory":
        pytest.skip("one backend is enough to exercise the fallback")
    store = current_store()
    monkeypatch.setattr(_commit_log, "_WRITERS", {})
    monkeypatch.setattr(_commit_log, "_WARNED", set())
    with caplog.at_level(logging.WARNING, logger="hyperloader.store._commit_log"):
        assert exclusive_create(store, store.path("y.json"), b"{}")
        assert not exclusive_create(store, store.path("y.json"), b"{}")
    assert "no exclusive-create support" in caplog.text
    seen = []
    monkeypatch.setitem(_commit_log._WRITERS, "memory",
                        lambda s, p, d: seen.append(p) or True)
    assert exclusive_create(store, store.path("z.json"), b"{}") and seen
