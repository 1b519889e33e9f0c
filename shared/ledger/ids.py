"""Time-ordered identifiers (UUIDv7, RFC 9562) and 32-byte nonces."""

import hashlib
import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(unix_ms: int | None = None) -> str:
    """UUIDv7 with a 12-bit counter in rand_a, so ids minted in the same millisecond still sort in order."""
    global _last_ms, _counter
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    drawn = int.from_bytes(os.urandom(10), "big")  # one read of the random source: 64 bits for rand_b, 16 to seed
    with _lock:
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond (RFC 9562 6.2, method 1)
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms, _counter = ms, (drawn >> 64) & 0x3FF
        counter = _counter
    rand_b = drawn & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    hex_ = f"{value:032x}"  # str(uuid.UUID(int=value)), without building the object (three ids per request)
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"


def nonce_hex() -> str:
    """A random 32-byte nonce, so an event's hash cannot be guessed from its known content."""
    return os.urandom(32).hex()


def nonce_hexes(count: int) -> list[str]:
    """`count` nonces like nonce_hex's, from one read of the system's random source (a batch draws hundreds)."""
    drawn = os.urandom(32 * count).hex()
    return [drawn[start:start + 64] for start in range(0, 64 * count, 64)]


def uuid8(namespace: str, name: str) -> str:
    """A deterministic UUID (version 8) from SHA-256 of a namespace and a name: retries of the same thing get the
    same id, and the id reveals nothing of the name."""
    digits = hashlib.sha256(namespace.encode() + b"\0" + name.encode()).hexdigest()
    # Version 8 in the 13th digit, the RFC 9562 variant (binary 10xx) in the 17th: written as text, which is what
    # uuid.UUID would do with the bytes, without building one (the access log names up to 500 per request).
    return (f"{digits[:8]}-{digits[8:12]}-8{digits[13:16]}-{_VARIANT[int(digits[16], 16) & 0x3]}{digits[17:20]}-"
            f"{digits[20:32]}")


_VARIANT = "89ab"
