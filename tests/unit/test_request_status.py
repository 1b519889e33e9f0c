"""Status links as a service over in-memory ports: the token, its HMAC-only index entry and the words shown."""

import pytest

from shared.errors import NotFoundError
from shared.ledger.envelope import Actor
from shared.ledger.identity import status_lookup_subject
from shared.models.api import SubmitRequestBody
from shared.models.domain import RequestStatus
from shared.services.request_status import consumer_due, display, read_request_status
from shared.services.status_links import issue_status_token
from shared.services.submit_request import Submission, submit_request
from tests.fakes import FakeGpcIdentities


def file(ledger, request_type="delete", email="ana@example.com"):
    body = SubmitRequestBody.model_validate({"type": request_type, "channel": "web_form",
                                             "consumer": {"email": email}})
    return submit_request(ledger, Submission(body, Actor(type="consumer"))).record


def test_token_is_deterministic_unguessable_and_indexed_only_by_its_hmac(ledger):
    links = FakeGpcIdentities()
    record = file(ledger)
    token = issue_status_token(ledger, links, record.request_id)
    assert issue_status_token(ledger, links, record.request_id) == token
    assert len(token) == 43 and record.request_id not in token
    assert links.links == {ledger.tagger.tag(status_lookup_subject(token)): record.request_id}
    assert token not in str(links.links)


def test_status_answers_the_consumer_facing_deadline_and_plain_words(ledger):
    links = FakeGpcIdentities()
    delete = file(ledger)
    opt_out = file(ledger, "opt_out_sale_sharing", "bo@example.com")
    shown = read_request_status(ledger, links, issue_status_token(ledger, links, delete.request_id))
    assert (shown.due, shown.display) == (delete.clocks["respond_by"].due.isoformat(), "Received")
    assert consumer_due(opt_out) == opt_out.clocks["honor_by"].due.isoformat()


@pytest.mark.parametrize(("request_type", "status", "words"), [
    ("opt_out_sale_sharing", RequestStatus.HONORED, "Opt-Out Request Honored"),
    ("limit_sensitive_pi", RequestStatus.HONORED, "Opt-Out Request Honored"),
    ("delete", RequestStatus.HONORED, "Honored"),
    ("delete", RequestStatus.VERIFIED, "In progress"),
    ("know", RequestStatus.ACKNOWLEDGED, "Received"),
    ("know", RequestStatus.RESPONDED, "Answered"),
    ("correct", RequestStatus.DENIED, "Denied"),
    ("opt_out_sale_sharing", RequestStatus.IN_PROGRESS, "In progress"),
])
def test_display_words_follow_the_status(ledger, request_type, status, words):
    record = file(ledger, request_type).model_copy(update={"status": status})
    assert display(record) == words


@pytest.mark.parametrize("token", ["", "short", "A" * 43, "!" * 43])
def test_unknown_tokens_are_not_found(ledger, token):
    with pytest.raises(NotFoundError):
        read_request_status(ledger, FakeGpcIdentities(), token)
