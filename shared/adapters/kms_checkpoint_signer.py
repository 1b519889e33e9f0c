"""KmsCheckpointSigner: checkpoints are signed inside KMS with an ECC_NIST_P256 key; the private key never leaves it."""

from typing import Any

from shared.observability import tracer


class KmsCheckpointSigner:
    def __init__(self, key_id: str, client: Any) -> None:
        self._key_id = key_id
        self._kms = client
        self._public_key: bytes | None = None

    def public_key_der(self) -> bytes:
        if self._public_key is None:  # fixed for the key's life: one call per container
            self._public_key = bytes(self._kms.get_public_key(KeyId=self._key_id)["PublicKey"])
        return self._public_key

    @tracer.capture_method(capture_response=False)
    def sign(self, message: bytes) -> bytes:
        # RAW: KMS hashes the message itself (SHA-256), so the signature is over the exact note body.
        response = self._kms.sign(KeyId=self._key_id, Message=message, MessageType="RAW",
                                  SigningAlgorithm="ECDSA_SHA_256")
        return bytes(response["Signature"])
