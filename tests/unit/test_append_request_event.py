from datetime import timedelta

import pytest

from shared.ledger.envelope import Actor
from shared.models.api import AcknowledgeAction, SubmitRequestBody, VerifyAction
from shared.services.request_actions import apply_action
from shared.services.submit_request import Submission, submit_request

ANALYST = Actor(type="staff", id="u1", role="analyst")


@pytest.fixture
def delete_request(ledger):
    body = SubmitRequestBody.model_validate({"type": "delete", "channel": "web_form",
                                             "consumer": {"email": "a@example.com"}})
    return submit_request(ledger, Submission(body, Actor(type="consumer"))).record


def test_next_writer_adopts_a_stranded_object_when_a_writer_crashed_before_indexing(ledger, clock, delete_request):
    clock.moment += timedelta(hours=1)
    ledger.index.fail_writes = 1  # the acknowledgement's object is stored, its index write fails
    with pytest.raises(RuntimeError):
        apply_action(ledger, delete_request.request_id,
                     AcknowledgeAction(action="acknowledge", sent_at=clock.moment, method="email"), ANALYST)
    assert len(ledger.evidence.objects) == 2 and ledger.index.get_request(delete_request.request_id).chain_seq == 1

    record = apply_action(ledger, delete_request.request_id,
                          VerifyAction(action="verify", method="code", outcome="verified", level="reasonable"), ANALYST)
    chain = ledger.index.request_events(delete_request.request_id)
    assert [e.type for e in chain] == ["request_received", "request_acknowledged", "identity_verified"]
    assert [e.prev_event_hash for e in chain[1:]] == [chain[0].event_hash, chain[1].event_hash]
    assert record.chain_seq == 3 and record.clocks["acknowledge_by"].satisfied_at == clock.moment
    assert len(ledger.evidence.objects) == 3  # nothing written twice


def test_a_rule_refusal_writes_nothing_when_the_action_is_not_allowed(ledger, clock):
    from shared.errors import VerificationNotAllowedError

    body = SubmitRequestBody.model_validate({"type": "opt_out_sale_sharing", "channel": "web_form",
                                             "consumer": {"email": "a@example.com"}})
    record = submit_request(ledger, Submission(body, Actor(type="consumer"))).record
    with pytest.raises(VerificationNotAllowedError):
        apply_action(ledger, record.request_id,
                     VerifyAction(action="verify", method="code", outcome="verified", level="reasonable"), ANALYST)
    assert len(ledger.evidence.objects) == 1 and ledger.index.get_request(record.request_id).chain_seq == 1
