"""The personal-data access log: producers' batches stored as ledger events, and searched by consumer, actor,
action, service and date.

Each access event is a standalone `data_access` event (locked object, index item, sealed like every event) whose
details are the OCSF-aligned body (services/access_ocsf.py). Its object key derives from the producer's id, so a
retried batch stores nothing twice. Reads of the ledger (`audit_read`) and exports (`export_created`) carry the
same access-log keys, so a search shows who looked at the log too.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from shared.cursors import decode_cursor, encode_cursor
from shared.ledger.envelope import Actor
from shared.ledger.identity import account_subject, actor_subject, email_subject
from shared.models.access_events import AccessEventIn
from shared.models.domain import EventType, RecordType
from shared.models.records import StoredEvent
from shared.models.time_range import instant
from shared.ports import ScopeIndex
from shared.services.access_ocsf import access_view, ocsf_details, producer_key
from shared.services.evidence_reads import read_event_body
from shared.services.ledger_writer import (
    AccessKeys,
    EventDraft,
    Ledger,
    parse_envelope,
    record_standalone_event_once,
    tag_of,
)
from shared.services.read_requests import record_audit_read
from shared.timefmt import rfc3339

WRITERS = 16


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


def record_access_batch(ledger: Ledger, events: list[AccessEventIn], producer: Actor) -> list[str]:
    """Store a validated batch; returns the ledger event id of each item, in order. A retried item (same producer,
    service and producer id) returns the id stored the first time."""
    received_at = ledger.now()
    tags = _consumer_tags(ledger, events)
    keys = [producer_key(event, producer.id or producer.type) for event in events]
    first: dict[str, int] = {}
    for number, key in enumerate(keys):
        first.setdefault(key, number)  # the same id twice in one batch is stored once
    unique = list(first.values())

    def store(number: int) -> str:
        event = events[number]
        details = ocsf_details(event, received_at, ledger.settings.data_category_map)
        draft = EventDraft(EventType.DATA_ACCESS, producer, details, event.occurred_at)
        access = AccessKeys(event.actor.id, event.action, event.source.service)
        stored, _ = record_standalone_event_once(ledger, draft, RecordType.ACCESS_EVENT, tags[number],
                                                 f"events/access/{keys[number]}.json", access)
        return stored.event_id

    done = map(store, unique) if len(unique) == 1 else _pool().map(store, unique)
    stored_ids = dict(zip(unique, done, strict=True))
    return [stored_ids[first[key]] for key in keys]


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    """One pool per container: each event is two independent writes (S3, then DynamoDB), so a batch's events
    go in parallel; creating a pool per call would cost more than a small batch."""
    return ThreadPoolExecutor(max_workers=WRITERS)


def _consumer_tags(ledger: Ledger, events: list[AccessEventIn]) -> list[str]:
    """The email's tag when given (found by `consumer_email` searches), else the service-scoped account id's."""
    subjects = [email_subject(e.consumer.email) if e.consumer.email else
                account_subject(e.source.service, e.consumer.id or "") for e in events]
    unique = sorted(set(subjects))
    tags = dict(zip(unique, _pool().map(lambda subject: tag_of(ledger, subject), unique), strict=True))
    return [tags[subject] for subject in subjects]


def search_access_log(ledger: Ledger, scopes: ScopeIndex, search: AccessSearch,
                      reader: Actor) -> tuple[list[dict[str, Any]], str | None]:
    zone = ledger.settings.business_time_zone
    search = replace(search, from_=instant(search.from_, zone, end=False), to=instant(search.to, zone, end=True))
    consumer_tag = tag_of(ledger, email_subject(search.consumer_email)) if search.consumer_email else None
    actor_tag = tag_of(ledger, actor_subject(search.actor_id)) if search.actor_id else None
    events, cursor = scopes.access_events(consumer_tag=consumer_tag, actor_tag=actor_tag, action=search.action,
                                          service=search.service, recorded_from=search.from_,
                                          recorded_to=search.to, limit=search.limit,
                                          cursor=decode_cursor(search.cursor))
    items = list(_pool().map(lambda event: _present(ledger, event), events))
    scope = {"consumer_tag": consumer_tag, "actor_tag": actor_tag, "action": search.action,
             "service": search.service, "from": rfc3339(search.from_) if search.from_ else None,
             "to": rfc3339(search.to) if search.to else None, "results": len(items)}
    record_audit_read(ledger, reader, {"access_log": {k: v for k, v in scope.items() if v is not None}},
                      consumer_tag)
    return items, encode_cursor(cursor)


def _present(ledger: Ledger, event: StoredEvent) -> dict[str, Any]:
    envelope = parse_envelope(read_event_body(ledger, event))
    details = envelope.details
    out: dict[str, Any] = {
        "event_id": event.event_id, "type": event.type, "occurred_at": envelope.occurred_at,
        "recorded_at": envelope.recorded_at, "action": event.access_action, "service": event.access_service,
        "event_hash": event.event_hash,
    }
    if event.type == EventType.DATA_ACCESS:
        out.update(access_view(details), producer=envelope.actor.model_dump(exclude_none=True))
    else:  # a read of the ledger or an export, recorded by this service itself
        out.update(actor=envelope.actor.model_dump(exclude_none=True), purpose="audit",
                   scope=details.get("scope"), outcome="success")
    return out
