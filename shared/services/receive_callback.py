"""receive_callback: a downstream system's signed, asynchronous answer. Anything not provably from that system,
fresh and first-seen is refused (401); a signed answer must name an instruction that was sent to that system for
that request and still awaits its answer (404 `unknown_instruction`, 409 `instruction_not_pending`). Every refusal
is recorded as a standalone `callback_refused` event, never as the request's outcome."""

import hashlib
from datetime import timedelta
from typing import NoReturn

import pydantic

from shared.errors import (
    CallbackRefusedError,
    DomainError,
    InstructionNotPendingError,
    UnknownInstructionError,
    ValidationError,
)
from shared.json_input import parse_json
from shared.ledger.envelope import Actor
from shared.models.domain import EventType, RecordType
from shared.models.downstream import CallbackBody, ConfirmationOut
from shared.models.records import RequestRecord
from shared.models.systems import SYSTEM_ID
from shared.services import webhook_signing
from shared.services.downstream import Downstream
from shared.services.downstream_outcomes import record_confirmation, record_failure
from shared.services.ledger_writer import EventDraft, Ledger, record_standalone_event

REASONS = {
    "unknown_system": "No webhook system is registered under this id.",
    "missing_signature": "The Ccpa-Signature header is missing or malformed.",
    "stale_signature": "The signature's timestamp is outside the allowed window.",
    "bad_signature": "The signature does not match the body.",
    "replayed": "This signed callback was already received.",
    "unknown_instruction": "No such instruction was sent to this system for this request.",
    "instruction_not_pending": "This instruction already has its answer; it awaits none.",
}
# Callbacks awaiting an answer: the instruction was sent (waiting for the system), or its branch timed out on our
# side while the system never answered (a late answer still closes a partial result).
AWAITING = ("instructed", "timed_out")


def receive_callback(ledger: Ledger, downstream: Downstream, system_id: str, signature: str | None,
                     body: bytes) -> ConfirmationOut:
    now = ledger.now()
    system = downstream.registry.get(system_id) if SYSTEM_ID.match(system_id) else None
    if system is None or system.connector_type != "webhook":
        _refuse(ledger, system_id, "unknown_system", signature, body)
    parsed = webhook_signing.parse(signature)
    if parsed is None:
        _refuse(ledger, system_id, "missing_signature", signature, body)
    window = ledger.settings.callback_window_seconds
    if abs(now.timestamp() - parsed.timestamp) > window:
        _refuse(ledger, system_id, "stale_signature", signature, body)
    secret = downstream.secrets.get(system_id)
    if secret is None or not webhook_signing.matches(secret, parsed, body):
        _refuse(ledger, system_id, "bad_signature", signature, body)
    # The same signed bytes are accepted once; the guard outlives the window in which they could be fresh.
    replay_key = f"{system_id}#{parsed.timestamp}#{hashlib.sha256(body).hexdigest()}"
    if not downstream.replays.first_use(replay_key, now + timedelta(seconds=2 * window)):
        _refuse(ledger, system_id, "replayed", signature, body)
    try:
        callback = CallbackBody.model_validate(parse_json(body))  # the same I-JSON rules as every other body
    except pydantic.ValidationError as error:
        raise ValidationError("The callback body is not a valid confirmation.",
                              [{"field": ".".join(map(str, e["loc"])) or "body", "issue": e["msg"]}
                               for e in error.errors(include_url=False, include_input=False)]) from None
    problem = _not_pending(ledger.index.get_request(callback.request_id), system_id, callback.instruction_id)
    if problem is not None:
        _refuse(ledger, system_id, problem, signature, body, callback)
    actor = Actor(type="downstream", id=system_id)
    if callback.status == "completed":
        record = record_confirmation(ledger, downstream, callback.request_id, system_id, via="callback", actor=actor,
                                     evidence=callback.evidence, instruction_id=callback.instruction_id)
        return ConfirmationOut(accepted=True, request_id=record.request_id, system_id=system_id,
                               status=record.downstream[system_id].status)
    record_failure(ledger, downstream, callback.request_id, system_id, instruction_id=callback.instruction_id,
                   attempt=-1, error="reported_failed", detail=callback.reason or "the system reported failure",
                   transient=False, will_retry=False, actor=actor, awaiting=AWAITING)
    return ConfirmationOut(accepted=True, request_id=callback.request_id, system_id=system_id, status="failed")


def _not_pending(record: RequestRecord | None, system_id: str, instruction_id: str) -> str | None:
    """Why a signed answer cannot be this request's outcome: it must answer the instruction the system holds now."""
    state = record.downstream.get(system_id) if record is not None else None
    if state is None or state.instruction_id != instruction_id:
        return "unknown_instruction"
    if state.status not in AWAITING:
        return "instruction_not_pending"
    return None


REFUSALS: dict[str, type[DomainError]] = {"unknown_instruction": UnknownInstructionError,
                                          "instruction_not_pending": InstructionNotPendingError}


def _refuse(ledger: Ledger, system_id: str, reason: str, signature: str | None, body: bytes,
            callback: CallbackBody | None = None) -> NoReturn:
    parsed = webhook_signing.parse(signature)
    details: dict[str, object] = {
        "system_id": system_id[:100],
        "reason": reason,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_bytes": len(body),
        "signature_present": bool(signature),
        "signature_timestamp": parsed.timestamp if parsed else None,
    }
    if callback is not None:  # signed by the system: what it claimed is worth keeping (ids only, no evidence)
        details.update(request_id=callback.request_id, instruction_id=callback.instruction_id,
                       status=callback.status)
    caller = Actor(type="downstream", id=system_id[:100])
    record_standalone_event(ledger, EventDraft(EventType.CALLBACK_REFUSED, caller, details), RecordType.CONSUMER_REQUEST)
    if reason in REFUSALS:
        raise REFUSALS[reason](REASONS[reason], [{"field": "instruction_id", "issue": reason}])
    raise CallbackRefusedError(REASONS[reason], [{"field": "Ccpa-Signature", "issue": reason}])
