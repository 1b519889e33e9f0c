from datetime import timedelta

import pytest

from shared.errors import IdempotencyKeyReusedError, RetentionTooShortError, ValidationError
from shared.ledger.envelope import Actor
from shared.models.api import SubmitRequestBody
from shared.services.ledger_writer import parse_envelope
from shared.services.submit_request import Submission, submit_request


def body(**overrides):
    data = {"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": "Ana@Example.com"}}
    data.update(overrides)
    return SubmitRequestBody.model_validate(data)


def submit(ledger, key=None, **overrides):
    return submit_request(ledger, Submission(body(**overrides), Actor(type="consumer"), key))


def test_opt_out_gets_honor_by_on_15th_business_day_when_received_friday_before_thanksgiving(ledger):
    result = submit(ledger)
    assert result.created
    assert {k.value: v.due.isoformat() for k, v in result.record.clocks.items()} == {"honor_by": "2026-12-14"}


def test_delete_gets_acknowledge_and_respond_clocks_when_received(ledger):
    clocks = submit(ledger, type="delete").record.clocks
    assert {k.value: v.due.isoformat() for k, v in clocks.items()} == {
        "acknowledge_by": "2026-12-07",  # 10 business days, Thanksgiving skipped
        "respond_by": "2027-01-03",  # receipt day + 44
    }


def test_request_received_event_is_locked_with_hash_chain_start_when_stored(ledger):
    record = submit(ledger).record
    body_bytes, _, retain_until = ledger.evidence.objects[f"events/requests/{record.request_id}/00000001.json"]
    envelope = parse_envelope(body_bytes)
    assert envelope.type == "request_received"
    assert envelope.seq == 1 and envelope.prev_event_hash is None
    assert envelope.hash() == record.chain_head
    assert retain_until >= ledger.now() + timedelta(days=730)
    assert envelope.details["submission"]["consumer"]["email"] == "Ana@Example.com"


def test_index_holds_only_the_consumer_tag_when_request_is_stored(ledger):
    record = submit(ledger).record
    assert "Ana" not in record.model_dump_json() and "example.com" not in record.model_dump_json().lower()
    assert record.consumer_tag == ledger.tagger.tag("email:ana@example.com")


def test_same_key_and_body_returns_same_request_when_replayed(ledger):
    first = submit(ledger, key="k-1")
    second = submit(ledger, key="k-1")
    assert not second.created
    assert second.record.request_id == first.record.request_id
    assert len(ledger.evidence.objects) == 1


def test_same_key_with_other_body_is_refused_when_replayed(ledger):
    submit(ledger, key="k-1")
    with pytest.raises(IdempotencyKeyReusedError):
        submit(ledger, key="k-1", type="limit_sensitive_pi")
    assert len(ledger.index.requests) == 1


def test_retry_completes_exactly_once_when_index_write_failed_after_evidence_was_stored(ledger, clock):
    ledger.index.fail_writes = 1
    with pytest.raises(RuntimeError):
        submit(ledger, key="crash")
    assert len(ledger.evidence.objects) == 1 and not ledger.index.requests
    clock.moment += timedelta(seconds=30)  # the client retries a little later
    retried = submit(ledger, key="crash")
    assert len(ledger.evidence.objects) == 1
    assert list(ledger.index.requests) == [retried.record.request_id]
    # the adopted event keeps the first attempt's receipt time, not the retry's
    assert retried.record.received_at == clock.moment - timedelta(seconds=30)


def test_staff_entered_request_keeps_real_receipt_time_when_entered_later(ledger, clock):
    received = clock.moment - timedelta(days=3)
    record = submit(ledger, channel="email", received_at=received.isoformat()).record
    assert record.received_at == received
    assert record.recorded_at == clock.moment


@pytest.mark.parametrize("delta", [timedelta(hours=1), -timedelta(days=46)])
def test_staff_receipt_time_is_refused_when_in_future_or_too_old(ledger, clock, delta):
    with pytest.raises(ValidationError) as caught:
        submit(ledger, channel="mail", received_at=(clock.moment + delta).isoformat())
    assert caught.value.details[0]["field"] == "received_at"
    assert not ledger.evidence.objects


def test_retention_below_floor_is_refused_before_anything_is_written(ledger):
    with pytest.raises(RetentionTooShortError):
        ledger.evidence.put_new("k", b"{}", retain_until=ledger.now(), minimum_retain_until=ledger.now()
                                + timedelta(days=730))
    assert not ledger.evidence.objects


def test_creator_answers_created_when_a_concurrent_twin_indexed_its_object_first(ledger):
    # Given a twin with the same key that adopts the locked object and indexes it between our store and our index
    index = ledger.index
    real_create = index.create_request

    def twin_wins(request, event):
        real_create(request, event)  # the twin's write lands first
        real_create(request, event)  # ours then finds the request indexed

    index.create_request = twin_wins
    result = submit(ledger, key="twin-1")
    index.create_request = real_create
    assert result.created and result.record.request_id in index.requests
    assert submit(ledger, key="twin-1").created is False
    assert len(index.requests) == 1
