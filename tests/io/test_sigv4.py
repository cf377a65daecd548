"""Presigned GET URLs built from a probe: equal to botocore's own, or declined."""

from __future__ import annotations

import datetime
from collections import namedtuple

import botocore.auth
import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.credentials import Credentials

from hyperloader.io import _sigv4
from hyperloader.io._s3direct import S3Direct
from hyperloader.io._sigv4 import PROBE_KEY, PresignTemplate

KEYS = ["a.jpg", "dir/sub/x y+z.jpg", "ünï/cödé.png", "~t/(p)!*'@$&=;:,?.jpg", "a//b", "%41",
        "/lead", "x#y", "tab\there", "emoji/😀.jpg"]
SETUPS = {
    "moto-like endpoint with port": dict(endpoint_url="http://127.0.0.1:9000"),
    "aws virtual-hosted": dict(region_name="us-east-1"),
    "aws other region with session token": dict(region_name="eu-west-1", token="tok/en+=="),
    "https endpoint on its default port, path style": dict(
        endpoint_url="https://minio.local:443", style="path"),
    "aws path style": dict(region_name="us-west-2", style="path"),
    "ipv6 endpoint": dict(endpoint_url="http://[::1]:9000"),
}
Frozen = namedtuple("Frozen", "access_key secret_key token")


def _client(setup: dict, key: str = "AKID", secret: str = "SECRET", token: str | None = None):
    setup = dict(setup)
    token = setup.pop("token", token)
    style = setup.pop("style", None)
    config = {"signature_version": "s3v4"}
    if style:
        config["s3"] = {"addressing_style": style}
    setup.setdefault("region_name", "us-east-1")
    return botocore.session.Session().create_client(
        "s3", aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(**config), **setup)


def _presign(client, bucket: str, key: str) -> str:
    return client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                         ExpiresIn=900)


@pytest.fixture
def clock(monkeypatch):
    """Set botocore's and hyperloader's signing clocks; the setter returns the timestamp."""
    def set_to(when: datetime.datetime) -> float:
        stamp = when.replace(tzinfo=datetime.timezone.utc).timestamp()
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: when)
        monkeypatch.setattr(_sigv4, "_clock", lambda: stamp)
        return stamp

    return set_to


@pytest.mark.parametrize("bucket", ["bench", "my.dotted.bucket"])
@pytest.mark.parametrize("setup", list(SETUPS))
def test_urls_equal_botocores(clock, setup, bucket):
    now = clock(datetime.datetime(2026, 11, 21, 21, 40, 5))
    client = _client(SETUPS[setup])
    creds = Credentials("AKID", "SECRET", SETUPS[setup].get("token"))
    template = PresignTemplate.from_probe(_presign(client, bucket, PROBE_KEY), creds)
    assert template is not None
    for key in KEYS:
        assert template.url(key, now) == _presign(client, bucket, key), key


def test_the_signing_key_follows_the_day(clock):
    client = _client(SETUPS["moto-like endpoint with port"])
    clock(datetime.datetime(2026, 11, 21, 23, 59, 59))
    template = PresignTemplate.from_probe(_presign(client, "b", PROBE_KEY),
                                          Credentials("AKID", "SECRET"))
    for when in (datetime.datetime(2026, 11, 21, 23, 59, 59),
                 datetime.datetime(2026, 11, 22, 0, 0, 1),
                 datetime.datetime(2026, 11, 21, 12, 0, 0)):
        now = clock(when)
        assert template.url("k.jpg", now) == _presign(client, "b", "k.jpg"), when


class _Rotating:
    """Credentials that change between calls, as refreshable ones do."""

    def __init__(self, *frozen: Frozen) -> None:
        self.frozen = list(frozen)
        self.calls = 0

    def get_frozen_credentials(self) -> Frozen:
        self.calls += 1
        return self.frozen[min(self.calls - 1, len(self.frozen) - 1)]


