"""Writing events: locked evidence object first, then the index, so nothing indexed lacks its evidence."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from shared.config import Settings
from shared.errors import ChainConflictError, ConflictError, EvidenceExistsError, RequestNotFoundError
from shared.ledger.envelope import Actor, Envelope, build_envelope
from shared.ledger.identity import actor_subject
from shared.ledger.ids import uuid7
from shared.ledger.retention import minimum_retain_until, retain_until
from shared.models.domain import RecordType
from shared.models.records import RequestRecord, StoredEvent
from shared.services.alert_outbox import alerts_of
from shared.services.projection import apply_event
from shared.ports import ConsumerTagger, EvidenceStore, IntegrityAlerts, LedgerIndex, NoticeCatalog
from shared.timefmt import parse_rfc3339, utc_now


@dataclass
class Ledger:
    """The ports every use case shares, built once per container by the handler's composition root."""

    evidence: EvidenceStore
    index: LedgerIndex
    tagger: ConsumerTagger
    settings: Settings
    now: Callable[[], datetime] = field(default=utc_now)
    notices: NoticeCatalog | None = None  # the privacy-notice versions in force are named on every new request
    integrity: IntegrityAlerts | None = None  # told when a locked evidence object is missing or altered


def request_event_key(request_id: str, seq: int) -> str:
    """One key per chain position: create-only writes here make S3 itself refuse a forked chain."""
    return f"events/requests/{request_id}/{seq:08d}.json"


def standalone_event_key(envelope: Envelope) -> str:
    day = envelope.recorded_at[:10].replace("-", "/")
    return f"events/standalone/{day}/{envelope.event_id}.json"


def store_envelope(ledger: Ledger, envelope: Envelope, key: str) -> StoredEvent:
    """Write the canonical bytes create-only and locked. Raises EvidenceExistsError when the key is taken."""
    recorded_at = parse_rfc3339(envelope.recorded_at)
    version = ledger.evidence.put_new(
        key,
        envelope.canonical(),
        retain_until=parse_rfc3339(envelope.retain_until),
        minimum_retain_until=minimum_retain_until(RecordType(envelope.record_type), recorded_at),
    )
    return stored_event(envelope, key, version)


def stored_event(envelope: Envelope, key: str, version: str) -> StoredEvent:
    return StoredEvent.model_validate({  # a dict, as build_envelope does: no keyword packing
        "event_id": envelope.event_id,
        "type": envelope.type,
        "request_id": envelope.request_id,
        "seq": envelope.seq,
        "event_hash": envelope.hash(),
        "prev_event_hash": envelope.prev_event_hash,
        "consumer_tag": envelope.consumer_tag,
        "occurred_at": parse_rfc3339(envelope.occurred_at),
        "recorded_at": parse_rfc3339(envelope.recorded_at),
        "record_type": envelope.record_type,
        "actor_type": envelope.actor.type,
        "actor_role": envelope.actor.role,
        "s3_key": key,
        "s3_version_id": version,
    })


def load_current(ledger: Ledger, key: str) -> tuple[Envelope, StoredEvent]:
    """Read back the object a create-only write found at `key` (a retry, or a writer that crashed before indexing)."""
    body, version = ledger.evidence.get_current(key)
    envelope = parse_envelope(body)
    return envelope, stored_event(envelope, key, version)


def parse_envelope(body: bytes) -> Envelope:
    return Envelope.from_json_dict(json.loads(body))


def append_request_event(
    ledger: Ledger,
    request_id: str,
    decide: Callable[[RequestRecord], "EventDraft | None"],
    attempts: int = 8,
    known: RequestRecord | None = None,
) -> tuple[RequestRecord, Envelope | None]:
    """Append one event to a request's chain, exactly once.

    `decide` sees the current state and returns the event to add, None when there is nothing to add (a retried
    delivery already recorded), or raises a rule error. The object goes to
    the next chain position create-only; a position already taken by a writer that crashed before indexing is
    adopted first (it is valid evidence), and a writer that lost a race re-reads and decides again.

    `known`, a copy of the request the caller already holds, spares the first read. It may be behind: every write
    is conditional on the chain head it names, so a stale copy finds its next position taken and is read again.
    """
    for _ in range(attempts):
        record, known = known or ledger.index.get_request(request_id), None
        if record is None:
            raise RequestNotFoundError(f"No request with id {request_id}.")
        draft = decide(record)
        if draft is None:
            return record, None
        envelope = draft_envelope(ledger, draft, RecordType.CONSUMER_REQUEST, record.consumer_tag, request_id=request_id,
                             seq=record.chain_seq + 1, prev_event_hash=record.chain_head)
        key = request_event_key(request_id, record.chain_seq + 1)
        try:
            stored = store_envelope(ledger, envelope, key)
        except EvidenceExistsError:
            _adopt_stranded(ledger, record, key)
            continue
        updated = apply_event(record, envelope, stored)
        try:
            ledger.index.append_event(updated, stored, expected_seq=record.chain_seq,
                                      outbox=alerts_of(record, envelope))
        except ChainConflictError:
            # Only another writer adopting *our* object can move the chain past a position we hold in S3.
            current = ledger.index.get_request(request_id)
            if current is not None and current.chain_seq > record.chain_seq:
                events = ledger.index.request_events(request_id)
                if any(event.event_id == envelope.event_id for event in events):
                    return current, envelope
            raise
        return updated, envelope
    raise ChainConflictError(f"request {request_id} kept moving; gave up after {attempts} attempts")


