"""Reading requests for analysts and auditors. Every read is itself recorded as an `audit_read` event."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import RequestNotFoundError
from shared.ledger.envelope import Actor, Envelope
from shared.ledger.identity import email_subject
from shared.models.domain import EventType, RecordType, RequestStatus, RequestType
from shared.models.records import RequestRecord, StoredEvent
from shared.models.search import RequestSearch, SearchPage
from shared.services.attention import requests_needing_attention
from shared.services.evidence_reads import read_event_body
from shared.services.ledger_writer import (
    OWN_SERVICE,
    AccessKeys,
    EventDraft,
    Ledger,
    parse_envelope,
    record_standalone_event,
)


@dataclass(frozen=True)
class RequestView:
    record: RequestRecord
    events: list[tuple[StoredEvent, Envelope]]

    @property
    def intake(self) -> Envelope:
        return self.events[0][1]


@dataclass(frozen=True)
class SearchCriteria:
    consumer_email: str | None = None
    type: RequestType | None = None
    status: RequestStatus | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 50
    cursor: str | None = None
    at_risk: bool = False
    overdue: bool = False


def get_request_view(ledger: Ledger, request_id: str, reader: Actor) -> RequestView:
    """The request with its whole chain, each body read at its pinned version and checked against its hash."""
    record = ledger.index.get_request(request_id)
    if record is None:
        raise RequestNotFoundError(f"No request with id {request_id}.")
    stored = ledger.index.request_events(request_id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        envelopes = list(pool.map(lambda event: read_checked(ledger, event), stored))
    record_audit_read(ledger, reader, {"request_id": request_id}, record.consumer_tag)
    return RequestView(record=record, events=list(zip(stored, envelopes, strict=True)))


def read_checked(ledger: Ledger, event: StoredEvent) -> Envelope:
    return parse_envelope(read_event_body(ledger, event))


def search_requests(ledger: Ledger, criteria: SearchCriteria, reader: Actor) -> SearchPage:
    tag = ledger.tagger.tag(email_subject(criteria.consumer_email)) if criteria.consumer_email else None
    if criteria.at_risk or criteria.overdue:
        page = _attention_page(ledger, criteria, tag)
    else:
        search = RequestSearch(consumer_tag=tag, type=criteria.type, status=criteria.status,
                               received_from=criteria.received_from, received_to=criteria.received_to,
                               limit=criteria.limit, cursor=criteria.cursor)
        page = ledger.index.search_requests(search)
    scope = {
        "consumer_tag": tag,
        "type": criteria.type,
        "status": criteria.status,
        "from": criteria.received_from.isoformat() if criteria.received_from else None,
        "to": criteria.received_to.isoformat() if criteria.received_to else None,
        "at_risk": criteria.at_risk or None,
        "overdue": criteria.overdue or None,
        "results": len(page.items),
    }
    record_audit_read(ledger, reader, {k: v for k, v in scope.items() if v is not None}, tag)
    return page


def _attention_page(ledger: Ledger, criteria: SearchCriteria, tag: str | None) -> SearchPage:
    """Most urgent first; the other criteria narrow the (small) set of requests with clocks needing attention."""
    found = [
        record
        for record in requests_needing_attention(ledger, ledger.now(), at_risk=criteria.at_risk,
                                                 overdue=criteria.overdue)
        if (tag is None or record.consumer_tag == tag)
        and (criteria.type is None or record.type == criteria.type)
        and (criteria.status is None or record.status == criteria.status)
        and (criteria.received_from is None or record.received_at >= criteria.received_from)
        and (criteria.received_to is None or record.received_at <= criteria.received_to)
    ]
    ids = [record.request_id for record in found]
    start = ids.index(criteria.cursor) + 1 if criteria.cursor in ids else 0
    items = found[start : start + criteria.limit]
    more = start + criteria.limit < len(found)
    return SearchPage(items=items, cursor=items[-1].request_id if more and items else None)


def record_audit_read(ledger: Ledger, reader: Actor, scope: dict[str, Any], consumer_tag: str | None) -> StoredEvent:
    """Who looked at the ledger, and at what: a standalone event, so reads never alter a request's chain."""
    draft = EventDraft(EventType.AUDIT_READ, reader, {"scope": scope})
    access = AccessKeys(reader.id or reader.type, "read", OWN_SERVICE)
    return record_standalone_event(ledger, draft, RecordType.ACCESS_EVENT, consumer_tag, access)
