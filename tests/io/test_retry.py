from __future__ import annotations

import errno
import pickle

import aiohttp
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from hyperloader.errors import StoreError
from hyperloader.io import RetryPolicy, is_transient
from hyperloader.io._retry import call_with_retry


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject")


def _aiohttp_status(status: int) -> aiohttp.ClientResponseError:
    return aiohttp.ClientResponseError(request_info=None, history=(), status=status)


def _caused(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize("exc", [
    ConnectionResetError(),
    ConnectionAbortedError(),
    TimeoutError(),
    OSError(errno.ECONNRESET, "reset"),
    OSError(errno.EBUSY, "s3fs maps 503 / SlowDown here"),
    _client_error("SlowDown", 503),
    _client_error("Throttling", 400),
    _client_error("InternalError", 500),
    _client_error("Whatever", 502),
    _caused(OSError(errno.EIO, "s3fs wrapper"), _client_error("Odd", 504)),
    _caused(FileNotFoundError("http _info gives up"), _aiohttp_status(503)),
    _aiohttp_status(500),
    _aiohttp_status(429),
    aiohttp.ServerDisconnectedError(),
    EndpointConnectionError(endpoint_url="http://x"),
    ReadTimeoutError(endpoint_url="http://x"),
])
def test_transient_errors(exc):
    assert is_transient(exc)


@pytest.mark.parametrize("exc", [
    FileNotFoundError("k"),
    PermissionError("k"),
    _client_error("NoSuchKey", 404),
    _client_error("AccessDenied", 403),
    _aiohttp_status(404),
    _caused(FileNotFoundError("http _info"), _aiohttp_status(404)),
    OSError(errno.EIO, "unknown"),
    ValueError("bug"),
])
def test_permanent_errors(exc):
    assert not is_transient(exc)


def test_delay_is_full_jitter_capped():
    policy = RetryPolicy(max_attempts=5, base=0.05, cap=0.3)
    for attempt in range(8):
        ceiling = min(0.3, 0.05 * 2**attempt)
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spans the range, not a fixed value


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base": -1.0}, {"cap": -0.1}])
def test_policy_rejects_bad_values(kwargs):
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**kwargs)


def test_transient_failures_are_retried_until_success():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError("peer reset")
        return "ok"

    policy = RetryPolicy(max_attempts=5, base=0.001, cap=0.002)
    assert call_with_retry(flaky, uri="s3://b/k", what="fetching", policy=policy) == "ok"
    assert len(calls) == 3


def test_exhausted_attempts_raise_store_error_with_cause():
    calls = []

    def always():
        calls.append(1)
        raise _client_error("SlowDown", 503)

    policy = RetryPolicy(max_attempts=3, base=0.001, cap=0.002)
    with pytest.raises(StoreError) as info:
        call_with_retry(always, uri="s3://b/k", what="fetching", policy=policy)
    assert len(calls) == 3
    err = info.value
    assert err.uri == "s3://b/k" and err.attempts == 3 and err.transient
    assert "s3://b/k" in str(err) and "3 attempt" in str(err) and "SlowDown" in str(err)
    assert isinstance(err.__cause__, ClientError)
    assert isinstance(err, OSError)


def test_permanent_failure_is_not_retried():
    calls = []

    def missing():
        calls.append(1)
        raise FileNotFoundError("b/k")

    with pytest.raises(StoreError, match="not found") as info:
        call_with_retry(missing, uri="s3://b/k", what="fetching", policy=RetryPolicy())
    assert len(calls) == 1
    assert info.value.attempts == 1 and not info.value.transient


def test_store_error_survives_pickling():
    with pytest.raises(StoreError) as info:
        call_with_retry(lambda: (_ for _ in ()).throw(PermissionError("no")), uri="s3://b/k",
                        what="fetching", policy=RetryPolicy())
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is StoreError
    assert (clone.uri, clone.attempts, str(clone)) == ("s3://b/k", 1, str(info.value))
