from __future__ import annotations

import os
import pickle
import threading

import pytest

from hyperloader.errors import StoreError
from hyperloader.io import Cache, CacheOptions, RetryPolicy, default_cache

FAST = CacheOptions(retry=RetryPolicy(max_attempts=3, base=0.001, cap=0.005))


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _entry_files(directory) -> list[str]:
    root = os.path.join(directory, "objects")
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def _flip_first_byte(path: str) -> None:
    with open(path, "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0xFF]))


def test_memory_hits_and_misses_are_exact(tmp_path, mem_put):
    uris = [mem_put(f"/c/{i}.bin", bytes([i]) * (100 + i)) for i in range(3)]
    with Cache(tmp_path / "c", max_bytes=10_000, options=FAST) as cache:
        paths = [cache.get(u) for u in uris]
        assert [_read(p) for p in paths] == [bytes([i]) * (100 + i) for i in range(3)]
        assert [cache.get(u) for u in uris + uris] == paths + paths
        stats = cache.stats()
    assert (stats["misses"], stats["hits"], stats["local"], stats["failed"]) == (3, 6, 0, 0)
    assert stats["bytes_fetched"] == stats["bytes_cached"] == 100 + 101 + 102
    assert stats["entries"] == 3 and stats["evictions"] == 0
    assert paths[0].endswith(".bin") and paths[0].startswith(str(tmp_path / "c"))


def test_local_files_are_returned_in_place(tmp_path):
    path = tmp_path / "img.png"
    path.write_bytes(b"png")
    with Cache(tmp_path / "c", max_bytes=1000) as cache:
        assert cache.get(str(path)) == str(path)
        assert cache.get(path.as_uri()) == str(path)
        stats = cache.stats()
        assert _entry_files(cache.directory) == []
    assert (stats["local"], stats["hits"], stats["misses"], stats["entries"]) == (2, 0, 0, 0)
    with pytest.raises(StoreError, match="not found"):
        Cache(tmp_path / "c").get(str(tmp_path / "missing.png"))


def test_s3_with_configured_options(tmp_path, s3_put, s3_configured):
    uri = s3_put("a/b.jpg", b"jpeg bytes" * 50)
    with Cache(tmp_path / "c", max_bytes=10_000, options=FAST) as cache:
        first = cache.get(uri)
        assert cache.get(uri) == first
        assert _read(first) == b"jpeg bytes" * 50 and first.endswith(".jpg")
        assert cache.stats()["misses"] == 1 and cache.stats()["hits"] == 1


def test_s3_host_port_form_counts_requests(tmp_path, s3_put, s3_bucket, proxy):
    s3_put("x.bin", b"abc" * 1000)
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/x.bin"
    with Cache(tmp_path / "c", max_bytes=10_000, options=FAST) as cache:
        assert _read(cache.get(uri)) == b"abc" * 1000
        for _ in range(5):
            cache.get(uri)
    with Cache(tmp_path / "c", max_bytes=10_000, options=FAST) as again:  # a new process, say
        assert _read(again.get(uri)) == b"abc" * 1000
        assert again.stats()["hits"] == 1 and again.stats()["misses"] == 0
    assert proxy.count("GET", "x.bin") == 1  # hits never go back to the server
    assert proxy.count("HEAD", "x.bin") == 0  # a miss is one request


def test_retry_inside_the_cache(tmp_path, s3_put, s3_bucket, proxy):
    s3_put("r.bin", b"retry me")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/r.bin"
    proxy.reset(fail_first=2, mode="503")
    with Cache(tmp_path / "c", max_bytes=10_000, options=FAST) as cache:
        assert _read(cache.get(uri)) == b"retry me"
        assert cache.stats()["misses"] == 1
    assert proxy.failures == 2


def test_corrupted_entry_is_detected_on_first_use_and_refetched(tmp_path, mem_put):
    uri = mem_put("/c/good.bin", b"0123456789" * 10)
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        path = cache.get(uri)
    _flip_first_byte(path)  # same size, wrong bytes
    with Cache(tmp_path / "c", max_bytes=10_000) as fresh:
        again = fresh.get(uri)
        stats = fresh.stats()
    assert _read(again) == b"0123456789" * 10
    assert (stats["corrupt"], stats["misses"], stats["hits"]) == (1, 1, 0)
    assert stats["entries"] == 1 and stats["bytes_cached"] == 100


def test_truncated_entry_is_detected_within_a_process(tmp_path, mem_put):
    uri = mem_put("/c/t.bin", b"z" * 500)
    with Cache(tmp_path / "c", max_bytes=10_000, options=CacheOptions(verify="size")) as cache:
        path = cache.get(uri)
        os.truncate(path, 100)
        assert _read(cache.get(uri)) == b"z" * 500
        os.unlink(path)  # a vanished file (evicted by another process, say) is not corrupt
        assert _read(cache.get(uri)) == b"z" * 500
        stats = cache.stats()
    assert (stats["corrupt"], stats["misses"], stats["hits"]) == (1, 3, 0)
    assert stats["entries"] == 1


def test_size_only_verification_misses_a_flipped_byte(tmp_path, mem_put):
    uri = mem_put("/c/s.bin", b"abc")
    Cache(tmp_path / "c", max_bytes=100).get(uri)
    _flip_first_byte(_entry_files(tmp_path / "c")[0])
    cheap = Cache(tmp_path / "c", max_bytes=100, options=CacheOptions(verify="size"))
    cheap.get(uri)
    assert cheap.stats()["corrupt"] == 0 and cheap.stats()["hits"] == 1


def test_object_larger_than_budget_raises(tmp_path, mem_put):
    uri = mem_put("/c/big.bin", b"b" * 2000)
    cache = Cache(tmp_path / "c", max_bytes=1000)
    with pytest.raises(StoreError, match="more than the whole cache budget"):
        cache.get(uri)
    stats = cache.stats()
    assert (stats["failed"], stats["misses"], stats["entries"]) == (1, 0, 0)
    assert os.listdir(tmp_path / "c" / "tmp") == []


def test_missing_remote_object_counts_failed(tmp_path):
    cache = Cache(tmp_path / "c", max_bytes=1000, options=FAST)
    with pytest.raises(StoreError, match="memory://nowhere/x.bin"):
        cache.get("memory://nowhere/x.bin")
    assert cache.stats()["failed"] == 1


def test_budget_holds_and_lru_evicts_oldest(tmp_path, mem_put):
    uris = [mem_put(f"/c/e{i}.bin", b"e" * 100) for i in range(6)]
    with Cache(tmp_path / "c", max_bytes=350) as cache:
        for uri in uris[:3]:
            cache.get(uri)
        cache.get(uris[0])  # 0 is now the most recent; 1 is the oldest
        cache.get(uris[3])
        audit = cache.audit()
        assert audit["bytes_cached"] == audit["disk_bytes"] == 300
        assert cache.get(uris[0]) and cache.stats()["hits"] == 2
        cache.get(uris[1])
        stats = cache.stats()
    assert stats["evictions"] == 2 and stats["misses"] == 5
    assert audit["orphans"] == audit["missing"] == 0


def test_new_object_version_replaces_the_old_entry(tmp_path, mem_put):
    uri = mem_put("/c/v.bin", b"v1")
    with Cache(tmp_path / "c", max_bytes=1000) as cache:
        cache.get(uri)
        mem_put("/c/v.bin", b"v2-longer")
        os.unlink(cache.get(uri))  # force a re-fetch: the entry is torn
        assert _read(cache.get(uri)) == b"v2-longer"
        audit = cache.audit()
    assert audit["entries"] == audit["disk_files"] == 1 and audit["bytes_cached"] == 9


def test_prefetch_then_get_hits(tmp_path, mem_put):
    uris = [mem_put(f"/c/p{i}.bin", b"p" * 10) for i in range(5)]
    with Cache(tmp_path / "c", max_bytes=1000, options=CacheOptions(num_threads=3)) as cache:
        futures = cache.prefetch(uris + uris)
        assert len(futures) == 5
        paths = [f.result(timeout=10) for f in futures]
        assert [cache.get(u) for u in uris] == paths
        stats = cache.stats()
    assert (stats["misses"], stats["hits"]) == (5, 5)


def test_threads_download_each_object_once(tmp_path, mem_put):
    uris = [mem_put(f"/c/t{i}.bin", b"t" * 50) for i in range(4)]
    cache = Cache(tmp_path / "c", max_bytes=1000)
    barrier = threading.Barrier(6)
    errors = []

    def worker():
        barrier.wait()
        try:
            for uri in uris:
                cache.get(uri)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = cache.stats()
    cache.close()
    assert errors == []
    assert stats["misses"] == 4 and stats["hits"] == 6 * 4 - 4


def test_pickle_drops_runtime_state_and_keeps_order(tmp_path, mem_put):
    uri = mem_put("/c/k.bin", b"k")
    cache = Cache(tmp_path / "c", max_bytes=1000, options=CacheOptions(eviction="belady"))
    cache.set_future_order([uri, uri])
    cache.get(uri)
    cache.prefetch([uri])[0].result()
    state = cache.__getstate__()
    assert set(state) == {"directory", "max_bytes", "options", "future"}
    clone = pickle.loads(pickle.dumps(cache))
    assert clone._store is None and clone._pool is None
    assert clone.stats()["hits"] == 0 and len(clone._future) == 2
    assert _read(clone.get(uri)) == b"k" and clone.stats()["hits"] == 1
    cache.close()
    clone.close()


def test_open_reads_content(tmp_path, mem_put):
    uri = mem_put("/c/o.bin", b"open me")
    with Cache(tmp_path / "c", max_bytes=1000) as cache, cache.open(uri) as f:
        assert f.read() == b"open me"


def test_open_reads_a_download_another_process_evicts_at_once(tmp_path, mem_put,
                                                             monkeypatch):
    """The entry a miss admits may be the first victim of the next admission (Belady puts
    what was just read furthest away); ``open`` still reads it, without fetching again."""
    from hyperloader.io._entries import EntryStore

    uri = mem_put("/c/evicted.bin", b"read me once")
    admit = EntryStore._admit
    other = Cache(tmp_path / "c", max_bytes=1000)  # another process on the same directory

    def admit_then_evict(self, *args, **kwargs):
        out = admit(self, *args, **kwargs)
        other.clear()
        return out

    monkeypatch.setattr(EntryStore, "_admit", admit_then_evict)
    with Cache(tmp_path / "c", max_bytes=1000) as cache:
        with cache.open(uri) as f:
            assert f.read() == b"read me once"
        assert cache.stats()["misses"] == 1 and other.stats()["evictions"] == 1
    other.close()


def test_default_cache_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HYPERLOADER_CACHE_MAX_BYTES", "2MiB")
    cache = default_cache()
    assert cache.directory == str(tmp_path / "cache") and cache.max_bytes == 2 * 2**20
    assert default_cache() is cache and cache.options.eviction == "belady"
    monkeypatch.setenv("HYPERLOADER_CACHE_EVICTION", "lru")
    assert default_cache() is not cache and default_cache().options.eviction == "lru"


@pytest.mark.parametrize("kwargs, match", [
    ({"eviction": "fifo"}, "known: belady, lru"),
    ({"verify": "md5"}, "verify"),
    ({"num_threads": 0}, "num_threads"),
])
def test_bad_options_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CacheOptions(**kwargs)


def test_bad_budget_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="max_bytes"):
        Cache(tmp_path, max_bytes=0)
