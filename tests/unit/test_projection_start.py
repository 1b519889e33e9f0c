"""A request's first record is built by model_validate of a dict: it must be the record the keyword path builds
(enums and a ClockRecord per clock converted first), for every request type, channel, clock set and scope."""

from datetime import date

import pytest

from shared.ledger.envelope import Actor
from shared.models.api import SubmitRequestBody
from shared.models.domain import Channel, ClockName, RequestStatus, RequestType
from shared.models.records import ClockRecord, RequestRecord
from shared.services.ledger_writer import load_current, request_event_key
from shared.services.projection import apply_event
from shared.services.submit_request import Submission, submit_request
from shared.timefmt import parse_rfc3339


def _through_keywords(envelope, stored) -> RequestRecord:
    request = envelope.details["request"]
    return RequestRecord(
        request_id=envelope.request_id or "",
        type=RequestType(request["type"]),
        channel=Channel(request["channel"]),
        status=RequestStatus.RECEIVED,
        received_at=parse_rfc3339(request["received_at"]),
        recorded_at=parse_rfc3339(envelope.recorded_at),
        consumer_tag=envelope.consumer_tag,
        clocks={ClockName(name): ClockRecord(due=date.fromisoformat(due)) for name, due in request["clocks"].items()},
        chain_seq=1,
        chain_head=stored.event_hash,
        scope=(envelope.details.get("submission", {}).get("details") or {}).get("scope"),
        intake_key=stored.s3_key,
        intake_version=stored.s3_version_id,
    )


@pytest.mark.parametrize("body", [
    {"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": "ana@example.com"}},
    {"type": "limit_sensitive_pi", "channel": "web_form", "consumer": {"email": "ana@example.com"}},
    {"type": "delete", "channel": "web_form", "consumer": {"email": "ana@example.com"}},
    {"type": "know", "channel": "web_form", "consumer": {"email": "ana@example.com"},
     "details": {"scope": "specific_pieces"}},
    {"type": "know", "channel": "web_form", "consumer": {"email": "ana@example.com"}},
    {"type": "correct", "channel": "email", "consumer": {"email": "ana@example.com"},
     "received_at": "2026-11-18T23:30:00Z"},
])
def test_the_first_record_equals_the_keyword_built_record(ledger, body):
    submission = Submission(SubmitRequestBody.model_validate(body),
                            Actor(type="staff", id="a-1", role="agent") if body["channel"] != "web_form"
                            else Actor(type="consumer"))
    record = submit_request(ledger, submission).record
    envelope, stored = load_current(ledger, request_event_key(record.request_id, 1))
    built = apply_event(None, envelope, stored)
    expected = _through_keywords(envelope, stored)
    assert built == expected == record
    assert built.model_dump() == expected.model_dump()  # field order and values
    assert [type(k) for k in built.clocks] == [ClockName] * len(built.clocks)
    assert type(built.type) is RequestType and type(built.channel) is Channel
    assert all(type(clock) is ClockRecord for clock in built.clocks.values())


def test_a_clock_name_or_type_outside_the_vocabulary_is_still_refused(ledger):
    record = submit_request(ledger, Submission(SubmitRequestBody.model_validate(
        {"type": "delete", "channel": "web_form", "consumer": {"email": "ana@example.com"}}),
        Actor(type="consumer"))).record
    envelope, stored = load_current(ledger, request_event_key(record.request_id, 1))
    for change in ({"type": "sell_everything"}, {"clocks": {"reply_by": "2026-12-01"}}):
        request = {**envelope.details["request"], **change}
        odd = envelope.model_copy(update={"details": {**envelope.details, "request": request}})
        with pytest.raises(ValueError):
            apply_event(None, odd, stored)
