"""Cache.trim and Cache.clear: eviction order, index and disk in agreement, open readers."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from hyperloader.io import Cache, CacheOptions

LRU = CacheOptions(eviction="lru")


@pytest.fixture()
def objects(mem_put):
    """Return ``make(n, size) -> [memory:// URI]``: ``n`` distinct objects, unique per test."""
    prefix = f"/trim-{uuid.uuid4().hex[:8]}"

    def make(n: int, size: int = 100) -> list[str]:
        return [mem_put(f"{prefix}/o{i}.bin", bytes([i]) * size) for i in range(n)]

    return make


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _fill(cache: Cache, uris: list[str]) -> None:
    for uri in uris:
        cache.get(uri)


def _cached(cache: Cache, uris: list[str]) -> list[bool]:
    return [cache.count_missing([u]) == 0 for u in uris]


def _assert_consistent(cache: Cache, entries: int, size: int) -> None:
    audit = cache.audit()
    assert (audit["orphans"], audit["missing"]) == (0, 0)
    assert audit["entries"] == audit["disk_files"] == entries
    assert audit["bytes_cached"] == audit["disk_bytes"] == size


def test_trim_evicts_least_recently_read_first(tmp_path, objects):
    uris = objects(5)
    with Cache(tmp_path / "c", max_bytes=10_000, options=LRU) as cache:
        _fill(cache, uris)
        cache.get(uris[0])
        cache.get(uris[2])  # least recently read now: 1, 3, 4, then 0, 2
        result = cache.trim(250)
        assert result == {"evicted": 3, "bytes_freed": 300, "bytes_cached": 200, "entries": 2}
        assert _cached(cache, uris) == [True, False, True, False, False]
        _assert_consistent(cache, 2, 200)
        assert cache.stats()["evictions"] == 3
        cache.get(uris[1])  # read again: 0 is now the least recently read
        assert cache.trim(200)["evicted"] == 1
        assert _cached(cache, uris) == [False, True, True, False, False]
        stats = cache.stats()
    assert (stats["evictions"], stats["misses"], stats["hits"]) == (4, 6, 2)


def test_trim_follows_the_future_order_under_belady(tmp_path, objects):
    uris = objects(4)
    with Cache(tmp_path / "c", max_bytes=10_000,
               options=CacheOptions(eviction="belady")) as cache:
        _fill(cache, uris)
        cache.set_future_order([uris[3], uris[0], uris[1]])  # 2 is never read again
        assert cache.trim(200) == {"evicted": 2, "bytes_freed": 200, "bytes_cached": 200,
                                   "entries": 2}
        assert _cached(cache, uris) == [True, False, False, True]
        _assert_consistent(cache, 2, 200)


def test_trim_under_the_target_evicts_nothing(tmp_path, objects):
    uris = objects(3)
    with Cache(tmp_path / "c", max_bytes=10_000, options=LRU) as cache:
        _fill(cache, uris)
        assert cache.trim() == {"evicted": 0, "bytes_freed": 0, "bytes_cached": 300,
                                "entries": 3}
        assert cache.trim(300)["evicted"] == 0
        assert cache.stats()["evictions"] == 0
        _assert_consistent(cache, 3, 300)


def test_trim_defaults_to_the_budget_and_accepts_size_text(tmp_path, objects):
    uris = objects(6)
    with Cache(tmp_path / "c", max_bytes=10_000, options=LRU) as big:
        _fill(big, uris)
    with Cache(tmp_path / "c", max_bytes=450, options=LRU) as small:  # a lowered budget
        assert small.trim() == {"evicted": 2, "bytes_freed": 200, "bytes_cached": 400,
                                "entries": 4}
        assert _cached(small, uris) == [False, False, True, True, True, True]
        assert small.trim("0.25KB")["bytes_cached"] == 200
        assert small.trim("150B")["entries"] == 1
        assert _cached(small, uris) == [False] * 5 + [True]
        _assert_consistent(small, 1, 100)


def test_clear_empties_the_directory_and_get_downloads_again(tmp_path, objects):
    uris = objects(3)
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        paths = [cache.get(u) for u in uris]
        assert cache.count_missing(uris) == 0
        assert cache.clear() == {"evicted": 3, "bytes_freed": 300, "bytes_cached": 0,
                                 "entries": 0}
        assert not any(os.path.exists(p) for p in paths)
        _assert_consistent(cache, 0, 0)
        assert cache.count_missing(uris) == 3  # the verified memo forgot them too
        assert _read(cache.get(uris[1])) == bytes([1]) * 100
        stats = cache.stats()
        assert (stats["misses"], stats["hits"], stats["evictions"]) == (4, 0, 3)
        assert (stats["entries"], stats["bytes_cached"]) == (1, 100)
        assert cache.clear()["evicted"] == 1 and cache.clear()["evicted"] == 0


def test_another_cache_object_sees_the_trim(tmp_path, objects):
    uris = objects(2)
    reader = Cache(tmp_path / "c", max_bytes=10_000, options=LRU)
    janitor = Cache(tmp_path / "c", max_bytes=10_000, options=LRU)  # another process, say
    try:
        paths = [reader.get(u) for u in uris]
        assert janitor.clear()["evicted"] == 2
        assert [reader.get(u) for u in uris] == paths  # same content, same key, same path
        assert reader.stats()["misses"] == 4 and reader.stats()["hits"] == 0
        assert janitor.stats()["evictions"] == 2 and reader.stats()["evictions"] == 0
    finally:
        reader.close()
        janitor.close()


@pytest.mark.parametrize("maintain", [lambda c: c.trim(3 << 19), lambda c: c.clear()],
                         ids=["trim", "clear"])
def test_an_open_reader_keeps_the_old_bytes(tmp_path, objects, maintain):
    big = objects(2, size=1 << 20)
    with Cache(tmp_path / "c", max_bytes=10 << 20, options=LRU) as cache:
        f = cache.open(big[0])
        g = cache.open(big[1])
        try:
            head = f.read(1000)
            assert maintain(cache)["evicted"] >= 1
            assert not os.path.exists(f.name)  # evicted: 0 was read least recently
            assert head + f.read() == bytes([0]) * (1 << 20)
            assert g.read() == bytes([1]) * (1 << 20)
        finally:
            f.close()
            g.close()
        assert _read(cache.get(big[0])) == bytes([0]) * (1 << 20)
        assert cache.stats()["misses"] == 3


def test_trim_while_threads_read(tmp_path, objects):
    uris = objects(8, size=1000)
    errors: list[BaseException] = []
    stop = threading.Event()
    with Cache(tmp_path / "c", max_bytes=100_000, options=LRU) as cache:
        def reader(offset: int) -> None:
            try:
                while not stop.is_set():
                    for i in range(len(uris)):
                        k = (i + offset) % len(uris)
                        try:
                            with cache.open(uris[k]) as f:
                                assert f.read() == bytes([k]) * 1000
                        except FileNotFoundError:  # evicted twice between get and open
                            continue
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        try:
            for n in range(20):
                cache.trim(0 if n % 2 else 3000)
                time.sleep(0.005)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert errors == []
        assert cache.stats()["evictions"] > 0
        found = cache.audit()
        assert (found["orphans"], found["missing"]) == (0, 0)
        assert found["bytes_cached"] == found["disk_bytes"]


@pytest.mark.parametrize("size, match", [
    (-1, "-1"),
    ("-5", "'-5'"),
    ("lots", "'lots'"),
    ("5 XB", "'5 XB'"),
])
def test_invalid_sizes_raise_and_leave_the_cache_alone(tmp_path, objects, size, match):
    uris = objects(2)
    with Cache(tmp_path / "c", max_bytes=10_000) as cache:
        _fill(cache, uris)
        with pytest.raises(ValueError, match=match):
            cache.trim(size)
        stats = cache.stats()
    assert (stats["entries"], stats["bytes_cached"], stats["evictions"]) == (2, 200, 0)
