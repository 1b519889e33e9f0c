"""The one body check every JSON route uses (shared/json_input.py): I-JSON, bounded depth, named fields."""

import json
import sys

import pytest

from shared.errors import ValidationError
from shared.json_input import MAX_DEPTH, nesting_depth, parse_json, plain_key_marks


def refusal(data):
    with pytest.raises(ValidationError) as caught:
        parse_json(data)
    return caught.value.details[0]


@pytest.mark.parametrize(("data", "depth"), [
    (b'{"a": "[[[[{{{{"}', 1), (b'{"a": "\\"[[[["}', 1), (b'{"a": "\\\\", "b": [[]]}', 3), (b"[]", 1),
    (b'"no brackets"', 0), (b'{"a": "]]]]", "b": ' + b"[" * 40 + b"]" * 40 + b"}", 41),
])
def test_depth_counts_only_brackets_outside_strings(data, depth):
    assert nesting_depth(data) == depth


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 10_000, 200_000])
def test_deep_nesting_is_refused_without_recursing(levels):
    frame, depth = sys._getframe(), 0
    while frame:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 25)  # a few frames to spare: the check itself must not recurse
    try:
        details = refusal(b"[" * levels + b"]" * levels)
    finally:
        sys.setrecursionlimit(limit)
    assert details == {"field": "body", "issue": f"nests deeper than {MAX_DEPTH} levels"}


def test_closing_brackets_hidden_in_strings_do_not_hide_the_depth():
    data = b"".join(b'["]",' for _ in range(100)) + b"1" + b"]" * 100
    assert refusal(data)["issue"].startswith("nests deeper")


def test_nesting_up_to_the_limit_is_read():
    levels = MAX_DEPTH
    assert parse_json(b"[" * levels + b"]" * levels) is not None


@pytest.mark.parametrize(("data", "field", "issue"), [
    (b'{"a": {"b": 1, "b": 2}}', "a.b", "appears twice in one object"),
    (b'{"a": [{"x": 1}, {"y": 1, "y": 1}]}', "a[1].y", "appears twice in one object"),
    (b'{"a": NaN}', "body", "is not valid JSON"),
    (b'{"a": -Infinity}', "body", "is not valid JSON"),
    (b'{"a": "\\u202e"}', "a", "contains a bidirectional control character (U+202E)"),
    (b'{"a": ["ok", "\\u0000"]}', "a[1]", "contains a control character (U+0000)"),
    (b'{"a": "\\udc00"}', "a", "contains a disallowed character (U+DC00)"),
    (b'{"a": "\\ufffe"}', "a", "contains a disallowed character (U+FFFE)"),
    ('{"a": "\U0001fffe"}'.encode(), "a", "contains a disallowed character (U+1FFFE)"),
    (b'{"a": "\x7f"}', "a", "contains a control character (U+007F)"),
    (b'{"a": "\xc2\x85"}', "a", "contains a control character (U+0085)"),
    (b'{"a": "\xed\xa0\x80"}', "body", "is not valid UTF-8 (byte 7)"),  # an encoded surrogate
    (b'{"a": "\xc0\xaf"}', "body", "is not valid UTF-8 (byte 7)"),  # an overlong
])
def test_refusals_name_the_field_and_the_reason(data, field, issue):
    assert refusal(data) == {"field": field, "issue": issue}


def test_text_that_is_only_unusual_is_accepted():
    body = {"name": "Zoë Ǆ 李", "note": "line one\nline two\ttabbed", "emoji": "🙂", "rtl": "שלום"}
    assert parse_json(json.dumps(body).encode()) == body
    assert parse_json(json.dumps(body, ensure_ascii=False).encode()) == body


@pytest.mark.parametrize("data", [
    b'{"events": [{"a": 1, "b": [true, false, null], "c": {"d": "x:y", "e": -0.5e-3}}]}', b"123", b'"text"',
    b"", b"null", b' {"a" :\t1 } ', b'{"n": 9223372036854775807, "m": -9223372036854775808, "f": 1.7976931348623157e308}',
    b'{"big": 123456789012345678901234567890, "neg": [-18446744073709551616]}',  # beyond 64 bits: ints still
    b'{"key:with:colons": "v", "k": ["a:b", {"": ""}]}',
    # orjson reads these as floats, or refuses them: the standard library's reading stands
    b'{"n": -9999999999999999999, "m": [9999999999999999999]}', b"[1e400, -1e400]", b"1.5", b"-0", b'{"a": -0.0}',
])
def test_a_plain_body_reads_as_the_standard_library_reads_it(data):
    expected = json.loads(data or b"null")
    value = parse_json(data)
    assert value == expected and json.dumps(value) == json.dumps(expected)


def test_a_plain_body_is_read_by_orjson_alone(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the standard library parsed a plain body")

    monkeypatch.setattr(json, "loads", refuse)
    data = b'{"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": "a@example.com"}}'
    assert parse_json(data) == {"type": "opt_out_sale_sharing", "channel": "web_form",
                                "consumer": {"email": "a@example.com"}}


@pytest.mark.parametrize(("data", "field"), [
    (b'{"a": 1, "b": {"c": 1, "c": 2}}', "b.c"),
    (b'{"a": 1, "a": 1}', "a"),
    (b'[{"x": "1:2"}, {"y": 1, "z": 2, "y": 3}]', "body[1].y"),
    (b'{"events": [' + b", ".join(b'{"n": %d}' % n for n in range(499)) + b', {"n": 1, "n": 2}]}', "events[499].n"),
])
def test_a_key_given_twice_in_a_plain_body_is_refused(data, field):
    assert refusal(data) == {"field": field, "issue": "appears twice in one object"}


@pytest.mark.parametrize("data", [b'{"a": "x\ty"}', b'{"a": 1,}', b"\x0c{}", b"01", b"  "])
def test_a_plain_body_that_is_not_json_is_refused_as_before(data):
    assert refusal(data) == {"field": "body", "issue": "is not valid JSON"}


@pytest.mark.parametrize(("data", "marks"), [
    (b'{ "a" :\t"x y" ,\n "b":{"c":null}, "d": [":"]}', 5),  # 4 keys, and a string that begins with a colon
    (b'{"a": "b:c", "b": [" : ", "x"]}', 3),
    (b'{"a": "b", "a": "c"}', 2),  # as written: a parser keeping one value finds 1
])
def test_a_plain_body_s_keys_are_counted_as_written_with_strings_that_begin_with_a_colon(data, marks):
    assert plain_key_marks(data) == marks


@pytest.mark.parametrize("data", [rb'{"a": "\u00e9"}', '{"a": "é"}'.encode(), b'{"a": "\x7f"}'])
def test_a_body_that_could_spell_a_refused_character_is_not_counted(data):
    assert plain_key_marks(data) is None
