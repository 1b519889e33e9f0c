"""Reading requests for analysts and auditors. Every read is itself recorded as an `audit_read` event."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from shared.errors import RequestNotFoundError
from shared.ledger.envelope import Actor, Envelope
from shared.ledger.identity import email_subject
from shared.models.domain import EventType, RecordType, RequestStatus, RequestType
from shared.models.records import RequestRecord, StoredEvent
from shared.models.search import RequestSearch, SearchPage
from shared.models.time_range import instant
from shared.services.attention import request_ids_needing_attention
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
    received_from: date | datetime | None = None  # a date is a whole business day (shared/models/time_range.py)
    received_to: date | datetime | None = None
    limit: int = 50
    cursor: str | None = None
    at_risk: bool = False
    overdue: bool = False
    open_only: bool = False


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
    zone = ledger.settings.business_time_zone
    criteria = replace(criteria, received_from=instant(criteria.received_from, zone, end=False),
                       received_to=instant(criteria.received_to, zone, end=True))
    tag = ledger.tagger.tag(email_subject(criteria.consumer_email)) if criteria.consumer_email else None
    if criteria.at_risk or criteria.overdue:
        page = _attention_page(ledger, criteria, tag)
    elif criteria.open_only:
        page = _open_page(ledger, criteria, tag)
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
        "open": criteria.open_only or None,
        "results": len(page.items),
    }
    record_audit_read(ledger, reader, {k: v for k, v in scope.items() if v is not None}, tag)
    return page


def _attention_page(ledger: Ledger, criteria: SearchCriteria, tag: str | None) -> SearchPage:
    """Requests with a clock at risk or overdue, most urgent first."""
    ranked = request_ids_needing_attention(ledger, ledger.now(), at_risk=criteria.at_risk, overdue=criteria.overdue,
                                           request_type=criteria.type)
    return _ranked_page(ledger, criteria, tag, ranked)


def _open_page(ledger: Ledger, criteria: SearchCriteria, tag: str | None) -> SearchPage:
    """Requests with an unsatisfied clock, earliest due first, each listed at its earliest open clock. The sparse
    OpenClocks index is read from the cursor's position for about one page per shard, so the first page costs the
    same with a thousand open requests as with ten; the cursor is the index position of the page's last clock."""
    found: list[tuple[RequestRecord, str]] = []
    after = criteria.cursor
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(found) <= criteria.limit:
            clocks = ledger.index.open_clocks(after=after, limit=criteria.limit + 1)
            if not clocks:
                break
            after = clocks[-1].position
            records = pool.map(ledger.index.get_request, [clock.request_id for clock in clocks])
            found += [
                (record, clock.position)
                for clock, record in zip(clocks, records, strict=True)
                if record is not None and _earliest_open(record) == clock.clock and _matches(record, criteria, tag)
            ]
    page = found[: criteria.limit]
    more = len(found) > criteria.limit
    return SearchPage(items=[record for record, _ in page], cursor=page[-1][1] if more else None)


def _earliest_open(record: RequestRecord) -> str | None:
    open_clocks = [(clock.due, name.value) for name, clock in record.clocks.items() if clock.satisfied_at is None]
    return min(open_clocks)[1] if open_clocks else None


def _ranked_page(ledger: Ledger, criteria: SearchCriteria, tag: str | None, ranked: list[str]) -> SearchPage:
    """One page of requests ranked by the sparse OpenClocks index. Only the records of that page (and of those the
    other criteria skip) are read, so the cost follows the page, not the backlog; the cursor is the last id. The
    total is the ranking's length when no criterion needs a record to decide."""
    position = ranked.index(criteria.cursor) + 1 if criteria.cursor in ranked else 0
    items: list[RequestRecord] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        while position < len(ranked) and len(items) <= criteria.limit:
            chunk = ranked[position : position + criteria.limit + 1 - len(items)]
            position += len(chunk)
            items += [r for r in pool.map(ledger.index.get_request, chunk) if r and _matches(r, criteria, tag)]
    more = len(items) > criteria.limit
    items = items[: criteria.limit]
    narrowed = tag or criteria.status or criteria.received_from or criteria.received_to
    return SearchPage(items=items, cursor=items[-1].request_id if more else None,
                      total=None if narrowed else len(ranked))


def _matches(record: RequestRecord, criteria: SearchCriteria, tag: str | None) -> bool:
    return (
        (tag is None or record.consumer_tag == tag)
        and (criteria.type is None or record.type == criteria.type)
        and (criteria.status is None or record.status == criteria.status)
        and (criteria.received_from is None or record.received_at >= criteria.received_from)
        and (criteria.received_to is None or record.received_at <= criteria.received_to)
    )


def record_audit_read(ledger: Ledger, reader: Actor, scope: dict[str, Any], consumer_tag: str | None) -> StoredEvent:
    """Who looked at the ledger, and at what: a standalone event, so reads never alter a request's chain."""
    draft = EventDraft(EventType.AUDIT_READ, reader, {"scope": scope})
    access = AccessKeys(reader.id or reader.type, "read", OWN_SERVICE)
    return record_standalone_event(ledger, draft, RecordType.ACCESS_EVENT, consumer_tag, access)
