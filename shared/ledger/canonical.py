"""Canonical JSON (ledger v1): the exact bytes every event hash is computed over.

Restricted JSON (strings, safe integers, booleans, null, arrays, objects with ASCII keys), NFC text,
keys sorted, no whitespace, UTF-8. Under these limits the output equals RFC 8785 (JCS).
"""

import hashlib
import json
import re
import unicodedata
from typing import Any

try:  # the verifier's fast path; without it the standard library gives the same answers, slower
    import orjson
except ImportError:  # pragma: no cover - orjson is a pinned dependency
    orjson = None

MAX_SAFE_INT = 2**53 - 1
_LONG_NUMBER = re.compile(rb"[:,\[]-?[0-9]{16,}")
# A decimal fraction as it would end a number token of compact JSON. orjson round-trips such floats (1.5 -> 1.5),
# so lines holding one take the standard library's path; other floats (1e5, 1.0e3) never round-trip exactly. The
# pattern can match inside a string too (then the line is only checked more slowly), never misses such a number.
# A newline ends a number too, so one search over many lines finds what a search of each line would.
_FRACTION = re.compile(rb"\.[0-9]+(?:[,}\]\n]|\Z)")
# orjson refuses to write integers beyond +/-(2^53-1), the ledger's limit, so those leave the fast path too.
ROUND_TRIP = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER if orjson is not None else 0


class CanonicalError(ValueError):
    """A value outside the ledger's JSON subset (floats, big integers, non-ASCII keys, other types)."""


def normalize(value: Any, path: str = "$") -> Any:
    """Return `value` with every string NFC-normalized; raise CanonicalError on anything outside the subset."""
    try:
        return _normalized(value)
    except _Outside:
        return _normalize_naming_path(value, path)  # walks again only to name where the value breaks the rules


class _Outside(Exception):
    pass


def _normalized(value: Any) -> Any:
    """The hot path (every event written): exact built-in types by identity, no path strings built."""
    kind = type(value)
    if kind is str:
        return value if value.isascii() else unicodedata.normalize("NFC", value)  # ASCII is already NFC
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _Outside
            out[key] = _normalized(item)
        return out
    if kind is int:
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return value
        raise _Outside
    if value is None or kind is bool:
        return value
    if kind is list or kind is tuple:
        return [_normalized(item) for item in value]
    raise _Outside  # subclasses (enums) and everything else: the full rules decide


