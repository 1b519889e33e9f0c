"""Which records an export scope covers. Scopes combine as an intersection; a request is always taken with its
whole chain (so the bundle proves the chain complete), and events outside any chain come with the scopes that can
name them (consumer, event type, date range).

| scope                    | requests (whole chains)                 | standalone events                      |
|--------------------------|-----------------------------------------|----------------------------------------|
| request_id               | that request                            | none                                   |
| consumer_email           | the consumer's requests                 | the consumer's (GPC, access, reads,    |
|                          |                                         | consents) and the notices they cite    |
| action_type: request type| requests of that type                   | none                                   |
| action_type: event type  | requests with such an event             | such events                            |
| from / to                | requests received in the range          | events recorded in the range           |
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.errors import RequestNotFoundError
from shared.models.access_batch import PREFIX as BATCH_PREFIX
from shared.models.domain import EventType, RequestType
from shared.models.export import ExportScope
from shared.models.records import RequestRecord, StoredEvent
from shared.ports import AccessEngine, ScopeIndex
from shared.services.consent_export import cited_notices
from shared.services.ledger_writer import Ledger

REQUEST_TYPES = {t.value for t in RequestType}
# Month partitions an API call may read to select a scope (each month is a few sharded Queries per kind).
SYNC_MAX_MONTHS = 25
LOOKBACK = timedelta(days=800)  # an open `from`: the retention window (as the index reads it)


@dataclass(frozen=True)
class Selection:
    requests: list[tuple[RequestRecord, list[StoredEvent]]]
    standalone: list[StoredEvent]
    # Bodies already read with the selection: access events from batch objects carry their envelope.
    bodies: dict[str, bytes] = field(default_factory=dict)

    @property
    def event_count(self) -> int:
        return sum(len(chain) for _, chain in self.requests) + len(self.standalone)

    def events(self) -> list[StoredEvent]:
        return [event for _, chain in self.requests for event in chain] + self.standalone


def select(ledger: Ledger, scopes: ScopeIndex, scope: ExportScope, access: AccessEngine | None = None) -> Selection:
    request_type = scope.action_type if scope.action_type in REQUEST_TYPES else None
    event_type = scope.action_type if scope.action_type and request_type is None else None
    if scope.request_id:
        record = ledger.index.get_request(scope.request_id)
        if record is None:
            raise RequestNotFoundError(f"No request with id {scope.request_id}.")
        records = [record] if _request_matches(record, scope, request_type) else []
        standalone: list[StoredEvent] = []
    elif event_type:
        found = scopes.events(consumer_tag=scope.consumer_tag, event_type=event_type, recorded_from=scope.from_,
                              recorded_to=scope.to)
        ids = sorted({event.request_id for event in found if event.request_id})
        records = [record for record in map(ledger.index.get_request, ids) if record is not None]
        standalone = [event for event in found if event.request_id is None]
    else:
        records = scopes.requests(consumer_tag=scope.consumer_tag, request_type=request_type,
                                  received_from=scope.from_, received_to=scope.to)
        wants_standalone = request_type is None and (scope.consumer_tag or scope.from_ or scope.to)
        standalone = scopes.events(consumer_tag=scope.consumer_tag, recorded_from=scope.from_,
                                   recorded_to=scope.to, standalone_only=True) if wants_standalone else []
    bodies: dict[str, bytes] = {}
    if access is not None and scope.consumer_tag and not scope.request_id and request_type is None \
            and event_type in (None, EventType.DATA_ACCESS):
        # The consumer's access events kept in batch objects, found through the search engine (loaded, like the
        # engine, by a consumer's export only).
        from shared.services.access_log import consumer_access_rows, stored_from_row

        known = {event.event_id for event in standalone}
        rows = [row for row in consumer_access_rows(access, scope.consumer_tag, scope.from_, scope.to, ledger.now())
                if row.event_id not in known]
        standalone = standalone + [stored_from_row(row, BATCH_PREFIX) for row in rows]
        bodies = {row.event_id: row.envelope.encode() for row in rows}
    if scope.consumer_tag and standalone:
        standalone = sorted(standalone + cited_notices(ledger, standalone),
                            key=lambda event: (event.recorded_at, event.event_id))
    chains = [(record, ledger.index.request_events(record.request_id)) for record in records]
    if scope.request_id and event_type:
        chains = [(record, chain) for record, chain in chains if any(e.type == event_type for e in chain)]
    return Selection(requests=chains, standalone=standalone, bodies=bodies)


def months_read(scope: ExportScope, now: datetime) -> int:
    """How many months of date partitions selecting `scope` reads: 0 when a request, consumer or type leads."""
    if scope.request_id or scope.consumer_tag or scope.action_type:
        return 0
    end = min(scope.to or now, now)
    start = scope.from_ or end - LOOKBACK
    return max(0, (end.year - start.year) * 12 + end.month - start.month + 1)


def _request_matches(record: RequestRecord, scope: ExportScope, request_type: str | None) -> bool:
    return ((scope.consumer_tag is None or record.consumer_tag == scope.consumer_tag)
            and (request_type is None or record.type.value == request_type)
            and _within(record.received_at, scope.from_, scope.to))


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment <= end)
