"""Extending the COMPLIANCE lock of a stored record when its retention rule asks for longer (a superseded notice,
a withdrawn consent), and recording each extension as a `retention_extended` event. A lock is never shortened."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.ledger.envelope import Actor
from shared.ledger.ids import uuid8
from shared.ledger.retention import extension_target
from shared.models.domain import EventType, RecordType
from shared.services.ledger_writer import EventDraft, Ledger, record_standalone_event_once
from shared.timefmt import rfc3339

RETENTION_ACTOR = Actor(type="system", id="retention")


@dataclass(frozen=True)
class LockedRecord:
    """A stored record whose lock a rule extends: its event and the object version holding it."""

    event_id: str
    s3_key: str
    s3_version_id: str
    record_type: RecordType
    consumer_tag: str | None = None


def extend_lock(ledger: Ledger, record: LockedRecord, rule_until: datetime, reason: str,
                cause: dict[str, Any]) -> str | None:
    """Extend `record`'s lock to at least `rule_until`; returns the `retention_extended` event id, or None when the
    lock already reaches that far. The event is written first, at a key derived from the object and the target,
    so a retry after a crash records nothing twice and still extends."""
    target = extension_target(record.record_type, rule_until, ledger.now(), ledger.settings)
    before = ledger.evidence.retained_until(record.s3_key, record.s3_version_id)
    if before is not None and before >= target:
        return None
    details = {
        "record": {"event_id": record.event_id, "key": record.s3_key, "version_id": record.s3_version_id,
                   "record_type": record.record_type.value},
        "reason": reason,
        "cause": cause,
        "previous_retain_until": rfc3339(before) if before else None,
        "retain_until": rfc3339(target),
    }
    draft = EventDraft(EventType.RETENTION_EXTENDED, RETENTION_ACTOR, details, retain_until=target)
    key = "events/retention/" + uuid8("ccpa-audit/retention/v1", f"{record.s3_key}\n{record.s3_version_id}\n"
                                      f"{rfc3339(target)}") + ".json"
    stored, _ = record_standalone_event_once(ledger, draft, record.record_type, record.consumer_tag, key)
    ledger.evidence.extend_retention(record.s3_key, record.s3_version_id, target)
    return stored.event_id
