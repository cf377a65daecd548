from __future__ import annotations

import hashlib
import time

import pytest

from hyperloader.errors import StoreError
from hyperloader.io import fetch_bytes, fetch_info


def test_fetch_bytes_local_and_file_url(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"local bytes")
    assert fetch_bytes(str(path)) == b"local bytes"
    assert fetch_bytes(path.as_uri()) == b"local bytes"


def test_fetch_bytes_and_info_memory(mem_put):
    uri = mem_put("/fetch/one.bin", b"x" * 1234)
    assert fetch_bytes(uri) == b"x" * 1234
    info = fetch_info(uri)
    assert info.size == 1234 and info.uri == uri and info.md5 is None


def test_fetch_s3_with_configured_options(s3_put, s3_configured):
    data = b"hello s3" * 100
    uri = s3_put("dir/obj.bin", data)
    assert fetch_bytes(uri) == data
    info = fetch_info(uri)
    assert info.size == len(data)
    assert info.md5 == hashlib.md5(data).hexdigest()  # single-part S3 ETag is the MD5


def test_fetch_s3_host_port_form_without_config(s3_put, s3_server, s3_bucket):
    s3_put("k.txt", b"minio form")
    host_port = s3_server.removeprefix("http://")
    assert fetch_bytes(f"s3://{host_port}/{s3_bucket}/k.txt") == b"minio form"


def test_missing_object_fails_fast_with_not_found(s3_bucket, proxy, fast_retry):
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/nope.bin"
    with pytest.raises(StoreError, match="not found") as info:
        fetch_bytes(uri, retry=fast_retry)
    assert info.value.uri == uri and info.value.attempts == 1
    assert proxy.count("GET", "nope.bin") == 1
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_missing_memory_object_is_store_error():
    with pytest.raises(StoreError, match="memory://missing/x"):
        fetch_bytes("memory://missing/x")


def test_unknown_protocol_is_store_error():
    with pytest.raises(StoreError, match="nosuchproto://x"):
        fetch_bytes("nosuchproto://x")


@pytest.mark.parametrize("mode", ["503", "reset"])
def test_s3_retries_through_injected_faults(s3_put, s3_bucket, proxy, fast_retry, mode):
    s3_put("flaky.bin", b"payload")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/flaky.bin"
    proxy.reset(fail_first=2, mode=mode)
    assert fetch_bytes(uri, retry=fast_retry) == b"payload"
    assert proxy.failures == 2
    if mode == "503":  # a reset may also be retried inside aiobotocore; a 503 is only ours
        assert proxy.count("GET", "flaky.bin") == 3  # one request per attempt, no HEAD
        assert proxy.count("HEAD") == 0


@pytest.mark.parametrize("mode", ["503", "reset"])
def test_http_retries_through_injected_faults(s3_put, s3_bucket, proxy, fast_retry, mode):
    s3_put("page.txt", b"over http", public=True)
    uri = f"{proxy.url}/{s3_bucket}/page.txt"
    proxy.reset(fail_first=2, mode=mode)
    assert fetch_bytes(uri, retry=fast_retry) == b"over http"
    assert proxy.failures == 2
    assert proxy.count("GET", "page.txt") == 3


def test_gives_up_after_max_attempts(s3_put, s3_bucket, proxy, fast_retry):
    s3_put("down.bin", b"never")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/down.bin"
    proxy.reset(fail_first=100, mode="503")
    with pytest.raises(StoreError) as info:
        fetch_bytes(uri, retry=fast_retry)
    err = info.value
    assert err.attempts == fast_retry.max_attempts and err.transient
    assert uri in str(err) and f"{fast_retry.max_attempts} attempt" in str(err)
    assert err.__cause__ is not None
    assert proxy.count(path_contains="down.bin") == fast_retry.max_attempts


def test_proxy_latency_is_applied(s3_put, s3_bucket, proxy):
    s3_put("slow.bin", b"slow")
    uri = f"s3://127.0.0.1:{proxy.port}/{s3_bucket}/slow.bin"
    fetch_bytes(uri)  # warm the connection
    proxy.reset(latency_s=0.2)
    start = time.perf_counter()
    assert fetch_bytes(uri) == b"slow"
    assert time.perf_counter() - start >= 0.2


def test_a_directory_is_not_an_object(mem_put):
    mem_put("/dir/inside.bin", b"x")
    with pytest.raises(StoreError, match="is a directory"):
        fetch_info("memory://dir")
