"""An envelope's canonical bytes, written from its fields, are the bytes of its model_dump (to_json_dict)."""

import enum
import uuid
from datetime import UTC, date, datetime

import pytest

from shared.ledger.canonical import CanonicalError, canonical_bytes
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


@pytest.mark.parametrize("details", DETAILS)
@pytest.mark.parametrize("actor", [Actor(type="consumer"), Actor(type="staff", id="agent-\u00e9", role="agent")])
def test_encoded_bytes_are_the_canonical_bytes_of_the_model_dump(details, actor):
    envelope = build_envelope(event_id="e-1", type=EventType.REQUEST_RECEIVED, actor=actor, occurred_at=MOMENT,
                              recorded_at=MOMENT, record_type="consumer_request", retain_until=MOMENT,
                              details=details, request_id="r-1", seq=2, prev_event_hash="ab" * 32,
                              consumer_tag="cd" * 32, nonce="ef" * 32)
    try:
        expected = canonical_bytes(envelope.to_json_dict())
    except CanonicalError:
        with pytest.raises(CanonicalError):
            envelope.canonical()
        return
    assert envelope.canonical() == expected


@pytest.mark.parametrize("details", [{"ratio": 1.5}, {"big": 2**53}, {"deep": [{"x": 2.0}]}])
def test_what_canonical_json_refuses_is_still_refused(details):
    envelope = build_envelope(event_id="e-1", type="x", actor=Actor(type="system"), occurred_at=MOMENT,
                              recorded_at=MOMENT, record_type="consumer_request", retain_until=MOMENT,
                              details=details)
    with pytest.raises(CanonicalError):
        envelope.canonical()
