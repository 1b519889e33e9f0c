"""Reading a consumer's status link (issued by shared/services/status_links.py) and the plain-words state it
shows (11 CCR 7026: a consumer can confirm an opt-out)."""

import re

from shared.errors import NotFoundError
from shared.ledger.identity import status_lookup_subject
from shared.models.domain import ClockName, RequestStatus
from shared.models.records import RequestRecord
from shared.models.status import RequestStatusOut
from shared.ports import StatusTokens
from shared.services.ledger_writer import Ledger
from shared.services.record_gpc_signal import HONORED_TEXT
from shared.timefmt import rfc3339

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 bytes, base64url without padding
PLAIN_WORDS = {
    RequestStatus.RECEIVED: "Received",
    RequestStatus.ACKNOWLEDGED: "Received",
    RequestStatus.VERIFIED: "In progress",
    RequestStatus.IN_PROGRESS: "In progress",
    RequestStatus.PARTIALLY_HONORED: "In progress",
    RequestStatus.HONORED: "Honored",
    RequestStatus.RESPONDED: "Answered",
    RequestStatus.DENIED: "Denied",
}


def read_request_status(ledger: Ledger, links: StatusTokens, token: str) -> RequestStatusOut:
    """Unknown and malformed tokens look the same (404), so a probe learns nothing."""
    record = None
    if TOKEN_SHAPE.match(token):
        lookup = ledger.tagger.tag(status_lookup_subject(token))
        request_id = links.find([lookup]).get(lookup)
        record = ledger.index.get_request(request_id) if request_id else None
    if record is None:
        raise NotFoundError("There is no request for this status link.", [{"field": "token", "issue": "unknown"}])
    return RequestStatusOut(request_id=record.request_id, type=record.type.value, status=record.status.value,
                            received_at=rfc3339(record.received_at), due=consumer_due(record), display=display(record))


def consumer_due(record: RequestRecord) -> str:
    """The date the consumer is owed: honoring an opt-out or limit, otherwise the response (extended or not)."""
    name = ClockName.HONOR_BY if record.type.is_opt_out else ClockName.RESPOND_BY
    return record.clocks[name].due.isoformat()


def display(record: RequestRecord) -> str:
    if record.type.is_opt_out and record.status == RequestStatus.HONORED:
        return HONORED_TEXT
    return PLAIN_WORDS[record.status]