def _normalize_naming_path(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise CanonicalError(f"{path}: integer outside +/-(2^53-1)")
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return [_normalize_naming_path(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise CanonicalError(f"{path}: object keys must be ASCII strings")
            out[key] = _normalize_naming_path(item, f"{path}.{key}")
        return out
    raise CanonicalError(f"{path}: {type(value).__name__} is not allowed in canonical JSON")


# json.dumps with these options builds an encoder per call; one built once writes the same bytes.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(value: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8, NFC; json's escaping of control characters matches RFC 8785.

    Every event written is encoded here, so orjson writes it: on the normalized subset (ASCII keys, safe integers,
    no floats) its bytes equal the standard library's. What orjson refuses (lone surrogates, deep nesting) takes the
    standard library, which answers or fails as it always has."""
    if orjson is not None and _json_types(value):
        # JSON's own types throughout (what the normalizing walk would copy unchanged once the text is ASCII):
        # a walk that only looks at types, then canonical_json_bytes' check of the bytes, spares the copy.
        data = _ascii_sorted(value)
        if data is not None:
            return data
    return _normalized_bytes(value)


def canonical_fields_bytes(fields: dict[str, Any], loose: Any) -> bytes:
    """canonical_bytes(fields), for fields that are all exact str, int or None (or dicts of them), as a validated
    model holds them, but for `loose`, the one part that may hold anything: only that part needs the JSON-types
    walk before orjson writes the whole (its bytes, or the normalizing path, exactly as canonical_bytes decides)."""
    if orjson is not None and _json_types(loose):
        data = _ascii_sorted(fields)
        if data is not None:
            return data
    return _normalized_bytes(fields)


def _normalized_bytes(value: Any) -> bytes:
    normalized = normalize(value)
    if orjson is not None:
        try:
            return orjson.dumps(normalized, option=ROUND_TRIP)
        except orjson.JSONEncodeError:
            pass
    return _ENCODER.encode(normalized).encode("utf-8")


def _json_types(value: Any) -> bool:
    """Only exact dict, list, tuple, str, int, bool and None: no float, enum, datetime or subclass anywhere."""
    kind = type(value)
    if kind is dict:
        items = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return kind in _SCALARS
    for item in items:
        if type(item) not in _SCALARS and not _json_types(item):  # a set lookup by exact type: no subclass passes
            return False
    return True


_SCALARS = frozenset({str, int, bool, type(None)})


def _ascii_sorted(value: Any) -> bytes | None:
    """orjson's sorted bytes when they are canonical as they stand: ASCII (so NFC, with ASCII keys), integers within
    +/-(2^53-1) (orjson refuses others, as it refuses keys that are not text); None when they are not."""
    try:
        data = orjson.dumps(value, option=ROUND_TRIP)
    except orjson.JSONEncodeError:
        return None
    return data if data.isascii() else None


def canonical_json_bytes(value: Any) -> bytes:
    """canonical_bytes of a value made of JSON's own types only (str, int, bool, None, list, dict with str keys; no
    float), as parsed JSON is: orjson's sorted output is already canonical when it is ASCII (ASCII text is NFC and
    its keys are ASCII), so the normalizing walk runs only when some text is not. The access batcher encodes
    thousands of envelopes per call through here."""
    if orjson is not None:
        data = _ascii_sorted(value)
        if data is not None:
            return data
    return _normalized_bytes(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_hash(envelope: dict[str, Any]) -> str:
    """event_hash = SHA-256 over the canonical bytes of the whole envelope (DESIGN section 4)."""
    return sha256_hex(canonical_bytes(envelope))


def _no_float(text: str) -> Any:
    raise CanonicalError(f"number {text} is not an integer")


def plain(data: bytes) -> bool:
    """True when orjson's exact round trip (`orjson.dumps(orjson.loads(line), option=ROUND_TRIP) == line`) decides
    whether each line of `data` is canonical: orjson is there, and the bytes are ASCII without a decimal fraction.
    One call can cover many newline-separated lines (the verifier checks a read chunk at once)."""
    return orjson is not None and data.isascii() and not _FRACTION.search(data)


def parse_canonical(data: bytes) -> Any:
    """Parse bytes that claim to be canonical and return the value; CanonicalError if they are not exactly the
    canonical form. Pure-ASCII input (the common case) is checked by orjson: for ASCII its escapes and key order
    equal the standard library's, so an exact round trip without floats or unsafe integers is the canonical form.
    Anything else, or anything orjson refuses, takes the standard library, which has the final word."""
    if plain(data):
        try:
            value = orjson.loads(data)
            if orjson.dumps(value, option=ROUND_TRIP) == data:
                return value
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            pass
    return _parse_canonical_stdlib(data)


def _parse_canonical_stdlib(data: bytes) -> Any:
    try:
        value = json.loads(data, parse_float=_no_float, parse_constant=_no_float)
    except ValueError as error:
        raise CanonicalError(str(error)) from None
    except RecursionError:
        raise CanonicalError("nested too deeply") from None
    simple = data.isascii() and not _LONG_NUMBER.search(data)  # 16+ digits: maybe beyond 2^53, check fully
    try:
        encoded = _ENCODER.encode(value).encode("utf-8") if simple else canonical_bytes(value)
    except RecursionError:
        raise CanonicalError("nested too deeply") from None
    except UnicodeEncodeError:
        raise CanonicalError("a string holds a lone surrogate") from None
    if encoded != data:
        raise CanonicalError("the bytes are not in canonical form")
    return value


def parse_json(data: bytes) -> Any:
    """Plain JSON parsing for the verifier's proof lines (orjson when present); ValueError when it is not JSON."""
    if orjson is not None:
        return orjson.loads(data)  # orjson.JSONDecodeError is a ValueError
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None
