"""The personal-data access log: producers' batches stored as ledger events, and searched by consumer, actor,
action, service and date.

Each access event is a `data_access` ledger event whose details are the OCSF-aligned body (services/access_ocsf.py),
stored as one row of a batch object (docs/access-events.md, "Batch objects"): the API puts rows on the access
stream, whose consumer writes the locked Parquet objects that the sealer appends to the Merkle log. Its id derives
from the producer's id, so a retried batch stores nothing twice that search or the log would show twice. Reads of the ledger (`audit_read`) and exports (`export_created`) carry the
same access-log keys, so a search shows who looked at the log too.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from shared.cursors import decode_cursor, encode_cursor, position
from shared.errors import ValidationError
from shared.ledger.envelope import Actor
from shared.ledger.identity import account_subject, actor_subject, email_subject
from shared.ledger.ids import nonce_hexes
from shared.models.access_stream import AcceptedAccess
from shared.models.access_search import AccessQuery, AccessRow
from shared.models.access_events import AccessEventIn
from shared.models.domain import EventType
from shared.models.records import StoredEvent
from shared.models.time_range import instant
from shared.ports import AccessEngine, AccessStream, ScopeIndex
from shared.services.access_batches import access_event_id
from shared.services.access_ocsf import access_view, producer_keys
from shared.services.evidence_reads import read_event_body
from shared.services.ledger_writer import Ledger, parse_envelope, tag_of
from shared.services.read_requests import record_audit_read
from shared.timefmt import parse_rfc3339, rfc3339

WRITERS = 16
TAG_MEMORY = 16_384  # tag_of's cache size
LOOKBACK = timedelta(days=800)  # an open `from`: the retention window, as the index reads it
FUTURE = timedelta(days=1)  # an open `to`: nothing is recorded after now (a day of clock margin)
T = TypeVar("T")
HIGHEST = "\uffff"  # the index's highest position character (adapters/merged_query.py)


@dataclass(frozen=True)
class AccessSearch:
    consumer_email: str | None = None
    actor_id: str | None = None
    action: str | None = None
    service: str | None = None
    from_: date | datetime | None = None  # a date is a whole business day (shared/models/time_range.py)
    to: date | datetime | None = None
    limit: int = 50
    cursor: str | None = None


def record_access_batch(ledger: Ledger, stream: AccessStream, events: list[AccessEventIn],
                        producer: Actor) -> list[str]:
    """Accept a validated batch: every event is put durably on the access stream (its consumer makes the batch
    objects), all or an error (StorageUnavailableError, nothing promised). Returns the ledger event id of each item, in order; a
    retried item (same producer, service and producer id) gets the id it got the first time (access_batches.py)."""
    received_at = ledger.now()
    keys = producer_keys(events, producer.id or producer.type)
    first: dict[str, int] = {}
    for number, key in enumerate(keys):
        first.setdefault(key, number)  # the same id twice in one batch is stored once
    kept = [events[number] for number in first.values()]
    consumers = [_consumer_subject(event) for event in kept]
    actors = [actor_subject(event.actor.id) for event in kept]
    tags = _tags(ledger, [*consumers, *actors])
    ids = [access_event_id(key) for key in keys]
    stream.put([AcceptedAccess(event, producer, tags[consumer], tags[actor], key, received_at, nonce, ids[number])
                for event, consumer, actor, (key, number), nonce in zip(kept, consumers, actors, first.items(),
                                                                         nonce_hexes(len(kept)), strict=True)])
    return ids


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    """One pool per container, for the KMS calls of new tags and the evidence reads of a search page."""
    return ThreadPoolExecutor(max_workers=WRITERS)


_tagged: set[str] = set()  # subjects tag_of has already answered in this container (it caches them)


def _tags(ledger: Ledger, subjects: list[str]) -> dict[str, str]:
    """HMAC tags of these subjects: new ones in parallel (one KMS call each), known ones from tag_of's cache
    without a thread hop (a batch's consumers and actors mostly recur)."""
    unique = set(subjects)
    fresh = sorted(unique - _tagged)
    if len(_tagged) + len(fresh) > TAG_MEMORY:
        _tagged.clear()
    found = dict(zip(fresh, _pool().map(lambda subject: tag_of(ledger, subject), fresh), strict=True))
    _tagged.update(fresh)
    return {**{subject: tag_of(ledger, subject) for subject in unique - found.keys()}, **found}


def _consumer_subject(event: AccessEventIn) -> str:
    """The email's (found by `consumer_email` searches) when given, else the service-scoped account id's."""
    if event.consumer.email:
        return email_subject(event.consumer.email)
    return account_subject(event.source.service, event.consumer.id or "")


def search_access_log(ledger: Ledger, scopes: ScopeIndex, engine: AccessEngine, search: AccessSearch,
                      reader: Actor) -> tuple[list[dict[str, Any]], str | None]:
    """One newest-first page: access events from the engine (batch objects), merged with the ledger's own reads
    and exports (and access events stored before batching) from the index, under one cursor."""
    zone = ledger.settings.business_time_zone
    search = replace(search, from_=instant(search.from_, zone, end=False), to=instant(search.to, zone, end=True))
    consumer_tag = tag_of(ledger, email_subject(search.consumer_email)) if search.consumer_email else None
    actor_tag = tag_of(ledger, actor_subject(search.actor_id)) if search.actor_id else None
    before = decode_cursor(search.cursor)
    indexed, indexed_next = scopes.access_events(consumer_tag=consumer_tag, actor_tag=actor_tag,
                                                 action=search.action, service=search.service,
                                                 recorded_from=search.from_, recorded_to=search.to,
                                                 limit=search.limit, cursor=before)
    now = ledger.now()
    query = AccessQuery(recorded_from=search.from_ or now - LOOKBACK, recorded_to=search.to or now + FUTURE,
                        consumer_tag=consumer_tag, actor_tag=actor_tag, action=search.action,
                        service=search.service, before=_keyset(before), limit=search.limit)
    rows = engine.search(query)
    found = [(position(e.recorded_at, e.event_id), e.event_id, e) for e in indexed]
    found += [(position(r.recorded_at, r.event_id), r.event_id, r) for r in rows[:search.limit]]
    engine_next = position(rows[search.limit - 1].recorded_at, rows[search.limit - 1].event_id) \
        if len(rows) > search.limit else None
    page, cursor = merge_pages(found, [indexed_next, engine_next], search.limit)
    items = list(_pool().map(lambda entry: _present(ledger, entry), page))
    scope = {"consumer_tag": consumer_tag, "actor_tag": actor_tag, "action": search.action,
             "service": search.service, "from": rfc3339(search.from_) if search.from_ else None,
             "to": rfc3339(search.to) if search.to else None, "results": len(items)}
    record_audit_read(ledger, reader, {"access_log": {k: v for k, v in scope.items() if v is not None}},
                      consumer_tag)
    return items, encode_cursor(cursor)


def merge_pages(found: list[tuple[str, str, T]], next_positions: list[str | None],
                limit: int) -> tuple[list[T], str | None]:
    """Newest first by position, each event id once. Each source's page covers what is newer than its own next
    position (or all it holds when it has none), so only what is newer than the newest of those is complete."""
    frontier = max((p for p in next_positions if p), default=None)
    seen: set[str] = set()
    merged = []
    for pos, event_id, value in sorted(found, key=lambda entry: entry[0], reverse=True):
        if event_id in seen or (frontier is not None and pos < frontier):
            continue
        seen.add(event_id)
        merged.append((pos, value))
    if len(merged) > limit:
        return [value for _, value in merged[:limit]], merged[limit - 1][0]
    return [value for _, value in merged], frontier


def _keyset(before: str | None) -> tuple[datetime, str] | None:
    """The engine's form of a cursor position: an item's `<RFC 3339>#<id>`, or the end of a month where the index
    stopped reading (`YYYY-MM-\uffff`: everything older than the next month's start)."""
    if before is None:
        return None
    moment, _, event_id = before.partition("#")
    try:
        if moment.endswith(HIGHEST) and len(moment) == 9:
            year, month = int(moment[:4]), int(moment[5:7])
            return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC), ""
        return parse_rfc3339(moment), event_id
    except ValueError:
        raise ValidationError("Field cursor is not a cursor this API returned.",
                              [{"field": "cursor", "issue": "is not a cursor this API returned"}]) from None


