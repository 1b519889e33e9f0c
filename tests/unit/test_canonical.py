import hashlib
import json
from datetime import datetime

import pytest

from shared.ledger.canonical import CanonicalError, canonical_bytes, event_hash
from shared.ledger.envelope import Actor, Envelope, build_envelope
from shared.ledger.ids import uuid7
from shared.models.domain import EventType


def test_canonical_sorts_keys_and_drops_whitespace_when_serializing():
    assert canonical_bytes({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'


def test_canonical_keeps_non_ascii_as_utf8_when_text_is_not_ascii():
    assert canonical_bytes({"name": "Zoë"}) == '{"name":"Zoë"}'.encode()


def test_canonical_normalizes_text_to_nfc_when_given_decomposed_forms():
    decomposed = "Zoe\u0308"
    assert canonical_bytes(decomposed) == canonical_bytes("Zo\u00eb")


def test_canonical_escapes_control_characters_as_rfc8785_when_present():
    assert canonical_bytes("a\nb\u0001\u007f/") == b'"a\\nb\\u0001\x7f/"'


@pytest.mark.parametrize("value", [1.5, 2**53, -(2**53), {"\u00e9": 1}, {1: "x"}, b"bytes", {"s": {1, 2}}])
def test_canonical_refuses_values_outside_the_subset_when_given(value):
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_canonical_accepts_largest_safe_integer_when_at_limit():
    assert canonical_bytes(2**53 - 1) == b"9007199254740991"


def test_event_hash_is_sha256_of_canonical_bytes_when_computed():
    envelope = {"z": "last", "a": {"y": 2, "x": 1}}
    expected = hashlib.sha256(b'{"a":{"x":1,"y":2},"z":"last"}').hexdigest()
    assert event_hash(envelope) == expected


def test_event_hash_is_a_frozen_vector_when_envelope_is_fixed():
    # Frozen ledger v1 vector: changing canonical form or hashing breaks every stored proof.
    envelope = {"event_id": "0190b2a0-0000-7000-8000-000000000000", "type": "request_received", "n": -7, "t": True}
    assert event_hash(envelope) == hashlib.sha256(
        b'{"event_id":"0190b2a0-0000-7000-8000-000000000000","n":-7,"t":true,"type":"request_received"}'
    ).hexdigest()


def test_envelope_round_trips_through_stored_json_when_parsed_back():
    from datetime import UTC, datetime

    now = datetime(2026, 11, 20, 18, 0, 0, 123456, tzinfo=UTC)
    envelope = build_envelope(event_id=uuid7(), type="request_received", actor=Actor(type="consumer"),
                              occurred_at=now, recorded_at=now, record_type="consumer_request", retain_until=now,
                              details={"k": "v"}, request_id="r", seq=1)
    stored = envelope.canonical()
    parsed = Envelope.from_json_dict(json.loads(stored))
    assert parsed.hash() == envelope.hash()
    assert parsed.canonical() == stored
    assert json.loads(stored)["recorded_at"] == "2026-11-20T18:00:00.123Z"
    assert len(bytes.fromhex(envelope.nonce)) == 32


def test_uuid7_ids_sort_in_creation_order_when_minted_in_the_same_millisecond():
    ids = [uuid7(1_700_000_000_000) for _ in range(50)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 50
    assert all(i[14] == "7" for i in ids)


# parse_canonical's fast path (orjson) must accept exactly what the standard-library check accepts.
_CANDIDATES = [
    b'{"a":1}', b'{"b":1,"a":2}', b'{"a":1,"a":2}', b'{"a":1.0}', b'{"a":[1.5]}', b'{"a":1e5}', b'{"a":1.5e3}',
    b'{"a":-0}', b'{"a":01}', b'1.5', b'[1.25]', b'{"a":9007199254740991}', b'{"a":9007199254740992}',
    b'{"a":-9007199254740992}', b'{"a":18446744073709551616}', b'{"a":"\\u00e9"}', b'{"a":"\\ud800"}',
    b'{"a":"x\\u001fy\\n\\t\\"\\\\"}', b'{"a":"x\\u001Fy"}', b'{"a":"\\/"}', b'{"a": 1}', b'{"a":1} ', b'{"a":NaN}',
    b'{"a":true,"b":null,"c":[false]}', b'{"t":"18:00:00.000Z","x":[1,-2]}', b'{"a":"1.5,"}', b'{"a":"\x7f"}',
    b"[" * 300 + b"]" * 300, b"[" * 3000 + b"]" * 3000, "{\"a\":\"caf\u00e9\"}".encode(), b'{"\\u0061":1}',
]


@pytest.mark.parametrize("data", _CANDIDATES, ids=range(len(_CANDIDATES)))
def test_parse_canonical_fast_path_agrees_with_the_standard_library(data):
    from shared.ledger.canonical import _parse_canonical_stdlib, parse_canonical

    def outcome(check):
        try:
            return "ok", check(data)
        except CanonicalError:
            return "refused", None

    assert outcome(parse_canonical) == outcome(_parse_canonical_stdlib)


def test_parse_canonical_fast_path_agrees_on_every_ascii_character_in_a_string():
    from shared.ledger.canonical import parse_canonical

    for code in range(0x80):
        line = canonical_bytes({"s": f"a{chr(code)}b"})
        assert parse_canonical(line) == {"s": f"a{chr(code)}b"}


def _stdlib_canonical(value):
    from shared.ledger.canonical import normalize

    return json.dumps(normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("value", [
    {"s": "".join(chr(code) for code in range(0x800))}, {"s": "\u2028\u2029\ufeff\U0001f600\U0010ffff"},
    {"z": [1, -2, 9007199254740991, -9007199254740991, True, False, None], "A": {}, "_": [], "a": ""},
    [[[[{"deep": "x"}]]]], "plain", 0,
])
def test_canonical_bytes_equal_the_standard_library_encoding_when_orjson_writes_them(value):
    assert canonical_bytes(value) == _stdlib_canonical(value)


def test_canonical_refuses_a_lone_surrogate_as_the_standard_library_does_when_orjson_cannot_write_it():
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes({"s": "\ud800"})
    nested = [0]
    for _ in range(400):  # beyond orjson's nesting limit: the standard library writes it
        nested = [nested]
    assert canonical_bytes(nested) == _stdlib_canonical(nested)


def test_uuid7_ids_are_the_standard_uuid_spelling_with_version_7_and_the_rfc_variant():
    import uuid

    for _ in range(1000):
        text = uuid7()
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_rfc3339_writes_utc_milliseconds_truncated_with_z_when_given_any_zone():
    from datetime import datetime, timedelta, timezone

    from shared.timefmt import rfc3339

    moment = datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-8)))
    assert rfc3339(moment) == "2026-12-01T07:59:59.999Z"
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2026-01-02T03:04:05.000Z"
    with pytest.raises(ValueError):
        rfc3339(datetime(2026, 1, 2))


@pytest.mark.parametrize("value", [
    {"b": 1, "a": [True, None, "x", -(2**53 - 1)]}, "Zoe\u0308", {"k": "caf\u00e9"}, "a\nb\u0001\u007f/\"\\",
    ["\U0001d11e", "\ufb01", "\u01c5"], {"nested": {"z": [{"y": "\u212b"}], "a": 2**53 - 1}}, "1.5e308",
])
def test_canonical_json_bytes_equal_canonical_bytes_for_json_values(value):
    from shared.ledger.canonical import canonical_json_bytes

    assert canonical_json_bytes(value) == canonical_bytes(value)


@pytest.mark.parametrize(("value", "error"), [(2**53, CanonicalError), ({"\u00e9": 1}, CanonicalError),
                                              ("lone \ud800", UnicodeEncodeError)])
def test_canonical_json_bytes_refuse_what_canonical_bytes_refuse(value, error):
    from shared.ledger.canonical import canonical_json_bytes

    with pytest.raises(error):
        canonical_bytes(value)
    with pytest.raises(error):
        canonical_json_bytes(value)


def test_an_envelope_built_from_json_values_is_the_models_envelope():
    from datetime import UTC, datetime

    from shared.ledger.envelope import envelope_json
    from shared.timefmt import rfc3339

    moment = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    actor = Actor(type="service", id="crm-producer")
    model = build_envelope(event_id="e-1", type="data_access", actor=actor, occurred_at=moment, recorded_at=moment,
                           record_type="access_event", retain_until=moment, details={"k": ["v\u0301"]},
                           consumer_tag="ab" * 32, nonce="cd" * 32)
    built = envelope_json(event_id="e-1", type="data_access", actor=actor.model_dump(mode="json"),
                          occurred_at=rfc3339(moment), recorded_at=rfc3339(moment), record_type="access_event",
                          retain_until=rfc3339(moment), details={"k": ["v\u0301"]}, nonce="cd" * 32,
                          consumer_tag="ab" * 32)
    assert built == model.to_json_dict()
    assert canonical_bytes(built) == model.canonical()


@pytest.mark.parametrize("value", [
    {"b": 1, "a": [True, None, "x", -(2**53 - 1), ("t", 0)]}, "plain", 7, None, [], {},
    {"k": "caf\u00e9"}, {"nested": {"z": [{"y": "\u212b"}], "a": 2**53 - 1}}, {"ctl": "a\nb\u0001\u007f/\"\\"},
    {"enum": EventType.REQUEST_RECEIVED}, {"deep": [[{"x": [1, 2, {"y": "z"}]}]]},
])
def test_the_type_checked_path_writes_what_the_normalizing_walk_writes(value):
    from shared.ledger.canonical import _normalized_bytes

    assert canonical_bytes(value) == _normalized_bytes(value)


@pytest.mark.parametrize("value", [{"big": 2**53}, {"f": 1.5}, {1: "key"}, {"when": datetime(2026, 1, 1)},
                                   ["lone \ud800"]])
def test_the_type_checked_path_refuses_what_the_walk_refuses(value):
    from shared.ledger.canonical import _normalized_bytes

    with pytest.raises((CanonicalError, UnicodeEncodeError)) as slow:
        _normalized_bytes(value)
    with pytest.raises(slow.type):
        canonical_bytes(value)
