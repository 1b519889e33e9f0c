"""Canonical JSON (ledger v1): the exact bytes every event hash is computed over.

Restricted JSON (strings, safe integers, booleans, null, arrays, objects with ASCII keys), NFC text,
keys sorted, no whitespace, UTF-8. Under these limits the output equals RFC 8785 (JCS).
"""

import hashlib
import json
import re
import unicodedata
from typing import Any

MAX_SAFE_INT = 2**53 - 1
_LONG_NUMBER = re.compile(rb"[:,\[]-?[0-9]{16,}")


class CanonicalError(ValueError):
    """A value outside the ledger's JSON subset (floats, big integers, non-ASCII keys, other types)."""


def normalize(value: Any, path: str = "$") -> Any:
    """Return `value` with every string NFC-normalized; raise CanonicalError on anything outside the subset."""
    try:
        return _normalized(value)
    except CanonicalError:
        return _located(value, path)  # the same walk again, now naming where the value breaks the rules


def _normalized(value: Any) -> Any:
    """normalize() without building a path per node: every event is canonicalized, so this is the hot path."""
    kind = type(value)
    if kind is str:
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise CanonicalError("key")
            out[key] = _normalized(item)
        return out
    if kind is list or kind is tuple:
        return [_normalized(item) for item in value]
    if value is None or kind is bool:
        return value
    if kind is int:
        if abs(value) > MAX_SAFE_INT:
            raise CanonicalError("int")
        return value
    return _located(value, "$")  # subclasses of the allowed types take the careful walk


def _located(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise CanonicalError(f"{path}: integer outside +/-(2^53-1)")
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return [_located(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise CanonicalError(f"{path}: object keys must be ASCII strings")
            out[key] = _located(item, f"{path}.{key}")
        return out
    raise CanonicalError(f"{path}: {type(value).__name__} is not allowed in canonical JSON")


def canonical_bytes(value: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8, NFC; json's escaping of control characters matches RFC 8785."""
    return json.dumps(normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_hash(envelope: dict[str, Any]) -> str:
    """event_hash = SHA-256 over the canonical bytes of the whole envelope (DESIGN section 4)."""
    return sha256_hex(canonical_bytes(envelope))


def _no_float(text: str) -> Any:
    raise CanonicalError(f"number {text} is not an integer")


def parse_canonical(data: bytes) -> Any:
    """Parse bytes that claim to be canonical and return the value; CanonicalError if they are not exactly the
    canonical form. Pure-ASCII input (the common case) is checked at C speed: a float or a big integer cannot
    parse, and re-encoding must give the same bytes; other input takes the full NFC and key rules."""
    try:
        value = json.loads(data, parse_float=_no_float, parse_constant=_no_float)
    except ValueError as error:
        raise CanonicalError(str(error)) from None
    except RecursionError:
        raise CanonicalError("nested too deeply") from None
    simple = data.isascii() and not _LONG_NUMBER.search(data)  # 16+ digits: maybe beyond 2^53, check fully
    try:
        encoded = (json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
                   if simple else canonical_bytes(value))
    except RecursionError:
        raise CanonicalError("nested too deeply") from None
    if encoded != data:
        raise CanonicalError("the bytes are not in canonical form")
    return value
