"""The direct S3 GET path (botocore-signed URL, urllib3): when it serves, and when fsspec does."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from urllib.parse import parse_qs, urlsplit

import pytest

import hyperloader._config as config
from hyperloader.errors import StoreError
from hyperloader.io import Cache, CacheOptions, RetryPolicy, fetch_bytes
from hyperloader.io._s3direct import S3Direct, direct_for

FAST = CacheOptions(retry=RetryPolicy(max_attempts=3, base=0.001, cap=0.002))


def _gets(proxy, name: str) -> list[dict[str, list[str]]]:
    """The query parameters of every GET of ``name`` through the proxy, in order."""
    with proxy._lock:
        paths = [p for m, p in proxy.requests if m == "GET" and name in p]
    return [parse_qs(urlsplit(p).query) for p in paths]


def _region(query: dict[str, list[str]]) -> str:
    return query["X-Amz-Credential"][0].split("/")[2]


def test_a_miss_is_one_presigned_get(tmp_path, s3_put, s3_bucket, proxy, s3_get_path):
    data = os.urandom(70_000)
    s3_put("d.bin", data)
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/d.bin"
    with Cache(tmp_path / "c", max_bytes=10**6, options=FAST) as cache:
        path = cache.get(uri)
        assert open(path, "rb").read() == data
        assert cache.stats()["bytes_fetched"] == len(data)
    gets = _gets(proxy, "d.bin")
    assert len(gets) == 1 and proxy.count("HEAD") == 0
    signed = "X-Amz-Signature" in gets[0]
    assert signed == (s3_get_path == "direct")  # s3fs signs in a header instead


def test_fetch_bytes_takes_the_direct_path(s3_put, s3_bucket, proxy, s3_get_path):
    s3_put("f.txt", b"direct bytes")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/f.txt"
    assert fetch_bytes(uri) == b"direct bytes"
    assert ("X-Amz-Signature" in _gets(proxy, "f.txt")[0]) == (s3_get_path == "direct")


@pytest.mark.parametrize("extra", [{"requester_pays": True},
                                   {"s3_additional_kwargs": {"RequestPayer": "requester"}},
                                   {"version_aware": True},
                                   {"no_such_option": 1}])
def test_options_it_cannot_honour_leave_it_to_fsspec(s3_server, extra):
    config.set_storage_options("s3://", endpoint_url=s3_server, key="k", secret="s", **extra)
    assert direct_for("s3://bucket/key") is None


def test_options_it_can_honour_are_mapped(s3_server):
    config.set_storage_options("s3://", key="k", secret="s", token="t",
                               client_kwargs={"endpoint_url": s3_server,
                                              "region_name": "ap-south-1"},
                               config_kwargs={"connect_timeout": 3}, max_concurrency=4)
    getter, bucket, key = direct_for("s3://b/dir/k.jpg")
    assert (bucket, key) == ("b", "dir/k.jpg")
    query = parse_qs(urlsplit(getter.signer.sign(bucket, key)).query)
    assert query["X-Amz-Credential"][0].startswith("k/") and _region(query) == "ap-south-1"
    assert query["X-Amz-Security-Token"] == ["t"]


def test_anonymous_urls_are_not_signed(s3_put, s3_server, s3_bucket):
    s3_put("pub.txt", b"public", public=True)
    config.set_storage_options("s3://", endpoint_url=s3_server, anon=True)
    getter, bucket, key = direct_for(f"s3://{s3_bucket}/pub.txt")
    url = getter.signer.sign(bucket, key)
    assert "X-Amz-Signature" not in url and url.endswith(f"/{s3_bucket}/pub.txt")
    assert fetch_bytes(f"s3://{s3_bucket}/pub.txt") == b"public"


def test_switched_off_by_the_environment(s3_server, monkeypatch):
    config.set_storage_options("s3://", endpoint_url=s3_server, key="k", secret="s")
    assert direct_for("s3://b/k") is not None
    monkeypatch.setenv("HYPERLOADER_S3_DIRECT", "off")
    assert direct_for("s3://b/k") is None


def test_a_region_redirect_is_followed_and_remembered(s3_put, s3_bucket, proxy, s3_get_path):
    if s3_get_path != "direct":
        pytest.skip("botocore follows S3 redirects itself")
    for name in ("r1.bin", "r2.bin"):
        s3_put(name, name.encode())
    base = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}"
    proxy.reset(fail_first=1, mode="redirect")
    assert fetch_bytes(f"{base}/r1.bin") == b"r1.bin"
    assert fetch_bytes(f"{base}/r2.bin") == b"r2.bin"
    first, second = _gets(proxy, "r1.bin")
    assert (_region(first), _region(second)) == ("us-east-1", "eu-west-1")
    assert [_region(q) for q in _gets(proxy, "r2.bin")] == ["eu-west-1"]  # straight there


def test_forbidden_falls_back_to_fsspec_once(s3_put, s3_bucket, proxy, s3_get_path):
    if s3_get_path != "direct":
        pytest.skip("only the direct path falls back")
    s3_put("p.bin", b"allowed on the second try")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/p.bin"
    proxy.reset(fail_first=1, mode="403")
    assert fetch_bytes(uri) == b"allowed on the second try"
    direct, via_s3fs = _gets(proxy, "p.bin")
    assert "X-Amz-Signature" in direct and "X-Amz-Signature" not in via_s3fs


def test_forbidden_for_good_is_a_permanent_store_error(s3_put, s3_bucket, proxy, fast_retry):
    s3_put("no.bin", b"x")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/no.bin"
    proxy.reset(fail_first=100, mode="403")
    with pytest.raises(StoreError, match="no.bin") as info:
        fetch_bytes(uri, retry=fast_retry)
    assert info.value.attempts == 1 and not info.value.transient
    assert isinstance(info.value.__cause__, PermissionError)


def _child_fetch(uri: str, queue) -> None:
    getter = direct_for(uri)[0]
    data = fetch_bytes(uri)
    queue.put((getter.pid, getter.pool_pid, id(getter._pool()), hashlib.md5(data).hexdigest()))


def test_a_forked_process_keeps_the_getter_but_opens_its_own_pool(s3_put, s3_bucket, proxy,
                                                                   s3_get_path):
    if s3_get_path != "direct":
        pytest.skip("about the direct path's pool")
    s3_put("a.bin", b"parent")
    s3_put("b.bin", b"child" * 1000)
    base = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}"
    assert fetch_bytes(f"{base}/a.bin") == b"parent"  # the parent's pool holds a connection
    parent = direct_for(f"{base}/a.bin")[0]
    parent_pool = parent._pool()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_fetch, args=(f"{base}/b.bin", queue))
    child.start()
    built_by, pool_pid, pool_id, md5 = queue.get(timeout=30)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert built_by == os.getpid()  # inherited: botocore's models were not loaded again
    assert pool_pid == child.pid and pool_id != id(parent_pool)
    assert md5 == hashlib.md5(b"child" * 1000).hexdigest()
    assert parent.pool_pid == os.getpid() and parent._pool() is parent_pool


def test_prepare_for_workers_builds_the_getters_of_s3_prefixes(s3_server):
    from hyperloader.io import _s3direct, prepare_for_workers

    config.set_storage_options("s3://", endpoint_url=s3_server, key="k", secret="prep")
    config.set_storage_options("s3://other-bucket/", endpoint_url=s3_server, key="k2",
                               secret="prep2")
    _s3direct._BUILT.clear()
    prepare_for_workers(["s3://", "s3://other-bucket/", "/local/root", "memory://x"])
    assert len(_s3direct._BUILT) == 2 and all(_s3direct._BUILT.values())
    # the getters that fetches will ask for are those
    assert direct_for("s3://any-bucket/k.jpg")[0] in _s3direct._BUILT.values()
    assert direct_for("s3://other-bucket/k.jpg")[0] in _s3direct._BUILT.values()
    assert len(_s3direct._BUILT) == 2


def test_s3direct_rejects_options_it_would_get_wrong():
    with pytest.raises(ValueError, match="requester_pays"):
        S3Direct({"requester_pays": True})
    with pytest.raises(ValueError, match="proxies"):
        S3Direct({"config_kwargs": {"proxies": {"http": "http://127.0.0.1:1"}}})


def test_tls_set_up_follows_botocore(s3_server, monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read until a TLS connection opens")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    assert S3Direct({"endpoint_url": s3_server})._pool().connection_pool_kw["ca_certs"] == \
        str(bundle)
    off = S3Direct({"endpoint_url": s3_server, "client_kwargs": {"verify": False}})
    assert off._pool().connection_pool_kw["cert_reqs"] == "CERT_NONE"


def test_a_tls_failure_leaves_it_to_s3fs(s3_put, s3_bucket, proxy, s3_get_path, monkeypatch):
    if s3_get_path != "direct":
        pytest.skip("only the direct path falls back")
    import urllib3

    s3_put("t.bin", b"over s3fs")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/t.bin"
    getter = direct_for(uri)[0]

    def refuse(*args, **kwargs):
        raise urllib3.exceptions.SSLError("certificate verify failed")

    monkeypatch.setattr(getter._pool(), "request", refuse)
    assert fetch_bytes(uri) == b"over s3fs"
    assert ["X-Amz-Signature" in q for q in _gets(proxy, "t.bin")] == [False]


def _child_build(uri: str, queue) -> None:
    queue.put(direct_for(uri) is not None)


def test_a_lock_held_at_fork_does_not_hang_the_child(s3_server):
    from hyperloader.io import _s3direct

    config.set_storage_options("s3://", endpoint_url=s3_server, key="k", secret="s")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    with _s3direct._BUILT_LOCK:  # as if a parent thread were building a getter right now
        child = ctx.Process(target=_child_build, args=("s3://b/fresh-options", queue))
        child.start()
    try:
        assert queue.get(timeout=20) is True
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


@pytest.mark.parametrize("name", ["with space.jpg", "plus+sign.jpg", "per%25cent%.jpg",
                                  "ünï/cødé.jpg", "q?mark#hash.jpg", "tilde~star*.jpg",
                                  "a//double.jpg"])
def test_keys_that_need_quoting(s3_put, s3_bucket, proxy, name):
    data = name.encode() * 3
    s3_put(name, data)
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/{name}"
    assert fetch_bytes(uri) == data
