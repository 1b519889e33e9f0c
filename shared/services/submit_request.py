"""submit_request: accept a consumer request, lock its `request_received` event, index it, start its clocks."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.clocks.engine import ClockRules, clocks_from_day, receipt_day
from shared.errors import ConflictError, EvidenceExistsError, IdempotencyKeyReusedError, ValidationError
from shared.ledger.canonical import canonical_bytes, sha256_hex
from shared.ledger.envelope import Actor, Envelope, build_envelope
from shared.ledger.identity import email_subject
from shared.ledger.ids import uuid7, uuid8
from shared.ledger.retention import retain_until
from shared.models.api import SubmitRequestBody
from shared.models.domain import Channel, EventType, RecordType, RequestType
from shared.models.records import RequestRecord
from shared.services.input_times import refuse_future, wholly_before
from shared.services.ledger_writer import Ledger, load_current, request_event_key, store_envelope
from shared.services.downstream import Downstream
from shared.ports import StatusTokens
from shared.services.notices import notices_in_force
from shared.services.projection import apply_event
from shared.services.status_links import issue_status_token
from shared.services.start_fanout import start_fanout_soon
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
    status_token: str | None = None  # the consumer's status link, for a web-form submission


def idempotent_request_id(key: str) -> str:
    """The same Idempotency-Key always names the same request, so a retry lands on the same evidence key."""
    return uuid8("ccpa-audit/idempotency/v1", key)


def submit_request(ledger: Ledger, submission: Submission) -> SubmitResult:
    """Exactly once per Idempotency-Key: a retry after any crash adopts the locked object instead of writing again."""
    body = submission.body
    now = ledger.now()
    received_at = _receipt_time(body, now, ledger.settings.staff_backdate_max_days)
    submitted = body.model_dump(mode="json", exclude_none=True)
    fingerprint = sha256_hex(canonical_bytes(submitted))
    request_id = idempotent_request_id(submission.idempotency_key) if submission.idempotency_key else uuid7()
    tag = ledger.tagger.tag(email_subject(body.consumer.email))
    envelope = received_envelope(ledger, request_id, body.type, Channel(body.channel), submission.actor, received_at,
                                 now, tag, {"submission": submitted, "submission_sha256": fingerprint})
    return open_request(ledger, envelope, same_submission=lambda found: found.details.get("submission_sha256")
                        == fingerprint)


def accept_request(ledger: Ledger, downstream: Downstream, submission: Submission,
                   status_links: StatusTokens) -> SubmitResult:
    """Intake: the request, then (opt-out and limit) its fan-out. A replay starts a fan-out a crash cut short.
    A consumer's web-form submission gets its status link (the same token again on a replay)."""
    result = submit_request(ledger, submission)
    if result.record.type.is_opt_out:
        # A request this call opened is indexed as `result.record`; a replay's current state is read.
        start_fanout_soon(ledger, downstream, result.record.request_id, result.record if result.created else None)
    if submission.body.channel == Channel.WEB_FORM:
        result = SubmitResult(result.record, result.created, issue_status_token(ledger, status_links,
                                                                        result.record.request_id))
    return result


def received_envelope(ledger: Ledger, request_id: str, request_type: RequestType, channel: Channel, actor: Actor,
                      received_at: datetime, now: datetime, consumer_tag: str | None,
                      extra: dict[str, Any]) -> Envelope:
    """The `request_received` event: the receipt facts and the clocks they start, fixed at intake."""
    rules = ClockRules.from_settings(ledger.settings)
    day = receipt_day(received_at, rules)
    clocks = clocks_from_day(request_type, day, rules)
    return build_envelope(
        event_id=uuid7(),
        type=EventType.REQUEST_RECEIVED,
        actor=actor,
        occurred_at=received_at,
        recorded_at=now,
        record_type=RecordType.CONSUMER_REQUEST,
        retain_until=retain_until(RecordType.CONSUMER_REQUEST, now, ledger.settings),
        request_id=request_id,
        seq=1,
        consumer_tag=consumer_tag,
        details={
            "request": {
                "type": request_type.value,
                "channel": channel.value,
                "received_at": rfc3339(received_at),
                "receipt_day": day.isoformat(),
                "time_zone": rules.time_zone,
                "calendar": rules.calendar,
                "clocks": {name.value: due.isoformat() for name, due in clocks.items()},
            },
            # The privacy-notice versions in force at receipt (what the consumer was told when they asked).
            "notice_in_force": notices_in_force(ledger, received_at),
            **extra,
        },
    )


def open_request(ledger: Ledger, envelope: Envelope, same_submission: Callable[[Envelope], bool]) -> SubmitResult:
    """Lock a request's first event at chain position 1 and index it. A retry (or a concurrent twin with the same
    deterministic id) finds the locked object and adopts it, so a request is opened exactly once."""
    request_id = envelope.request_id or ""
    key = request_event_key(request_id, 1)
    try:
        stored = store_envelope(ledger, envelope, key)
        created = True
    except EvidenceExistsError:
        envelope, stored = load_current(ledger, key)
        if not same_submission(envelope):
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was already used with a different request body.",
                [{"field": "Idempotency-Key", "issue": "already used with a different body"}],
            ) from None
        created = False
    record = apply_event(None, envelope, stored)
    try:
        ledger.index.create_request(record, stored)
    except ConflictError:
        # A concurrent twin with the same key adopted the object this call just locked and indexed it first:
        # the create-only key means it indexed this very object, so the request exists once, as created here.
        indexed = ledger.index.get_request(request_id)
        if created and indexed is None:
            raise
        record = indexed or record
    return SubmitResult(record=record, created=created)


def _receipt_time(body: SubmitRequestBody, now: datetime, max_days: int) -> datetime:
    """Web forms use the server's clock; staff-entered channels carry the real receipt time (DESIGN 5)."""
    if body.received_at is None or Channel(body.channel).server_timed:
        return now
    refuse_future(body.received_at, now, "received_at")
    if wholly_before(body.received_at, now - timedelta(days=max_days)):
        raise ValidationError(
            f"received_at is more than {max_days} days ago.",
            [{"field": "received_at", "issue": f"older than {max_days} days"}],
        )
    return body.received_at
