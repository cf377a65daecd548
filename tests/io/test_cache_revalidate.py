"""Revalidation: a cache told that objects may change asks the server, and refetches changes."""

from __future__ import annotations

import logging

import fsspec
import pytest

from hyperloader.errors import StoreError
from hyperloader.io import Cache, CacheOptions, ObjectInfo, RetryPolicy, default_cache
from hyperloader.io._freshness import stale_reason
from hyperloader.io._index import IndexRow

RETRY = RetryPolicy(max_attempts=2, base=0.001, cap=0.005)
ALWAYS = CacheOptions(retry=RETRY, revalidate_after_s=0)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _heads_per_miss(s3_get_path: str) -> int:
    # the direct GET shows the ETag; through s3fs, a revalidating cache asks first
    return 0 if s3_get_path == "direct" else 1


def test_objects_are_immutable_by_default(tmp_path, s3_put, s3_bucket, proxy):
    s3_put("k.bin", b"a" * 100)
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/k.bin"
    with Cache(tmp_path / "c", max_bytes=10_000, options=CacheOptions(retry=RETRY)) as cache:
        assert _read(cache.get(uri)) == b"a" * 100
        s3_put("k.bin", b"b" * 100)
        assert _read(cache.get(uri)) == b"a" * 100  # as documented: never asked again
        stats = cache.stats()
    assert (stats["revalidated"], stats["stale"]) == (0, 0)
    assert proxy.count("HEAD", "k.bin") == 0 and proxy.count("GET", "k.bin") == 1


def test_a_changed_object_is_fetched_again(tmp_path, s3_put, s3_bucket, proxy, s3_get_path):
    s3_put("k.bin", b"a" * 100)
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/k.bin"
    with Cache(tmp_path / "c", max_bytes=10_000, options=ALWAYS) as cache:
        assert _read(cache.get(uri)) == b"a" * 100
        s3_put("k.bin", b"b" * 100)  # same size: only the ETag tells
        assert _read(cache.get(uri)) == b"b" * 100
        assert _read(cache.get(uri)) == b"b" * 100
        stats = cache.stats()
        audit = cache.audit()
    assert (stats["misses"], stats["hits"], stats["revalidated"], stats["stale"]) == (2, 1, 2, 1)
    assert audit["entries"] == audit["disk_files"] == 1 and audit["orphans"] == 0
    assert proxy.count("GET", "k.bin") == 2
    assert proxy.count("HEAD", "k.bin") == 2 + 2 * _heads_per_miss(s3_get_path)


def test_the_etag_is_recorded_at_download(tmp_path, s3_put, s3_bucket, proxy):
    s3_put("k.bin", b"etag me")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/k.bin"
    with Cache(tmp_path / "c", max_bytes=10_000, options=ALWAYS) as cache:
        cache.get(uri)
        row = cache._entries().index.lookup(uri)
    info = fsspec.filesystem("s3", endpoint_url=f"http://127.0.0.1:{proxy.port}",
                             key="testing", secret="testing",
                             skip_instance_cache=True).info(f"{s3_bucket}/k.bin")
    assert row.etag == info["ETag"]


def test_checks_wait_for_the_interval(tmp_path, s3_put, s3_bucket, proxy, s3_get_path):
    s3_put("k.bin", b"a" * 10)
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/k.bin"
    options = CacheOptions(retry=RETRY, revalidate_after_s=3600)
    with Cache(tmp_path / "c", max_bytes=10_000, options=options) as cache:
        cache.get(uri)
        s3_put("k.bin", b"b" * 10)
        assert _read(cache.get(uri)) == b"a" * 10  # the download counts as a check
        assert cache.stats()["revalidated"] == 0
    assert proxy.count("HEAD", "k.bin") == _heads_per_miss(s3_get_path)
    with Cache(tmp_path / "c", max_bytes=10_000, options=options) as other:  # a new process
        assert _read(other.get(uri)) == b"b" * 10
        assert (other.stats()["stale"], other.stats()["misses"]) == (1, 1)


