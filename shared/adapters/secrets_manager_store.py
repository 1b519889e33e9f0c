"""SecretsManagerStore: webhook signing secrets, one secret per system under a stack prefix. Never logged or returned.

Reads are cached briefly per container: a callback burst must not become a burst of GetSecretValue calls, and a
rotated secret takes effect within the cache's lifetime."""

import time
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import StorageUnavailableError
from shared.observability import tracer

CACHE_SECONDS = 60.0


class SecretsManagerStore:
    def __init__(self, prefix: str, client: Any) -> None:
        self._prefix = prefix
        self._sm = client
        self._cache: dict[str, tuple[float, str | None]] = {}

    @tracer.capture_method(capture_response=False)
    def put(self, name: str, secret: str) -> None:
        secret_id = self._prefix + name
        try:
            self._sm.put_secret_value(SecretId=secret_id, SecretString=secret)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise StorageUnavailableError("the secret store refused the write") from error
            self._sm.create_secret(Name=secret_id, SecretString=secret,
                                   Description="ccpa-audit downstream webhook signing secret")
        self._cache[name] = (time.monotonic() + CACHE_SECONDS, secret)

    @tracer.capture_method(capture_response=False)
    def get(self, name: str) -> str | None:
        cached = self._cache.get(name)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            value: str | None = self._sm.get_secret_value(SecretId=self._prefix + name)["SecretString"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise StorageUnavailableError("the secret store could not be read") from error
            value = None
        self._cache[name] = (time.monotonic() + CACHE_SECONDS, value)
        return value
