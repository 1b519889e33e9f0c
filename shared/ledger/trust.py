"""The verifier's trust anchor: which public key a bundle must be signed by. Pure: no network, no AWS.

A bundle carries its own public key, so by itself it can only prove it is intact and consistent under that key,
not who signed it: anyone can rebuild the log, proofs, checkpoints and manifest under a key of their own. A pin
names the key to trust: whole keys (a PEM file, or the keys fetched from `GET /ledger/keys`), or an identifier to
look for among the bundle's keys (the key's SHA-256 fingerprint, or its 4-byte signed-note key id).
"""

import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class TrustedKey:
    pem: bytes
    fingerprint: str  # SHA-256 of the DER SubjectPublicKeyInfo, hex: `openssl pkey -pubin -outform DER | sha256sum`
    key_id: str  # the signed-note key id: the fingerprint's first 4 bytes

    @property
    def key_hash(self) -> bytes:
        return bytes.fromhex(self.key_id)


def trusted_key(pem: bytes) -> TrustedKey:
    """ValueError unless `pem` is an ECDSA P-256 public key (SubjectPublicKeyInfo PEM)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ValueError("not a PEM public key") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 public key")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha256(der).hexdigest()
    canonical = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return TrustedKey(pem=canonical, fingerprint=digest, key_id=digest[:8])


@dataclass(frozen=True)
class KeyPin:
    """What `--key` named. `keys`: the keys themselves; `ids`: fingerprints (64 hex) or key ids (8 hex)."""

    source: str
    keys: tuple[TrustedKey, ...] = ()
    ids: tuple[str, ...] = ()

    def matches(self, key: TrustedKey) -> bool:
        if self.keys:
            return any(key.fingerprint == pinned.fingerprint for pinned in self.keys)
        return any(ident in (key.fingerprint, key.key_id) for ident in self.ids)

    @property
    def weak(self) -> bool:
        """A 4-byte key id can be matched by a key ground for it (2^32 tries): only a whole key or fingerprint is
        a strong pin."""
        return not self.keys and all(len(ident) == 8 for ident in self.ids)


def key_identifier(text: str) -> str | None:
    """A fingerprint or key id as people write it (`sha256:` prefix, colons, upper case), or None."""
    ident = text.strip().lower().removeprefix("sha256:").replace(":", "")
    return ident if len(ident) in (8, 64) and _HEX.fullmatch(ident) else None
