"""Request bodies as I-JSON (RFC 7493): UTF-8, no duplicate keys, no NaN or Infinity, bounded nesting, and no
string (key or value) holding a character shared.text_rules refuses. Every refusal is a 422 naming the field.

The nesting depth is measured with a flat scan before json.loads, so a body nested 10,000 deep is refused
without the parser (or anything after it) recursing.
"""

import json
import re
from itertools import accumulate
from typing import Any

import orjson

from shared.errors import ValidationError
from shared.text_rules import unsafe_issue

MAX_DEPTH = 32  # our deepest body (a batch of access events) nests 4 levels; free-form evidence gets the rest
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # a JSON string, escapes included
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_WHITESPACE = b" \t\r\n"


def parse_json(data: bytes, field: str = "body") -> Any:
    """The parsed body, or ValidationError naming what is wrong and where."""
    marks = plain_key_marks(data)
    if marks is not None and (data.count(b"[") + data.count(b"{") <= MAX_DEPTH or nesting_depth(data) <= MAX_DEPTH):
        # A plain body (most are) cannot spell a refused character, so orjson's reading is the answer when it reads
        # as many keys as the body writes (none twice) and no float. Anything it refuses, a float (orjson reads an
        # integer beyond 64 bits as one), or a mismatch takes the path below.
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if _plain_keys(value) == marks:
                return value
    try:
        text = data.decode("utf-8")  # strict: refuses overlongs, encoded surrogates and stray bytes
    except UnicodeDecodeError as error:
        raise _invalid(field, f"is not valid UTF-8 (byte {error.start})") from None
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and nesting_depth(data) > MAX_DEPTH:  # count: a bound
        raise _invalid(field, f"nests deeper than {MAX_DEPTH} levels")
    duplicated: list[bool] = []

    def keep_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) == len(pairs):
            return value
        duplicated.append(True)
        keys = [key for key, _ in pairs]
        return _Duplicated(value, next(key for number, key in enumerate(keys) if key in keys[:number]))

    try:
        value = json.loads(text or "null", object_pairs_hook=keep_pairs, parse_constant=_no_constant)
    except ValueError:
        raise _invalid(field, "is not valid JSON") from None
    # The common body is ASCII without escapes: then it cannot spell a refused character (raw controls other than
    # DEL are already invalid inside JSON strings), and the walk is skipped.
    if duplicated or not text.isascii() or "\\" in text or "\x7f" in text:
        _check(value, field)
    return value


def plain_key_marks(data: bytes) -> int | None:
    """For a body that cannot spell a refused character (ASCII, no escape, no DEL: raw controls are not JSON), how
    many times a string is followed by `:` once whitespace is dropped; None for any other body. Without escapes
    every `"` delimits a string, so that is each key written, plus each string that begins with a colon. A parser
    that keeps one value per key (pydantic's) read the body as parse_json would when it found that many keys:
    fewer means a key appeared twice (or a string began with a colon, which only costs the slower path)."""
    if not data.isascii() or b"\\" in data or b"\x7f" in data:
        return None
    return data.translate(None, _WHITESPACE).count(b'":')


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects, without recursion; brackets inside strings do not count."""
    # Outside strings only. Without any backslash, every `"` delimits a string: split is enough (and fast).
    outside = b"".join(data.split(b'"')[::2]) if b"\\" not in data else _STRINGS.sub(b"", data)
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)  # all in C: bodies hold thousands


def _plain_keys(value: Any) -> int:
    """The keys of every object in a value orjson parsed, or -1 when it holds a float (nesting is bounded)."""
    kind = type(value)
    if kind is dict:
        count, items = len(value), value.values()
    elif kind is list:
        count, items = 0, value
    else:
        return -1 if kind is float else 0
    for item in items:
        kind = type(item)
        if kind is dict or kind is list:
            inner = _plain_keys(item)
            if inner < 0:
                return -1
            count += inner
        elif kind is float:
            return -1
    return count


class _Duplicated(dict[str, Any]):
    """An object that had `key` twice: I-JSON forbids it, and which value won would be the parser's choice."""

    def __init__(self, value: dict[str, Any], key: str) -> None:
        super().__init__(value)
        self.key = key


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check(value: Any, field: str) -> None:
    """Walk the parsed value with an explicit stack (depth is bounded, but no recursion is needed either)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            issue = unsafe_issue(item)
            if issue:
                raise _invalid(path or field, issue)
        elif isinstance(item, dict):
            if isinstance(item, _Duplicated):
                raise _invalid(f"{path}.{item.key}" if path else item.key, "appears twice in one object")
            for key, child in item.items():
                issue = unsafe_issue(key)
                if issue:
                    raise _invalid(path or field, f"has a key that {issue}")
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path or field}[{number}]", child) for number, child in enumerate(item))


def _invalid(field: str, issue: str) -> ValidationError:
    return ValidationError(f"Field {field} {issue}.", [{"field": field, "issue": issue}])
