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
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from shared.cursors import decode_cursor, encode_cursor
from shared.ledger.envelope import Actor
from shared.ledger.identity import account_subject, actor_subject, email_subject
from shared.models.access_batch import AcceptedAccess
from shared.models.access_events import AccessEventIn
from shared.models.domain import EventType
from shared.models.records import StoredEvent
from shared.models.time_range import instant
from shared.ports import AccessStream, ScopeIndex
from shared.services.access_batches import access_event_id
from shared.services.access_ocsf import access_view, producer_key
from shared.services.evidence_reads import read_event_body
from shared.services.ledger_writer import Ledger, parse_envelope, tag_of
from shared.services.read_requests import record_audit_read
from shared.timefmt import rfc3339

WRITERS = 16
TAG_MEMORY = 16_384  # tag_of's cache size


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
    consumers = [_consumer_subject(event) for event in events]
    tags = _tags(ledger, [*consumers, *(actor_subject(event.actor.id) for event in events)])
    keys = [producer_key(event, producer.id or producer.type) for event in events]
    first: dict[str, int] = {}
    for number, key in enumerate(keys):
        first.setdefault(key, number)  # the same id twice in one batch is stored once
    stream.put([AcceptedAccess(events[number], producer, tags[consumers[number]],
                               tags[actor_subject(events[number].actor.id)], key, received_at)
                for key, number in first.items()])
    return [access_event_id(key) for key in keys]


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
