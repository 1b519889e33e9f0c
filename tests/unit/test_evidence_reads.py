import pytest

from shared.errors import EvidenceAlteredError, EvidenceMissingError
from shared.ledger.envelope import Actor
from shared.models.api import SubmitRequestBody
from shared.services.evidence_reads import read_event_body
from shared.services.submit_request import Submission, submit_request
from tests.fakes import FakeAlerts


@pytest.fixture
def intake_event(ledger):
    body = SubmitRequestBody.model_validate({"type": "delete", "channel": "web_form",
                                             "consumer": {"email": "a@example.com"}})
    record = submit_request(ledger, Submission(body, Actor(type="consumer"))).record
    return ledger.index.request_events(record.request_id)[0]


def test_an_intact_body_is_returned_and_nothing_is_reported(ledger, intake_event):
    ledger.integrity = FakeAlerts()
    assert read_event_body(ledger, intake_event).startswith(b"{")
    assert ledger.integrity.integrity == []


@pytest.mark.parametrize(("damage", "error", "kind"), [
    ("delete", EvidenceMissingError, "evidence_missing"),
    ("alter", EvidenceAlteredError, "evidence_altered"),
])
def test_a_damaged_body_raises_the_named_error_and_is_reported_once(ledger, intake_event, damage, error, kind):
    ledger.integrity = FakeAlerts()
    objects = ledger.evidence.objects
    if damage == "delete":
        del objects[intake_event.s3_key]
    else:
        body, version, until = objects[intake_event.s3_key]
        objects[intake_event.s3_key] = (body.replace(b"a@example.com", b"b@example.com"), version, until)
    with pytest.raises(error) as raised:
        read_event_body(ledger, intake_event)
    assert raised.value.code == kind and intake_event.event_id in raised.value.message
    [alert] = ledger.integrity.integrity
    assert (alert.kind, alert.event_id, alert.request_id) == (kind, intake_event.event_id, intake_event.request_id)
    assert alert.detected_at == "2026-11-20T18:00:00.000Z"


def test_the_named_error_reaches_the_caller_even_when_alerting_fails(ledger, intake_event):
    class Down:
        def report(self, alert):
            raise RuntimeError("SNS unavailable")

    ledger.integrity = Down()
    del ledger.evidence.objects[intake_event.s3_key]
    with pytest.raises(EvidenceMissingError):
        read_event_body(ledger, intake_event)
