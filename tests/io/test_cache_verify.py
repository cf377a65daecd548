"""How the cache checks its entries: one request per miss, hashing only what changed."""

from __future__ import annotations

import os
import sqlite3

import pytest

import hyperloader.io._entries as entries_mod
from hyperloader.errors import StoreError
from hyperloader.io import Cache, CacheOptions, RetryPolicy

FAST = CacheOptions(retry=RetryPolicy(max_attempts=3, base=0.001, cap=0.005))


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture()
def digests(monkeypatch) -> list[str]:
    """Record every file the cache hashes to check an entry."""
    calls: list[str] = []
    real = entries_mod.file_digest

    def counting(path: str) -> tuple[int, str]:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(entries_mod, "file_digest", counting)
    return calls


def test_a_body_cut_short_is_never_admitted(tmp_path, s3_put, s3_bucket, proxy):
    data = bytes(range(256)) * 400
    s3_put("cut.bin", data)
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/cut.bin"
    proxy.reset(fail_first=1, mode="truncate")
    with Cache(tmp_path / "c", max_bytes=10**6, options=FAST) as cache:
        assert _read(cache.get(uri)) == data
        stats = cache.stats()
    assert proxy.failures == 1 and proxy.count("HEAD") == 0
    assert (stats["misses"], stats["bytes_fetched"], stats["bytes_cached"]) == (1, len(data),
                                                                                len(data))


def test_fewer_bytes_than_announced_is_torn_and_retried(tmp_path, mem_put, monkeypatch):
    from fsspec.implementations.memory import MemoryFileSystem

    uri = mem_put("/v/short.bin", b"s" * 1000)
    attempts: list[int] = []

    def short_then_whole(self, rpath, lpath, callback=None, **kwargs):
        data = self.cat_file(rpath)
        callback.set_size(len(data))
        if not attempts:  # the first transfer ends early without an error
            data = data[:400]
        attempts.append(len(data))
        with open(lpath, "wb") as f:
            f.write(data)
        callback.relative_update(len(data))

    monkeypatch.setattr(MemoryFileSystem, "get_file", short_then_whole)
    with Cache(tmp_path / "c", max_bytes=10_000, options=FAST) as cache:
        assert _read(cache.get(uri)) == b"s" * 1000
        assert cache.stats()["bytes_cached"] == 1000
    assert attempts == [400, 1000]


def test_unchanged_entry_is_not_hashed_again_by_a_new_process(tmp_path, mem_put, digests):
    uri = mem_put("/v/a.bin", b"a" * 300)
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        path = cache.get(uri)
    with Cache(tmp_path / "c", max_bytes=10_000) as fresh:  # a new DataLoader worker, say
        assert fresh.get(uri) == path and fresh.get(uri) == path
        assert fresh.stats()["hits"] == 2
    assert digests == []


def test_a_touched_entry_is_hashed_once_then_trusted(tmp_path, mem_put, digests):
    uri = mem_put("/v/b.bin", b"b" * 300)
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        path = cache.get(uri)
    os.utime(path, ns=(1, 1_000_000_000))  # same bytes, another modification time
    with Cache(tmp_path / "c", max_bytes=10_000) as second:
        assert second.get(uri) == path
        assert second.stats()["corrupt"] == 0
    assert digests == [path]
    with Cache(tmp_path / "c", max_bytes=10_000) as third:
        assert third.get(uri) == path
    assert digests == [path]  # the confirmation was recorded in the shared index


def test_same_size_same_mtime_corruption_needs_verify_always(tmp_path, mem_put):
    uri = mem_put("/v/c.bin", b"0123456789" * 10)
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        path = cache.get(uri)
    stat = os.stat(path)
    with open(path, "r+b") as f:
        f.write(b"X")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # hide the change from stat
    with Cache(tmp_path / "c", max_bytes=10_000) as trusting:
        trusting.get(uri)
        assert trusting.stats()["corrupt"] == 0
    with Cache(tmp_path / "c", max_bytes=10_000,
               options=CacheOptions(verify="always")) as careful:
        assert _read(careful.get(uri)) == b"0123456789" * 10
        assert (careful.stats()["corrupt"], careful.stats()["misses"]) == (1, 1)


