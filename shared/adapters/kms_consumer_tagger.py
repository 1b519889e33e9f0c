"""KmsConsumerTagger: consumer tags as KMS HMAC-SHA256 over a normalized identifier; the key never leaves KMS."""

from functools import lru_cache
from typing import Any

from shared.observability import tracer


class KmsConsumerTagger:
    def __init__(self, key_id: str, client: Any) -> None:
        self._key_id = key_id
        self._kms = client
        self._cached = lru_cache(maxsize=4096)(self._generate)

    def tag(self, subject: str) -> str:
        return self._cached(subject)

    @tracer.capture_method(capture_response=False)
    def _generate(self, subject: str) -> str:
        response = self._kms.generate_mac(KeyId=self._key_id, Message=subject.encode(), MacAlgorithm="HMAC_SHA_256")
        return bytes(response["Mac"]).hex()
