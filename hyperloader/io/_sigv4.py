"""Presigned S3 GET URLs at a tenth of botocore's cost, shaped by a URL botocore signed.

``generate_presigned_url`` runs botocore's whole request pipeline (parameter validation,
event hooks, endpoint rules, a generic SigV4 signer): 200-500 µs per URL. On a cold cache
fed by two DataLoader workers that was a third of the workers' Python time. A GET needs
only the SigV4 query-string algorithm over one host and one path, which costs about 20 µs
with the signing key kept per day.

botocore still decides everything that varies between deployments: a *probe* URL it
signs for one bucket gives the scheme, host, addressing style (path or virtual-hosted),
region, signing name and access key. :meth:`PresignTemplate.from_probe` reads those and
declines (returns None) whenever the probe is not the plain SigV4 shape this module
reproduces; the caller then keeps asking botocore for every URL. The tests hold each URL
equal to botocore's own, character for character.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

__all__ = ["PROBE_KEY", "PresignTemplate"]

PROBE_KEY = "hyperloader-probe"
_ALGORITHM = "AWS4-HMAC-SHA256"
_AUTH_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_clock = time.time  # the signing time; tests set it, as they set botocore's


def _quote(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _canonical_host(scheme: str, netloc: str) -> str:
    """Return the host SigV4 signs: botocore drops the port when it is the scheme's default."""
    parts = urlsplit(f"{scheme}://{netloc}")
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port
    return host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


class PresignTemplate:
    """Builds GET URLs for the keys of one bucket, as botocore would for the probe's settings.

    Args:
        prefix: everything before the quoted key (``scheme://host/path-prefix/``).
        region: the region of the signing scope; None for an unsigned (anonymous) URL.
        service: the signing name of the scope (``s3``).
        expires: the ``X-Amz-Expires`` value, seconds.
        credentials: a botocore ``Credentials`` (refreshable ones are re-read per URL).
    """

    def __init__(self, prefix: str, region: str | None = None, service: str = "s3",
                 expires: int = 900, credentials: Any = None) -> None:
        self.prefix = prefix
        self.region, self.service, self.expires = region, service, int(expires)
        self._credentials = credentials
        parts = urlsplit(prefix)
        self._host = _canonical_host(parts.scheme, parts.netloc)
        self._path = parts.path
        self._key: tuple[str, str, bytes] | None = None  # (secret, day, signing key)

    @classmethod
    def from_probe(cls, url: str, credentials: Any) -> PresignTemplate | None:
        """Read the template off ``url``, botocore's presigned GET of ``PROBE_KEY``.

        Returns None when the URL is not a plain SigV4 query-signed (or unsigned) GET, or
        was signed with other credentials than ``credentials``.
        """
        parts = urlsplit(url)
        if parts.fragment or not parts.path.endswith("/" + PROBE_KEY):
            return None
        prefix = f"{parts.scheme}://{parts.netloc}{parts.path[:-len(PROBE_KEY)]}"
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not query:
            return cls(prefix)  # anonymous: the URL is the address, nothing more
        params = dict(query)
        if len(params) != len(query) or not set(params) <= set(_AUTH_PARAMS) \
                or params.get("X-Amz-Algorithm") != _ALGORITHM \
                or params.get("X-Amz-SignedHeaders") != "host" or credentials is None:
            return None
        scope = params.get("X-Amz-Credential", "").split("/")
        frozen = credentials.get_frozen_credentials()
        if len(scope) != 5 or scope[0] != frozen.access_key or scope[4] != "aws4_request" \
                or ("X-Amz-Security-Token" in params) != bool(frozen.token):
            return None
        try:
            expires = int(params["X-Amz-Expires"])
        except (KeyError, ValueError):
            return None
        return cls(prefix, scope[2], scope[3], expires, credentials)

    def url(self, key: str, now: float | None = None) -> str:
        """Return the GET URL of ``key``, signed at ``now`` (seconds since the epoch)."""
        path = _quote(key, safe="/~")
        if self.region is None:
            return self.prefix + path
        frozen = self._credentials.get_frozen_credentials()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(_clock() if now is None else now))
        day = stamp[:8]
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        params = [("X-Amz-Algorithm", _ALGORITHM),
                  ("X-Amz-Credential", f"{frozen.access_key}/{scope}"),
                  ("X-Amz-Date", stamp), ("X-Amz-Expires", str(self.expires)),
                  ("X-Amz-SignedHeaders", "host")]
        if frozen.token:
            params.append(("X-Amz-Security-Token", frozen.token))
        encoded = [(_quote(k), _quote(v)) for k, v in params]
        query = "&".join(f"{k}={v}" for k, v in sorted(encoded))  # canonical: sorted pairs
        canonical = "\n".join(("GET", self._path + path, query,
                               f"host:{self._host}\n", "host", "UNSIGNED-PAYLOAD"))
        to_sign = "\n".join((_ALGORITHM, stamp, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()))
        signing_key = self._signing_key(frozen.secret_key, day, self.region)
        signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        signed = "&".join(f"{k}={v}" for k, v in encoded)  # botocore's order, which S3 ignores
        return f"{self.prefix}{path}?{signed}&X-Amz-Signature={signature}"

    def _signing_key(self, secret: str, day: str, region: str) -> bytes:
        cached = self._key
        if cached is not None and cached[0] == secret and cached[1] == day:
            return cached[2]
        key = _hmac(f"AWS4{secret}".encode(), day)
        for part in (region, self.service, "aws4_request"):
            key = _hmac(key, part)
        self._key = (secret, day, key)
        return key
