"""Two writers extending the same request's chain: exactly one wins, in S3 and in the index."""

import pytest

from shared import wiring
from shared.errors import ChainConflictError, EvidenceExistsError
from shared.ledger.envelope import Actor, build_envelope
from shared.ledger.ids import uuid7
from shared.ledger.retention import retain_until
from shared.models.domain import RecordType
from shared.services.ledger_writer import request_event_key, store_envelope
from shared.services.projection import apply_event

WEB = {"type": "delete", "channel": "web_form", "consumer": {"email": "ana@example.com"}}


def next_event(ledger, record, kind):
    now = ledger.now()
    return build_envelope(event_id=uuid7(), type=kind, actor=Actor(type="staff", id="a", role="analyst"),
                          occurred_at=now, recorded_at=now, record_type=RecordType.CONSUMER_REQUEST,
                          retain_until=retain_until(RecordType.CONSUMER_REQUEST, now, ledger.settings),
                          request_id=record.request_id, seq=record.chain_seq + 1,
                          prev_event_hash=record.chain_head, consumer_tag=record.consumer_tag, details={})


def test_second_writer_at_the_same_position_is_refused_when_both_extend_one_head(intake):
    created = intake("POST", "/requests", WEB)[1]
    ledger = wiring.ledger()
    head = ledger.index.get_request(created["request_id"])
    first = next_event(ledger, head, "request_acknowledged")
    second = next_event(ledger, head, "identity_verified")
    key = request_event_key(head.request_id, head.chain_seq + 1)

    stored = store_envelope(ledger, first, key)
    with pytest.raises(EvidenceExistsError):  # S3 refuses the fork before the index is touched
        store_envelope(ledger, second, key)

    ledger.index.append_event(apply_event(head, first, stored), stored, expected_seq=head.chain_seq)
    with pytest.raises(ChainConflictError):  # and the index refuses a writer holding the stale head
        ledger.index.append_event(apply_event(head, second, stored), stored, expected_seq=head.chain_seq)

    events = ledger.index.request_events(head.request_id)
    assert [e.seq for e in events] == [1, 2]
    assert events[1].event_id == first.event_id and events[1].prev_event_hash == events[0].event_hash
    assert ledger.index.get_request(head.request_id).chain_seq == 2