def _present(ledger: Ledger, event: StoredEvent | AccessRow) -> dict[str, Any]:
    if isinstance(event, AccessRow):  # from a batch object: the row carries its canonical envelope
        envelope = parse_envelope(event.envelope.encode())
        action, service = event.action, event.service
    else:
        envelope = parse_envelope(read_event_body(ledger, event))
        action, service = event.access_action, event.access_service
    details = envelope.details
    out: dict[str, Any] = {
        "event_id": event.event_id, "type": envelope.type, "occurred_at": envelope.occurred_at,
        "recorded_at": envelope.recorded_at, "action": action, "service": service,
        "event_hash": event.event_hash,
    }
    if envelope.type == EventType.DATA_ACCESS:
        out.update(access_view(details), producer=envelope.actor.model_dump(exclude_none=True))
    else:  # a read of the ledger or an export, recorded by this service itself
        out.update(actor=envelope.actor.model_dump(exclude_none=True), purpose="audit",
                   scope=details.get("scope"), outcome="success")
    return out


EXPORT_PAGE = 1000


def consumer_access_rows(engine: AccessEngine, consumer_tag: str, recorded_from: datetime | None,
                         recorded_to: datetime | None, now: datetime) -> list[AccessRow]:
    """Every access event of one consumer in the batch objects (each once), paging the engine to the end."""
    query = AccessQuery(recorded_from=recorded_from or now - LOOKBACK, recorded_to=recorded_to or now + FUTURE,
                        consumer_tag=consumer_tag, limit=EXPORT_PAGE)
    found: list[AccessRow] = []
    while True:
        rows = engine.search(query)
        found += rows[:EXPORT_PAGE]
        if len(rows) <= EXPORT_PAGE:
            return found
        last = rows[EXPORT_PAGE - 1]
        query = replace(query, before=(last.recorded_at, last.event_id))


def stored_from_row(row: AccessRow, batch_prefix: str) -> StoredEvent:
    """The index's view of an access event kept in a batch object; its body is the row's envelope."""
    envelope = parse_envelope(row.envelope.encode())
    return StoredEvent(
        event_id=row.event_id, type=envelope.type, request_id=None, seq=None, event_hash=row.event_hash,
        prev_event_hash=None, consumer_tag=envelope.consumer_tag, occurred_at=parse_rfc3339(envelope.occurred_at),
        recorded_at=parse_rfc3339(envelope.recorded_at), record_type=envelope.record_type,
        actor_type=envelope.actor.type, actor_role=envelope.actor.role, s3_key=batch_prefix, s3_version_id="",
        access_action=row.action, access_service=row.service)