def test_a_deleted_object_is_not_served_from_the_cache(tmp_path, s3_put, s3_bucket, proxy):
    s3_put("gone.bin", b"here")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/gone.bin"
    with Cache(tmp_path / "c", max_bytes=10_000, options=ALWAYS) as cache:
        cache.get(uri)
        fsspec.filesystem("s3", endpoint_url=f"http://127.0.0.1:{proxy.port}", key="testing",
                          secret="testing", skip_instance_cache=True).rm(f"{s3_bucket}/gone.bin")
        with pytest.raises(StoreError, match="gone.bin"):
            cache.get(uri)
        stats = cache.stats()
    assert (stats["stale"], stats["failed"], stats["entries"]) == (1, 1, 0)


def test_a_failed_check_serves_the_cached_copy(tmp_path, s3_put, s3_bucket, proxy, caplog):
    s3_put("k.bin", b"cached")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/k.bin"
    with Cache(tmp_path / "c", max_bytes=10_000, options=ALWAYS) as cache:
        path = cache.get(uri)
        proxy.reset(fail_first=10, mode="503")
        with caplog.at_level(logging.WARNING, logger="hyperloader.io._cache"):
            assert cache.get(uri) == path
        stats = cache.stats()
    assert _read(path) == b"cached"
    assert (stats["hits"], stats["revalidated"], stats["failed"]) == (1, 0, 0)
    assert "cannot check" in caplog.text and "k.bin" in caplog.text


def test_opaque_etags_are_compared_with_the_recorded_one(tmp_path, s3_put, s3_server,
                                                         s3_bucket):
    s3_put("pub.bin", b"a" * 50, public=True)
    uri = f"{s3_server}/{s3_bucket}/pub.bin"  # http://: the ETag is not known to be an MD5
    with Cache(tmp_path / "c", max_bytes=10_000, options=ALWAYS) as cache:
        assert _read(cache.get(uri)) == b"a" * 50
        assert cache._entries().index.lookup(uri).etag  # a HEAD came first
        s3_put("pub.bin", b"b" * 50, public=True)
        assert _read(cache.get(uri)) == b"b" * 50
        assert cache.stats()["stale"] == 1


def test_without_an_etag_only_the_size_tells(tmp_path, mem_put):
    uri = mem_put("/reval/x.bin", b"a" * 10)
    with Cache(tmp_path / "c", max_bytes=10_000, options=ALWAYS) as cache:
        cache.get(uri)
        mem_put("/reval/x.bin", b"b" * 10)
        assert _read(cache.get(uri)) == b"a" * 10  # memory:// has no ETag: same size passes
        mem_put("/reval/x.bin", b"c" * 11)
        assert _read(cache.get(uri)) == b"c" * 11
        assert (cache.stats()["revalidated"], cache.stats()["stale"]) == (2, 1)


ROW = IndexRow("key", 100, "0" * 32, None, '"abc-2"')


@pytest.mark.parametrize("info, stale", [
    (ObjectInfo("s3://b/k", 100, '"' + "0" * 32 + '"'), False),
    (ObjectInfo("s3://b/k", 100, '"' + "1" * 32 + '"'), True),
    (ObjectInfo("s3://b/k", 101, '"' + "0" * 32 + '"'), True),
    (ObjectInfo("s3://b/k", None, '"abc-2"'), False),
    (ObjectInfo("s3://b/k", 100, '"abc-3"'), True),
    (ObjectInfo("http://h/k", 100, '"' + "1" * 32 + '"'), True),  # opaque over http
    (ObjectInfo("http://h/k", 100, None), False),
])
def test_stale_reason(info, stale):
    assert (stale_reason(ROW, info) is not None) == stale
    assert stale_reason(ROW._replace(etag=None), ObjectInfo("http://h/k", 100, '"x"')) is None


def test_default_cache_reads_the_interval_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HYPERLOADER_CACHE_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("HYPERLOADER_CACHE_REVALIDATE_S", "2.5")
    assert default_cache().options.revalidate_after_s == 2.5
    monkeypatch.setenv("HYPERLOADER_CACHE_REVALIDATE_S", "soon")
    with pytest.raises(ValueError, match="HYPERLOADER_CACHE_REVALIDATE_S.*'soon'"):
        default_cache()
    monkeypatch.delenv("HYPERLOADER_CACHE_REVALIDATE_S")
    assert default_cache().options.revalidate_after_s is None


@pytest.mark.parametrize("value", [-1, float("nan")])
def test_bad_intervals_are_rejected(value):
    with pytest.raises(ValueError, match="revalidate_after_s"):
        CacheOptions(revalidate_after_s=value)
