"""What came back from downstream systems: confirmations, failures, timeouts, and the fan-out's final result.

Each is written once: a decision sees the chain head and adds nothing when the same outcome is already there, so
SQS redeliveries, repeated callbacks and late answers cannot duplicate evidence."""

from datetime import datetime
from typing import Any

from shared.errors import ConflictError, NotFoundError
from shared.ledger.envelope import Actor
from shared.models.domain import EventType, RequestStatus
from shared.models.downstream import FanoutInput, FinalizeInput
from shared.models.records import DownstreamState, RequestRecord
from shared.services.downstream import Downstream
from shared.services.ledger_writer import EventDraft, Ledger, append_request_event
from shared.services.start_fanout import SUPPRESSOR, record_started
from shared.timefmt import rfc3339

REJECTED = "DownstreamRejectedError"
UNAVAILABLE = "DownstreamUnavailableError"


class SystemNotInRequestError(NotFoundError):
    code = "system_not_found"


class AlreadyConfirmedError(ConflictError):
    code = "already_confirmed"


def record_confirmation(ledger: Ledger, downstream: Downstream, request_id: str, system_id: str, *,
                        via: str, actor: Actor, evidence: Any = None, instruction_id: str | None = None,
                        strict: bool = False) -> RequestRecord:
    """A system confirmed: record it, release its waiting branch, and record the request honored once every system
    has confirmed. The record returned is the state after all of that, so an answer built from it is the truth."""

    def decide(record: RequestRecord) -> EventDraft | None:
        state = record.downstream.get(system_id)
        if state is None:
            raise SystemNotInRequestError(f"No downstream system {system_id} is part of request {request_id}.")
        if state.status == "confirmed":
            if strict:
                raise AlreadyConfirmedError(f"System {system_id} already confirmed request {request_id}.")
            return None
        details: dict[str, Any] = {"system_id": system_id, "instruction_id": instruction_id or state.instruction_id,
                                   "via": via}
        if evidence is not None:
            details["evidence"] = evidence
        return EventDraft(EventType.CONFIRMATION_RECEIVED, actor, details)

    record, envelope = append_request_event(ledger, request_id, decide)
    token = downstream.tokens.get(request_id, system_id)
    if token is not None and envelope is not None:
        downstream.workflow.succeed(token, {"system_id": system_id, "instruction_id": envelope.details["instruction_id"],
                                            "confirmed_at": envelope.occurred_at, "via": via})
    return complete_fanout(ledger, request_id) or record


def record_failure(ledger: Ledger, downstream: Downstream, request_id: str, system_id: str, *, instruction_id: str,
                   attempt: int, error: str, detail: str, transient: bool, will_retry: bool, actor: Actor,
                   task_token: str | None = None, awaiting: tuple[str, ...] | None = None) -> None:
    """A refused or unreachable instruction; the branch is failed so the state machine retries or catches it.
    `awaiting` (a system's own answer): recorded only while that instruction is the system's current one and its
    status is one of these, decided at the chain head."""

    def decide(record: RequestRecord) -> EventDraft | None:
        state = record.downstream.get(system_id, DownstreamState())
        if state.outcome_for == instruction_id or state.status == "confirmed":
            return None
        if awaiting is not None and (state.instruction_id != instruction_id or state.status not in awaiting):
            return None
        details = {"system_id": system_id, "instruction_id": instruction_id, "attempt": attempt, "error": error,
                   "detail": detail[:500], "transient": transient, "will_retry": will_retry}
        return EventDraft(EventType.INSTRUCTION_FAILED, actor, details)

    _, envelope = append_request_event(ledger, request_id, decide)
    if awaiting is not None and envelope is None:
        return  # the instruction was answered meanwhile: its branch is not this answer's to fail
    token = task_token or downstream.tokens.get(request_id, system_id)
    if token is not None:
        downstream.workflow.fail(token, UNAVAILABLE if transient else REJECTED, f"{error}: {detail}"[:500])


