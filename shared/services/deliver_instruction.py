"""deliver_instruction: one step of a fan-out branch. Record the instruction, then send it (webhook) or leave it
for a person (manual); the branch's task token is completed by the answer, a callback or an analyst.

SQS may deliver a message twice: the instruction id is derived from (execution, system, attempt), so a repeat
records nothing new and re-sends the same instruction id, which the downstream system can deduplicate."""

import json
from typing import Any

from shared.errors import DownstreamUnavailableError
from shared.ledger.envelope import Actor
from shared.ledger.ids import uuid8
from shared.models.domain import EventType
from shared.models.downstream import InstructionInput, WebhookReply
from shared.models.records import RequestRecord
from shared.models.systems import DownstreamSystem
from shared.services import webhook_signing
from shared.services.downstream import Downstream
from shared.services.downstream_outcomes import record_confirmation, record_failure
from shared.services.evidence_reads import read_event_body
from shared.services.ledger_writer import EventDraft, Ledger, append_request_event, parse_envelope
from shared.services.start_fanout import SUPPRESSOR
from shared.timefmt import rfc3339


def instruction_id(message: InstructionInput) -> str:
    return uuid8("ccpa-audit/instruction/v1", f"{message.execution_id}|{message.system.system_id}|{message.attempt}")


def deliver_instruction(ledger: Ledger, downstream: Downstream, message: InstructionInput) -> str:
    """Returns what happened: instructed (waiting), confirmed, retrying, failed or skipped."""
    system_id = message.system.system_id
    ident = instruction_id(message)
    record = ledger.index.get_request(message.request_id)
    system = downstream.registry.get(system_id)
    if record is None or system is None:
        why = "request_not_found" if record is None else "system_removed"
        if record is not None:
            record_failure(ledger, downstream, message.request_id, system_id, instruction_id=ident,
                           attempt=message.attempt, error=why, detail="nothing was sent", transient=False,
                           will_retry=False, actor=SUPPRESSOR, task_token=message.task_token)
        else:
            downstream.workflow.fail(message.task_token, "DownstreamRejectedError", why)
        return "failed"
    if record.downstream.get(system_id) and record.downstream[system_id].status == "confirmed":
        downstream.workflow.succeed(message.task_token, {"system_id": system_id, "already_confirmed": True})
        return "confirmed"

    def decide(current: RequestRecord) -> EventDraft | None:
        state = current.downstream.get(system_id)
        if state is not None and state.instruction_id == ident:
            return None
        details: dict[str, Any] = {"system_id": system_id, "instruction_id": ident, "attempt": message.attempt,
                                   "retry": message.attempt > 0, "connector": system.connector_type,
                                   "due": message.due, "identifiers": system.identifiers}
        if system.connector_type == "manual" and system.instructions:
            details["task"] = system.instructions
        return EventDraft(EventType.INSTRUCTION_SENT, SUPPRESSOR, details)

    record, _ = append_request_event(ledger, message.request_id, decide)
    downstream.tokens.put(message.request_id, system_id, message.task_token, ident)
    if system.connector_type == "manual":
        return "instructed"  # an analyst confirms with evidence (POST /requests/{id}/actions confirm_system)
    return _send_webhook(ledger, downstream, message, system, record, ident)


def _send_webhook(ledger: Ledger, downstream: Downstream, message: InstructionInput, system: DownstreamSystem,
                  record: RequestRecord, ident: str) -> str:
    now = ledger.now()
    payload = {
        "instruction_id": ident,
        "request_id": message.request_id,
        "type": message.request_type,
        "due": message.due,
        "system_id": system.system_id,
        "attempt": message.attempt,
        "issued_at": rfc3339(now),
        "callback_url": f"{ledger.settings.public_base_url.rstrip('/')}/callbacks/{system.system_id}",
        "consumer": _identifiers(ledger, record, system.identifiers),
    }
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    secret = downstream.secrets.get(system.system_id)
    fail = _failure(ledger, downstream, message, ident)
    if secret is None:
        return fail("no_signing_secret", "the system has no signing secret", transient=False)
    headers = {"Ccpa-Signature": webhook_signing.sign(secret, body, now), "Ccpa-Instruction-Id": ident}
    try:
        reply = downstream.webhooks.post(str(system.url), body, headers)
    except DownstreamUnavailableError as error:
        return fail("unreachable", str(error), transient=True)
    if reply.status == 429 or reply.status >= 500:
        return fail(f"http_{reply.status}", _snippet(reply), transient=True)
    if reply.status >= 300:
        return fail(f"http_{reply.status}", _snippet(reply), transient=False)
    answer = _json(reply)
    if answer.get("status") == "failed":
        return fail("reported_failed", str(answer.get("reason") or "the system reported failure"), transient=False)
    if reply.status == 202 or answer.get("status") != "completed":
        return "instructed"  # accepted: the system calls back later, signed
    record_confirmation(ledger, downstream, message.request_id, system.system_id, via="webhook_response",
                        actor=Actor(type="downstream", id=system.system_id), evidence=answer.get("evidence"),
                        instruction_id=ident)
    return "confirmed"


def _failure(ledger: Ledger, downstream: Downstream, message: InstructionInput, ident: str) -> Any:
    def fail(error: str, detail: str, transient: bool) -> str:
        will_retry = transient and message.attempt < message.system.max_retries
        record_failure(ledger, downstream, message.request_id, message.system.system_id, instruction_id=ident,
                       attempt=message.attempt, error=error, detail=detail, transient=transient,
                       will_retry=will_retry, actor=SUPPRESSOR, task_token=message.task_token)
        return "retrying" if will_retry else "failed"

    return fail


def _identifiers(ledger: Ledger, record: RequestRecord, wanted: list[str]) -> dict[str, str]:
    """Only the identifiers this system needs (data minimization), read from the locked intake event."""
    first = next(event for event in ledger.index.request_events(record.request_id) if event.seq == 1)
    intake = parse_envelope(read_event_body(ledger, first))
    submission = intake.details.get("submission", {})
    known = {**(submission.get("consumer") or {})}
    if submission.get("device_id"):
        known["device_id"] = submission["device_id"]
    return {name: str(known[name]) for name in wanted if known.get(name)}


def _json(reply: WebhookReply) -> dict[str, Any]:
    try:
        value = json.loads(reply.body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _snippet(reply: WebhookReply) -> str:
    return reply.body[:200].decode("utf-8", "replace")
