"""HMAC-SHA256 signatures on webhook traffic, both ways: `Ccpa-Signature: t=<unix seconds>,v1=<hex>`.

The signed bytes are `<t>.` followed by the exact body, so neither the time nor the body can be swapped."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

HEADER = "ccpa-signature"


@dataclass(frozen=True)
class ParsedSignature:
    timestamp: int
    signatures: tuple[str, ...]


def sign(secret: str, body: bytes, moment: datetime) -> str:
    timestamp = int(moment.timestamp())
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def parse(header: str | None) -> ParsedSignature | None:
    if not header:
        return None
    timestamp: int | None = None
    signatures = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and len(value) == 64:
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        return None
    return ParsedSignature(timestamp, tuple(signatures))


def matches(secret: str, parsed: ParsedSignature, body: bytes) -> bool:
    expected = _mac(secret, parsed.timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in parsed.signatures)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
