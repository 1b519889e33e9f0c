"""An envelope's canonical bytes, written from its fields, are the bytes of its model_dump (to_json_dict)."""

import enum
import uuid
from datetime import UTC, date, datetime

import pytest

from shared.ledger.canonical import CanonicalError, canonical_bytes, canonical_fields_bytes
from shared.ledger.envelope import Actor, build_envelope
from shared.models.domain import Channel, EventType, RequestType


class Plain(enum.Enum):
    A = "a"


class Number(enum.IntEnum):
    ONE = 1


MOMENT = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)

DETAILS = [
    {},
    {"request": {"type": RequestType.OPT_OUT_SALE_SHARING, "channel": Channel.WEB_FORM.value}},  # str enums
    {"kind": EventType.REQUEST_RECEIVED, "n": Number.ONE, "flag": True, "none": None, "big": 2**53 - 1},
    {"nested": [{"z": ("t", 1)}, ["caf\u00e9", "Zoe\u0308"]], "\u00e9": 1} | {"ok": "A\u030a"},
    {"when": MOMENT, "day": date(2026, 1, 2)},  # only pydantic's conversion spells these
    {"id": uuid.UUID(int=5), "plain": Plain.A, "tags": {"x"}, "raw": b"bytes"},
    {"list": [1, 2, 3], "text": "line\nbreak \u0001 \"quoted\" \\"},
]


def _assert_bytes_of_model_dump(envelope):
    """The envelope's bytes are those of its model_dump, or both are refused."""
    try:
        expected = canonical_bytes(envelope.to_json_dict())
    except CanonicalError:
        with pytest.raises(CanonicalError):
            envelope.canonical()
        return
    assert envelope.canonical() == expected


@pytest.mark.parametrize("details", DETAILS)
@pytest.mark.parametrize("actor", [Actor(type="consumer"), Actor(type="staff", id="agent-\u00e9", role="agent")])
def test_encoded_bytes_are_the_canonical_bytes_of_the_model_dump(details, actor):
    envelope = build_envelope(event_id="e-1", type=EventType.REQUEST_RECEIVED, actor=actor, occurred_at=MOMENT,
                              recorded_at=MOMENT, record_type="consumer_request", retain_until=MOMENT,
                              details=details, request_id="r-1", seq=2, prev_event_hash="ab" * 32,
                              consumer_tag="cd" * 32, nonce="ef" * 32)
    _assert_bytes_of_model_dump(envelope)


@pytest.mark.parametrize("details", [{"ratio": 1.5}, {"big": 2**53}, {"deep": [{"x": 2.0}]}])
def test_what_canonical_json_refuses_is_still_refused(details):
    envelope = build_envelope(event_id="e-1", type="x", actor=Actor(type="system"), occurred_at=MOMENT,
                              recorded_at=MOMENT, record_type="consumer_request", retain_until=MOMENT,
                              details=details)
    with pytest.raises(CanonicalError):
        envelope.canonical()


class Text(str):
    pass


@pytest.mark.parametrize("details", DETAILS[:4] + DETAILS[-1:])
def test_fields_given_as_subclasses_are_written_as_their_canonical_bytes(details):
    # only `details` is walked: pydantic stores every other field as an exact str or int, whatever it was given
    envelope = build_envelope(event_id=Text("e-\u00e9"), type=EventType.REQUEST_RECEIVED,
                              actor=Actor(type=Text("staff"), id=Plain.A.value, role=Channel.WEB_FORM),
                              occurred_at=MOMENT, recorded_at=MOMENT, record_type=RequestType.OPT_OUT_SALE_SHARING,
                              retain_until=MOMENT, details=details, request_id=Text("r-1"), seq=True,
                              nonce="ef" * 32)
    _assert_bytes_of_model_dump(envelope)


@pytest.mark.parametrize("loose", DETAILS[:4] + DETAILS[-1:] + [{"ratio": 1.5}, {"big": 2**53}])
def test_fields_bytes_are_canonical_bytes_when_only_the_loose_part_is_walked(loose):
    fields = {"a": "x", "n": 3, "none": None, "actor": {"type": "t", "id": None}, "details": loose, "z": "\u00e9"}
    try:
        expected = canonical_bytes(fields)
    except CanonicalError:
        with pytest.raises(CanonicalError):
            canonical_fields_bytes(fields, loose)
        return
    assert canonical_fields_bytes(fields, loose) == expected
