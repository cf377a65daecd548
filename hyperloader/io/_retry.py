"""Which storage errors are worth retrying, and the capped, jittered backoff that retries them."""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPException
from typing import TypeVar

from hyperloader.errors import StoreError

__all__ = ["RetryPolicy", "call_with_retry", "is_transient"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ECONNRESET", "ECONNABORTED", "ECONNREFUSED", "ETIMEDOUT", "EPIPE",
                 "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "ENETRESET", "EAGAIN",
                 "EBUSY", "EREMOTEIO")  # s3fs maps 503/SlowDown to EBUSY, 500 to EREMOTEIO
    if hasattr(errno, name)
)
_THROTTLE_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestTimeout",
    "RequestLimitExceeded", "TooManyRequestsException", "ServiceUnavailable", "InternalError",
    "RequestThrottled", "ProvisionedThroughputExceededException",
})
_PERMANENT = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter (the AWS architecture-blog variant).

    Attempt ``n`` (0-based) that failed transiently waits ``uniform(0, min(cap, base * 2**n))``
    seconds before the next one.

    Attributes:
        max_attempts: total tries, the first included (1 means no retry).
        base: the first backoff ceiling, in seconds.
        cap: the largest backoff ceiling, in seconds.
    """

    max_attempts: int = 5
    base: float = 0.05
    cap: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}")
        if self.base < 0 or self.cap < 0:
            raise ValueError(f"RetryPolicy.base and cap must be >= 0, got {self.base}, {self.cap}")

    def delay(self, attempt: int) -> float:
        """Return the sleep before retrying after the failed 0-based ``attempt``."""
        return random.uniform(0.0, min(self.cap, self.base * (2.0 ** attempt)))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status_verdict(status: int | None) -> bool | None:
    if status is None:
        return None
    return status >= 500 or status == 429


def _classify(exc: BaseException) -> bool | None:
    """Return True (transient), False (permanent) or None (look at the cause)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:  # botocore ClientError
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _THROTTLE_CODES:
            return True
        return _status_verdict(status if status is not None else _int_or_none(code))
    aiohttp_error, botocore_transient = _third_party_types()
    if isinstance(exc, aiohttp_error):
        status = getattr(exc, "status", None)  # ClientResponseError carries the HTTP status
        return _status_verdict(status) if isinstance(status, int) else True
    if isinstance(exc, botocore_transient):
        return True  # connection closed / refused, read timeout, truncated body
    if isinstance(exc, _PERMANENT):
        return None if (exc.__cause__ or exc.__context__) else False
    if isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError, HTTPException)):
        return True
    if type(exc).__name__ == "FSTimeoutError":
        return True
    if isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS:
        return True
    return None


def _third_party_types() -> tuple[tuple[type, ...], tuple[type, ...]]:
    # Looked up lazily in sys.modules: an error of a library that was never imported
    # cannot be raised, and io must not import aiohttp or botocore itself.
    aio = sys.modules.get("aiohttp")
    boto = sys.modules.get("botocore.exceptions")
    aiohttp_error = (aio.ClientError,) if aio is not None else ()
    names = ("ConnectionError", "HTTPClientError", "IncompleteReadError", "ResponseStreamingError")
    boto_types = tuple(getattr(boto, n) for n in names if hasattr(boto, n)) if boto else ()
    return aiohttp_error, boto_types


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def is_transient(exc: BaseException) -> bool:
    """Return True when ``exc`` (or what caused it) is a failure worth retrying.

    Transient: connection reset/aborted/refused, timeouts, HTTP 5xx and 429, S3 ``SlowDown``
    and throttling codes, network ``errno`` values, ``aiohttp.ClientError``. Permanent:
    not found, forbidden, anything unrecognised.
    """
    for link in _chain(exc):
        verdict = _classify(link)
        if verdict is not None:
            return verdict
    return False


def call_with_retry(fn: Callable[[], T], *, uri: str, what: str,
                    policy: RetryPolicy | None = None) -> T:
    """Call ``fn`` until it succeeds, retrying transient failures under ``policy``.

    Args:
        fn: the operation; it must be safe to repeat.
        uri: the object's URI, for the error message.
        what: a verb phrase for the message ("fetching", "reading the size of").
        policy: the backoff; ``RetryPolicy()`` when None.

    Raises:
        StoreError: on a permanent failure, or when every attempt failed. Attributes ``uri``,
            ``attempts``, ``transient``; chained ``from`` the last underlying error.
    """
    policy = policy or RetryPolicy()
    tries = 0
    while True:
        try:
            return fn()
        except StoreError:
            raise  # already final, and already names the URI
        except Exception as exc:  # noqa: BLE001 - classified below, re-raised as StoreError
            transient = is_transient(exc)
            tries += 1
            if transient and tries < policy.max_attempts:
                pause = policy.delay(tries - 1)
                logger.debug("%s %s failed (%r), retry %d in %.3fs", what, uri, exc, tries, pause)
                time.sleep(pause)
                continue
            if isinstance(exc, FileNotFoundError) and not transient:
                msg = f"{what} {uri!r} failed: not found ({type(exc).__name__}: {exc})"
            else:
                kind = "transient error, attempts exhausted" if transient else "permanent error"
                msg = (f"{what} {uri!r} failed after {tries} attempt(s) ({kind}): "
                       f"{type(exc).__name__}: {exc}")
            raise StoreError(msg, uri=uri, attempts=tries, transient=transient) from exc