def test_refreshed_credentials_are_used_for_the_next_url(clock):
    now = clock(datetime.datetime(2026, 11, 21, 10, 0, 0))
    setup = SETUPS["aws virtual-hosted"]
    first, second = Frozen("AKID", "SECRET", None), Frozen("AKID", "NEWSECRET", "T")
    rotating = _Rotating(first, first, second)
    probe = _presign(_client(setup), "b", PROBE_KEY)
    template = PresignTemplate.from_probe(probe, rotating)  # reads the first
    assert template.url("k", now) == _presign(_client(setup), "b", "k")
    assert template.url("k", now) == _presign(_client(setup, secret="NEWSECRET", token="T"),
                                              "b", "k")


def test_anonymous_urls_are_the_address(clock):
    client = botocore.session.Session().create_client(
        "s3", region_name="us-east-1", config=Config(signature_version=UNSIGNED),
        endpoint_url="http://127.0.0.1:9000")
    template = PresignTemplate.from_probe(_presign(client, "b", PROBE_KEY), None)
    for key in KEYS:
        assert template.url(key) == _presign(client, "b", key)
        assert "?" not in template.url(key)


@pytest.mark.parametrize("probe, why", [
    ("http://h/b/hyperloader-probe?AWSAccessKeyId=AKID&Signature=x&Expires=1", "SigV2"),
    ("http://h/b/hyperloader-probe?x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256"
     "&X-Amz-Credential=AKID%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261121T0"
     "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=s", "an extra parameter"),
    ("http://h/b/hyperloader-probe?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256"
     "&X-Amz-Credential=AKID%2F20261121%2Fs3%2Faws4_request&X-Amz-Date=20261121T0"
     "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=s", "SigV4a"),
    ("http://h/b/hyperloader-probe?X-Amz-Algorithm=AWS4-HMAC-SHA256"
     "&X-Amz-Credential=OTHER%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261121T0"
     "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=s", "another access key"),
    ("http://h/b/hyperloader-probe?X-Amz-Algorithm=AWS4-HMAC-SHA256"
     "&X-Amz-Credential=AKID%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261121T0"
     "&X-Amz-Expires=900&X-Amz-SignedHeaders=host%3Bx-amz-foo&X-Amz-Signature=s",
     "more signed headers"),
    ("http://h/b/hyperloader-probe?X-Amz-Algorithm=AWS4-HMAC-SHA256"
     "&X-Amz-Credential=AKID%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261121T0"
     "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=t&X-Amz-Signature=s",
     "a token the credentials do not have"),
    ("http://h/b/other-key?X-Amz-Algorithm=AWS4-HMAC-SHA256", "the key is not at the end"),
])
def test_probes_it_cannot_reproduce_are_declined(probe, why):
    assert PresignTemplate.from_probe(probe, Credentials("AKID", "SECRET")) is None, why


@pytest.fixture
def direct_options():
    return {"key": "AKID", "secret": "SECRET", "endpoint_url": "http://127.0.0.1:9000",
            "client_kwargs": {"region_name": "us-east-1"}}


def test_s3direct_signs_like_its_botocore_client(clock, direct_options):
    now = datetime.datetime(2026, 11, 21, 8, 30, 0)
    clock(now)
    direct = S3Direct(direct_options)
    client = _client({"endpoint_url": "http://127.0.0.1:9000"})
    for key in KEYS:
        assert direct.signer.sign("bench", key) == _presign(client, "bench", key)
    assert direct.signer._templates[(None, "bench")] is not None  # the fast path signed them


def test_s3direct_asks_botocore_per_url_when_the_probe_is_declined(clock, direct_options,
                                                                   monkeypatch):
    clock(datetime.datetime(2026, 11, 21, 8, 30, 0))
    monkeypatch.setattr(PresignTemplate, "from_probe", classmethod(lambda cls, url, c: None))
    direct = S3Direct(direct_options)
    client = _client({"endpoint_url": "http://127.0.0.1:9000"})
    assert direct.signer.sign("bench", "a b.jpg") == _presign(client, "bench", "a b.jpg")
    assert direct.signer._templates[(None, "bench")] is None
