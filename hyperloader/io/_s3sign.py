"""Presigned S3 GET URLs for one set of s3fs-style storage options.

botocore decides what varies between deployments: the credential chain, the region, the
endpoint and its addressing style, as it does for s3fs. It signs one probe URL per
bucket; a :class:`PresignTemplate` read off it signs every key after that (about 35 µs a
URL instead of botocore's 200-500 µs). Options this path would get wrong raise
``ValueError``, so that the caller leaves those URIs to s3fs.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from hyperloader._locks import ForkSafeLock
from hyperloader.io._sigv4 import PROBE_KEY, PresignTemplate

__all__ = ["S3Signer"]

logger = logging.getLogger(__name__)

_EXPIRES_S = 900
#: s3fs options that do not change what a GET returns (listing, upload and cache tuning).
_INERT = frozenset({
    "default_block_size", "default_fill_cache", "default_cache_type", "cache_regions",
    "max_concurrency", "fixed_upload_size", "use_listings_cache", "listings_expiry_time",
    "max_paths", "skip_instance_cache", "asynchronous",
})
#: s3fs options this module maps onto botocore.
_MAPPED = frozenset({"key", "secret", "token", "username", "password", "anon", "endpoint_url",
                     "client_kwargs", "config_kwargs", "profile", "use_ssl"})
#: s3fs options that change the request; harmless when false or empty.
_FALSY_OK = frozenset({"requester_pays", "version_aware", "s3_additional_kwargs", "session",
                       "loop"})


class S3Signer:
    """Signs GETs with botocore's view of ``options`` (as ``s3fs.S3FileSystem`` takes them).

    Attributes:
        endpoint_url: where the default-region client sends requests.
        verify: ``False`` (no TLS verification) or the CA bundle path, as botocore decides.
        config: the botocore ``Config`` (timeouts and pool size for the HTTP side).
        error: botocore's base exception (no credentials, ...), for callers to catch.

    Raises:
        ValueError: the options hold something a presigned GET cannot honour.
    """

    def __init__(self, options: dict[str, Any]) -> None:
        import botocore.exceptions
        import botocore.session
        from botocore import UNSIGNED
        from botocore.config import Config
        from botocore.httpsession import get_cert_path

        unknown = set(options) - _INERT - _MAPPED - _FALSY_OK
        changed = {k for k in _FALSY_OK if options.get(k)}
        if unknown or changed:
            raise ValueError(f"options {sorted(unknown | changed)} need the fsspec path")
        client_kwargs = dict(options.get("client_kwargs") or {})
        config_kwargs = dict(options.get("config_kwargs") or {})
        if config_kwargs.get("proxies"):
            raise ValueError("botocore proxies need the fsspec path")
        if options.get("anon"):
            config_kwargs["signature_version"] = UNSIGNED
        else:  # botocore presigns with SigV2 by default, which newer regions refuse
            config_kwargs.setdefault("signature_version", "s3v4")
        creds = {"aws_access_key_id": options.get("key") or options.get("username"),
                 "aws_secret_access_key": options.get("secret") or options.get("password"),
                 "aws_session_token": options.get("token")}
        for name, value in creds.items():
            if value is not None:
                client_kwargs.setdefault(name, value)
        if options.get("endpoint_url"):
            client_kwargs["endpoint_url"] = options["endpoint_url"]
        if "use_ssl" in options:
            client_kwargs.setdefault("use_ssl", options["use_ssl"])
        verify = client_kwargs.get("verify")
        self._session = botocore.session.Session(profile=options.get("profile"))
        self._client_kwargs = client_kwargs
        self.config = Config(**config_kwargs)
        self.error = botocore.exceptions.BotoCoreError
        self._clients: dict[str | None, Any] = {}
        # (region, bucket) -> how to sign its GETs; None: ask botocore for every URL
        self._templates: dict[tuple[str | None, str], PresignTemplate | None] = {}
        self._regions: dict[str, str] = {}
        self._lock = ForkSafeLock()
        self.endpoint_url: str = self._client(None).meta.endpoint_url
        if verify is None:  # as botocore decides: $AWS_CA_BUNDLE / ca_bundle, else certifi
            verify = self._session.get_config_variable("ca_bundle") or True
        self.verify: str | bool = False if verify is False else get_cert_path(verify)

    def sign(self, bucket: str, key: str) -> str:
        """Return a presigned (or, anonymous, plain) GET URL for ``bucket/key``.

        Raises:
            botocore.exceptions.BotoCoreError: no credentials, say.
        """
        region = self._regions.get(bucket)
        template: PresignTemplate | Literal[False] | None = self._templates.get(
            (region, bucket), False)
        if template is False:
            probe = self._presign(region, bucket, PROBE_KEY)
            template = PresignTemplate.from_probe(probe, self._credentials())
            if template is None:
                logger.debug("presigning GETs of bucket %s through botocore: %s", bucket, probe)
            self._templates[(region, bucket)] = template
        if template is None:
            return self._presign(region, bucket, key)
        return template.url(key)

    def region_of(self, bucket: str) -> str | None:
        """Return the region ``bucket`` was found to live in (None: the configured one)."""
        return self._regions.get(bucket)

    def move(self, bucket: str, region: str) -> None:
        """Sign the GETs of ``bucket`` for ``region`` from now on (after a region redirect)."""
        self._regions[bucket] = region

    def _client(self, region: str | None) -> Any:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                kwargs = dict(self._client_kwargs)
                if region is not None:
                    kwargs["region_name"] = region
                client = self._session.create_client("s3", config=self.config, **kwargs)
                self._clients[region] = client
            return client

    def _presign(self, region: str | None, bucket: str, key: str) -> str:
        return self._client(region).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=_EXPIRES_S)

    def _credentials(self) -> Any:
        """Return the credentials the clients sign with, resolved as ``create_client`` does."""
        from botocore.credentials import Credentials

        kwargs = self._client_kwargs
        if kwargs.get("aws_access_key_id") is not None \
                and kwargs.get("aws_secret_access_key") is not None:
            return Credentials(kwargs["aws_access_key_id"], kwargs["aws_secret_access_key"],
                               kwargs.get("aws_session_token"))
        return self._session.get_credentials()  # cached by the session since the first client
