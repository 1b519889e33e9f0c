"""The downstream part of the request fold: order-tolerant, and outcomes recorded per instruction."""

from datetime import UTC, datetime

from shared.ledger.envelope import Actor, build_envelope
from shared.models.domain import ClockName, EventType, RequestStatus
from shared.models.records import StoredEvent
from shared.services.ledger_writer import stored_event
from shared.services.projection import apply_event

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ACTOR = Actor(type="system", id="test")


def chain(*events):
    record = None
    prev = None
    for seq, (kind, details) in enumerate(events, start=1):
        envelope = build_envelope(event_id=f"e{seq}", type=kind, actor=ACTOR, occurred_at=T0, recorded_at=T0,
                                  record_type="consumer_request", retain_until=datetime(2029, 1, 1, tzinfo=UTC),
                                  details=details, request_id="r1", seq=seq, prev_event_hash=prev,
                                  consumer_tag="ab" * 32)
        stored: StoredEvent = stored_event(envelope, f"k{seq}", "v1")
        record = apply_event(record, envelope, stored)
        prev = stored.event_hash
    return record


RECEIVED = (EventType.REQUEST_RECEIVED, {"request": {"type": "opt_out_sale_sharing", "channel": "web_form",
                                                     "received_at": "2026-11-23T18:00:00.000Z",
                                                     "clocks": {"honor_by": "2026-12-15"}}})
STARTED = (EventType.SUPPRESSION_STARTED, {"execution": "r1", "systems": [{"system_id": "a", "connector": "webhook"},
                                                                          {"system_id": "b", "connector": "manual"}]})


def sent(system, ident, attempt=0):
    return EventType.INSTRUCTION_SENT, {"system_id": system, "instruction_id": ident, "attempt": attempt,
                                        "connector": "webhook"}


def test_all_confirmed_then_honored_satisfies_the_honor_clock():
    record = chain(RECEIVED, STARTED, sent("a", "i1"), sent("b", "i2"),
                   (EventType.CONFIRMATION_RECEIVED, {"system_id": "a", "instruction_id": "i1"}),
                   (EventType.CONFIRMATION_RECEIVED, {"system_id": "b", "instruction_id": "i2"}),
                   (EventType.REQUEST_HONORED, {"results": []}))
    assert record.status == RequestStatus.HONORED and record.closed
    assert record.clocks[ClockName.HONOR_BY].satisfied_at == T0
    assert {s: d.status for s, d in record.downstream.items()} == {"a": "confirmed", "b": "confirmed"}


def test_instruction_before_the_start_event_is_tolerated():
    record = chain(RECEIVED, sent("a", "i1"), STARTED)
    assert record.status == RequestStatus.IN_PROGRESS and record.fanout == "r1"
    assert record.downstream["a"].status == "instructed" and record.downstream["b"].status == "pending"


def test_transient_failure_keeps_the_system_waiting_and_a_final_one_fails_it():
    record = chain(RECEIVED, STARTED, sent("a", "i1"),
                   (EventType.INSTRUCTION_FAILED, {"system_id": "a", "instruction_id": "i1", "will_retry": True}),
                   sent("a", "i2", 1))
    assert record.downstream["a"].status == "instructed" and record.downstream["a"].attempts == 2
    record = chain(RECEIVED, STARTED, sent("a", "i1"),
                   (EventType.INSTRUCTION_FAILED, {"system_id": "a", "instruction_id": "i1", "will_retry": False,
                                                   "error": "http_400"}))
    assert record.downstream["a"].status == "failed" and record.downstream["a"].outcome_for == "i1"


def test_partial_result_stays_open_and_a_late_confirmation_is_not_undone_by_a_timeout():
    record = chain(RECEIVED, STARTED, sent("a", "i1"),
                   (EventType.CONFIRMATION_RECEIVED, {"system_id": "a", "instruction_id": "i1"}),
                   (EventType.INSTRUCTION_TIMED_OUT, {"system_id": "a", "instruction_id": "i1"}),
                   (EventType.REQUEST_PARTIALLY_HONORED, {"results": []}))
    assert record.status == RequestStatus.PARTIALLY_HONORED and not record.closed
    assert record.downstream["a"].status == "confirmed"
    assert record.clocks[ClockName.HONOR_BY].satisfied_at is None
