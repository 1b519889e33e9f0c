"""Writing events: locked evidence object first, then the index, so nothing indexed lacks its evidence."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from shared.config import Settings
from shared.ledger.envelope import Envelope
from shared.ledger.retention import minimum_retain_until
from shared.models.domain import RecordType
from shared.models.records import StoredEvent
from shared.ports import ConsumerTagger, EvidenceStore, LedgerIndex
from shared.timefmt import parse_rfc3339, utc_now


@dataclass
class Ledger:
    """The ports every use case shares, built once per container by the handler's composition root."""

    evidence: EvidenceStore
    index: LedgerIndex
    tagger: ConsumerTagger
    settings: Settings
    now: Callable[[], datetime] = field(default=utc_now)


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
    return StoredEvent(
        event_id=envelope.event_id,
        type=envelope.type,
        request_id=envelope.request_id,
        seq=envelope.seq,
        event_hash=envelope.hash(),
        prev_event_hash=envelope.prev_event_hash,
        consumer_tag=envelope.consumer_tag,
        occurred_at=parse_rfc3339(envelope.occurred_at),
        recorded_at=parse_rfc3339(envelope.recorded_at),
        record_type=envelope.record_type,
        actor_type=envelope.actor.type,
        actor_role=envelope.actor.role,
        s3_key=key,
        s3_version_id=version,
    )


def load_current(ledger: Ledger, key: str) -> tuple[Envelope, StoredEvent]:
    """Read back the object a create-only write found at `key` (a retry, or a writer that crashed before indexing)."""
    body, version = ledger.evidence.get_current(key)
    envelope = parse_envelope(body)
    return envelope, stored_event(envelope, key, version)


def parse_envelope(body: bytes) -> Envelope:
    return Envelope.from_json_dict(json.loads(body))