def test_index_of_an_older_version_is_migrated(tmp_path, mem_put, digests):
    uri = mem_put("/v/d.bin", b"d" * 64)
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        path = cache.get(uri)
    db = sqlite3.connect(tmp_path / "c" / "index.sqlite")
    key, size, checksum = db.execute("SELECT key, size, checksum FROM entries").fetchone()
    db.executescript(f"""
        DROP TABLE entries;
        CREATE TABLE entries (key TEXT PRIMARY KEY, uri TEXT NOT NULL, size INTEGER NOT NULL,
            checksum TEXT NOT NULL, etag TEXT, last_used REAL NOT NULL,
            next_use INTEGER NOT NULL);
        INSERT INTO entries VALUES ('{key}', '{uri}', {size}, '{checksum}', NULL, 0, 0);
        PRAGMA user_version = 0;
    """)
    db.close()
    with Cache(tmp_path / "c", max_bytes=10_000) as upgraded:
        assert upgraded.get(uri) == path and upgraded.stats()["hits"] == 1
    assert digests == [path]  # no confirmed mtime yet: hashed once, then recorded
    db = sqlite3.connect(tmp_path / "c" / "index.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.execute("SELECT mtime_ns FROM entries").fetchone()[0] == os.stat(path).st_mtime_ns
    db.close()


def test_object_over_budget_stops_without_leaving_files(tmp_path, s3_put, s3_bucket, proxy):
    s3_put("big.bin", os.urandom(3 << 20))
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/big.bin"
    with Cache(tmp_path / "c", max_bytes=100_000, options=FAST) as cache:
        with pytest.raises(StoreError, match="more than the whole cache budget") as info:
            cache.get(uri)
        assert (cache.stats()["failed"], cache.stats()["entries"]) == (1, 0)
    assert info.value.details["uri"] == uri and not info.value.details["transient"]
    assert proxy.count("GET", "big.bin") == 1  # over budget is final: not retried
    assert os.listdir(tmp_path / "c" / "tmp") == []


def test_future_order_preloads_entries_and_counts_missing(tmp_path, mem_put, monkeypatch):
    uris = [mem_put(f"/v/e{i}.bin", bytes([i]) * 50) for i in range(4)]
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        for uri in uris[:3]:
            cache.get(uri)
    local = tmp_path / "local.bin"
    local.write_bytes(b"local")
    with Cache(tmp_path / "c", max_bytes=10_000) as fresh:
        fresh.set_future_order([*uris, str(local), uris[0]])
        assert fresh.count_missing([*uris, str(local)]) == 1
        assert fresh.count_missing(uris[:3]) == 0

        def no_lookup(uri: str) -> None:
            raise AssertionError(f"looked up {uri} one by one")

        monkeypatch.setattr(fresh._entries().index, "lookup", no_lookup)
        assert [_read(fresh.get(u)) for u in uris[:3]] == [bytes([i]) * 50 for i in range(3)]
        assert fresh.stats()["hits"] == 3


def test_audit_repair_removes_orphans_and_rows_without_files(tmp_path, mem_put):
    uris = [mem_put(f"/v/r{i}.bin", bytes([i]) * 70) for i in range(3)]
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        paths = [cache.get(u) for u in uris]
        orphan = os.path.join(os.path.dirname(paths[0]), "f" * 64 + ".bin")
        with open(orphan, "wb") as f:  # what a process killed mid-admission leaves
            f.write(b"x" * 500)
        os.unlink(paths[1])
        found = cache.audit(repair=True)
        assert (found["orphans"], found["missing"], found["disk_bytes"]) == (1, 1, 640)
        after = cache.audit()
        assert (after["orphans"], after["missing"], after["entries"]) == (0, 0, 2)
        assert after["disk_bytes"] == after["bytes_cached"] == 140
        assert not os.path.exists(orphan)
        assert _read(cache.get(uris[1])) == bytes([1]) * 70 and cache.stats()["misses"] == 4


def test_set_future_order_returns_how_many_are_missing(tmp_path, mem_put):
    uris = [mem_put(f"/v/m{i}.bin", bytes([i]) * 20) for i in range(3)]
    for verify in ("checksum", "always"):
        with Cache(tmp_path / verify, max_bytes=10_000,
                   options=CacheOptions(verify=verify)) as cache:
            assert cache.set_future_order(uris + uris[:1]) == 3
            cache.get(uris[0])
            assert cache.set_future_order([*uris, str(tmp_path)]) == 2
            assert cache.advise(uris[:1]) == 0