def finalize_fanout(ledger: Ledger, downstream: Downstream, message: FinalizeInput) -> RequestRecord:
    """After every branch ended: record timeouts and failures the branches could not record themselves, then
    `request_honored` (all confirmed) or `request_partially_honored` (the rest stay open for the sweeper)."""
    started = FanoutInput(request_id=message.request_id, request_type=message.request_type, due=message.due,
                          systems=message.systems)
    record_started(ledger, started, message.execution_id)
    for result in message.results:
        if result.status == "timed_out":
            _record_timeout(ledger, message.request_id, result.system_id)
        elif result.status == "failed":
            error = (result.error or {}).get("Error") or "failed"
            _record_final_failure(ledger, message.request_id, result.system_id, str(error))

    def decide(record: RequestRecord) -> EventDraft | None:
        if record.closed or record.status in (RequestStatus.HONORED, RequestStatus.PARTIALLY_HONORED):
            return None
        return _final_event(record, message.execution_id, ledger.now())

    record, _ = append_request_event(ledger, message.request_id, decide)
    downstream.workflow.succeed(message.task_token, {"request_id": record.request_id, "status": record.status.value})
    return record


def complete_fanout(ledger: Ledger, request_id: str) -> RequestRecord | None:
    """The last confirmation honors the request at once: while the fan-out runs (the state machine's finalize
    step then finds it honored and adds nothing) or after it ended partially honored (late or by an analyst)."""

    def decide(record: RequestRecord) -> EventDraft | None:
        waiting = record.status in (RequestStatus.IN_PROGRESS, RequestStatus.PARTIALLY_HONORED)
        if not waiting or record.fanout is None or not record.downstream or not _all_confirmed(record):
            return None
        return _final_event(record, record.fanout, None)

    record, envelope = append_request_event(ledger, request_id, decide)
    return record if envelope is not None else None


def _final_event(record: RequestRecord, execution: str, now: datetime | None) -> EventDraft:
    results = [
        {"system_id": system_id, "status": state.status, "attempts": state.attempts,
         "confirmed_at": rfc3339(state.confirmed_at) if state.confirmed_at else None, "error": state.last_error}
        for system_id, state in sorted(record.downstream.items())
    ]
    honored = _all_confirmed(record)
    kind = EventType.REQUEST_HONORED if honored else EventType.REQUEST_PARTIALLY_HONORED
    details = {"execution": execution, "results": results,
               "confirmed": sum(r["status"] == "confirmed" for r in results), "systems": len(results)}
    return EventDraft(kind, SUPPRESSOR, details, occurred_at=now)


def _all_confirmed(record: RequestRecord) -> bool:
    return all(state.status == "confirmed" for state in record.downstream.values())


def _record_timeout(ledger: Ledger, request_id: str, system_id: str) -> None:
    def decide(record: RequestRecord) -> EventDraft | None:
        state = record.downstream.get(system_id, DownstreamState())
        if state.status in ("confirmed", "timed_out"):
            return None
        details = {"system_id": system_id, "instruction_id": state.instruction_id, "attempts": state.attempts}
        return EventDraft(EventType.INSTRUCTION_TIMED_OUT, SUPPRESSOR, details)

    append_request_event(ledger, request_id, decide)


def _record_final_failure(ledger: Ledger, request_id: str, system_id: str, error: str) -> None:
    def decide(record: RequestRecord) -> EventDraft | None:
        state = record.downstream.get(system_id, DownstreamState())
        if state.status in ("confirmed", "failed", "timed_out"):
            return None
        details = {"system_id": system_id, "instruction_id": state.instruction_id, "attempt": state.attempts,
                   "error": error, "detail": "the branch ended in failure", "transient": False, "will_retry": False}
        return EventDraft(EventType.INSTRUCTION_FAILED, SUPPRESSOR, details)

    append_request_event(ledger, request_id, decide)
