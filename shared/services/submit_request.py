"""submit_request: accept a consumer request, lock its `request_received` event, index it, start its clocks."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.clocks.engine import ClockRules, clocks_for, receipt_day
from shared.errors import ConflictError, EvidenceExistsError, IdempotencyKeyReusedError, ValidationError
from shared.ledger.canonical import canonical_bytes, sha256_hex
from shared.ledger.envelope import Actor, build_envelope
from shared.ledger.identity import email_subject
from shared.ledger.ids import uuid7
from shared.ledger.retention import retain_until
from shared.models.api import SubmitRequestBody
from shared.models.domain import Channel, EventType, RecordType
from shared.models.records import RequestRecord
from shared.services.input_times import refuse_future
from shared.services.ledger_writer import Ledger, load_current, request_event_key, store_envelope
from shared.services.projection import apply_event
from shared.timefmt import rfc3339

@dataclass(frozen=True)
class Submission:
    body: SubmitRequestBody
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SubmitResult:
    record: RequestRecord
    created: bool


def idempotent_request_id(key: str) -> str:
    """The same Idempotency-Key always names the same request, so a retry lands on the same evidence key."""
    digest = bytearray(hashlib.sha256(b"ccpa-audit/idempotency/v1\0" + key.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # UUID version 8 (custom)
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    return str(uuid.UUID(bytes=bytes(digest)))


def submit_request(ledger: Ledger, submission: Submission) -> SubmitResult:
    """Exactly once per Idempotency-Key: a retry after any crash adopts the locked object instead of writing again."""
    body = submission.body
    now = ledger.now()
    received_at = _receipt_time(body, now, ledger.settings.staff_backdate_max_days)
    rules = ClockRules.from_settings(ledger.settings)
    clocks = clocks_for(body.type, received_at, rules)
    submitted = body.model_dump(mode="json", exclude_none=True)
    fingerprint = sha256_hex(canonical_bytes(submitted))
    request_id = idempotent_request_id(submission.idempotency_key) if submission.idempotency_key else uuid7()
    envelope = build_envelope(
        event_id=uuid7(),
        type=EventType.REQUEST_RECEIVED,
        actor=submission.actor,
        occurred_at=received_at,
        recorded_at=now,
        record_type=RecordType.CONSUMER_REQUEST,
        retain_until=retain_until(RecordType.CONSUMER_REQUEST, now, ledger.settings),
        request_id=request_id,
        seq=1,
        consumer_tag=ledger.tagger.tag(email_subject(body.consumer.email)),
        details={
            "request": {
                "type": body.type.value,
                "channel": body.channel,
                "received_at": rfc3339(received_at),
                "receipt_day": receipt_day(received_at, rules).isoformat(),
                "time_zone": rules.time_zone,
                "calendar": rules.calendar,
                "clocks": {name.value: due.isoformat() for name, due in clocks.items()},
            },
            "submission": submitted,
            "submission_sha256": fingerprint,
        },
    )
    key = request_event_key(request_id, 1)
    try:
        stored = store_envelope(ledger, envelope, key)
        created = True
    except EvidenceExistsError:
        envelope, stored = load_current(ledger, key)
        if envelope.details.get("submission_sha256") != fingerprint:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was already used with a different request body.",
                [{"field": "Idempotency-Key", "issue": "already used with a different body"}],
            ) from None
        created = False
    record = apply_event(None, envelope, stored)
    try:
        ledger.index.create_request(record, stored)
    except ConflictError:
        if created:
            raise
        record = ledger.index.get_request(request_id) or record
    return SubmitResult(record=record, created=created)


def _receipt_time(body: SubmitRequestBody, now: datetime, max_days: int) -> datetime:
    """Web forms use the server's clock; staff-entered channels carry the real receipt time (DESIGN 5)."""
    if body.received_at is None or Channel(body.channel).server_timed:
        return now
    refuse_future(body.received_at, now, "received_at")
    if body.received_at < now - timedelta(days=max_days):
        raise ValidationError(
            f"received_at is more than {max_days} days ago.",
            [{"field": "received_at", "issue": f"older than {max_days} days"}],
        )
    return body.received_at