def _adopt_stranded(ledger: Ledger, record: RequestRecord, key: str) -> None:
    """Index the object a crashed writer left at the next position, so the chain has no hole."""

    envelope, stored = load_current(ledger, key)
    try:
        ledger.index.append_event(apply_event(record, envelope, stored), stored, expected_seq=record.chain_seq,
                                  outbox=alerts_of(record, envelope))
    except ChainConflictError:
        pass  # someone else indexed it meanwhile: either way the position is now in the index


@dataclass(frozen=True)
class AccessKeys:
    """Where an event sits in the access log: who (tagged), what they did, from which service."""

    actor_id: str
    action: str
    service: str


OWN_SERVICE = "ccpa-audit"


def tag_of(ledger: Ledger, subject: str) -> str:
    """An HMAC tag, remembered per container: the same actors and consumers recur all day (one KMS call each)."""
    return _tag(ledger.tagger, subject)


@lru_cache(maxsize=16384)
def _tag(tagger: ConsumerTagger, subject: str) -> str:
    return tagger.tag(subject)


def _with_access(ledger: Ledger, stored: StoredEvent, access: AccessKeys | None) -> StoredEvent:
    if access is None:
        return stored
    return stored.model_copy(update={"actor_tag": tag_of(ledger, actor_subject(access.actor_id)),
                                     "access_action": access.action, "access_service": access.service})


def record_standalone_event(ledger: Ledger, draft: "EventDraft", record_type: RecordType,
                            consumer_tag: str | None = None, access: AccessKeys | None = None) -> StoredEvent:
    """An event outside any request's chain (reads, refused callbacks, registry changes): locked, then indexed."""
    envelope = draft_envelope(ledger, draft, record_type, consumer_tag)
    stored = _with_access(ledger, store_envelope(ledger, envelope, standalone_event_key(envelope)), access)
    ledger.index.put_standalone_event(stored)
    return stored


def record_standalone_event_once(ledger: Ledger, draft: "EventDraft", record_type: RecordType,
                                 consumer_tag: str | None, key: str,
                                 access: AccessKeys | None = None) -> tuple[StoredEvent, bool]:
    """A standalone event at a key derived from what it records (an export, a producer's event id), so a retry
    stores nothing twice: an object already at the key is adopted, and indexed if its writer crashed before.
    Returns the stored event and whether this call created it."""
    envelope = draft_envelope(ledger, draft, record_type, consumer_tag)
    try:
        stored, created = store_envelope(ledger, envelope, key), True
    except EvidenceExistsError:
        _, stored = load_current(ledger, key)
        created = False
    stored = _with_access(ledger, stored, access)
    try:
        ledger.index.put_standalone_event(stored)
    except ConflictError:
        pass  # a concurrent retry indexed the same object (its key is create-only) first
    return stored, created


def draft_envelope(ledger: Ledger, draft: "EventDraft", record_type: RecordType, consumer_tag: str | None,
                   **chain: Any) -> Envelope:
    now = ledger.now()
    return build_envelope(
        event_id=uuid7(),
        type=draft.type,
        actor=draft.actor,
        occurred_at=draft.occurred_at or now,
        recorded_at=now,
        record_type=record_type,
        retain_until=max(retain_until(record_type, now, ledger.settings), draft.retain_until or now),
        consumer_tag=consumer_tag,
        details=draft.details,
        **chain,
    )


@dataclass(frozen=True)
class EventDraft:
    """What a use case wants appended; the writer adds ids, chain links, times, retention and the nonce."""

    type: str
    actor: Actor
    details: dict[str, Any]
    occurred_at: datetime | None = None
    retain_until: datetime | None = None  # a longer lock than the record type's (minors, extensions)
