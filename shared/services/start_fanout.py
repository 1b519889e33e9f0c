"""start_fanout: one suppression execution per request, over the downstream systems that apply to its type."""

from typing import TYPE_CHECKING, Any

from shared.errors import RequestNotFoundError
from shared.observability import logger
from shared.ledger.envelope import Actor
from shared.models.domain import ClockName, EventType
from shared.models.records import RequestRecord
from shared.services.downstream import Downstream
from shared.services.ledger_writer import EventDraft, Ledger, append_request_event

if TYPE_CHECKING:  # the execution's models load where it runs (the suppress function), not with intake
    from shared.models.downstream import FanoutInput
    from shared.models.systems import DownstreamSystem

SUPPRESSOR = Actor(type="system", id="suppression")


def fanout_due(record: RequestRecord) -> str:
    """What the instruction calls its due date: the honor clock, or a deletion's response clock."""
    clock = record.clocks.get(ClockName.HONOR_BY) or record.clocks[ClockName.RESPOND_BY]
    return clock.due.isoformat()


def start_fanout(ledger: Ledger, downstream: Downstream, request_id: str,
                 known: RequestRecord | None = None) -> RequestRecord:
    """Exactly one execution per request: its name is the request id, and a repeated start finds it. The systems
    that apply are fixed when it starts and written into `suppression_started`, so the evidence shows them.
    `known`: the request as the caller just indexed it, which spares both reads (a stale copy only costs a start
    that finds the execution and a chain write that is refused and read again)."""
    record = known or ledger.index.get_request(request_id)
    if record is None:
        raise RequestNotFoundError(f"No request with id {request_id}.")
    if record.fanout is not None or record.closed:
        return record
    systems = sorted((s for s in downstream.registry.list() if record.type in s.applies_to), key=lambda s: s.system_id)
    payload = fanout_input(request_id, record.type.value, fanout_due(record), systems)
    execution = downstream.workflow.start(request_id, payload)
    return _record_started(ledger, request_id, payload["due"], payload["systems"], execution, record)


def fanout_input(request_id: str, request_type: str, due: str, systems: list["DownstreamSystem"]) -> dict[str, Any]:
    """The execution's input, `FanoutInput(...).model_dump(mode="json")` written directly (the same dict, key order
    included, tested): every value comes from a validated registry entry or record, so a model pass would only check
    them again."""
    tasks = [{"system_id": s.system_id, "connector": s.connector_type, "sla_seconds": s.sla_seconds,
              "retry_backoff_seconds": list(s.retry_backoff_seconds), "max_retries": len(s.retry_backoff_seconds)}
             for s in systems]
    return {"request_id": request_id, "request_type": request_type, "due": due, "systems": tasks}


def record_started(ledger: Ledger, payload: "FanoutInput", execution_id: str) -> RequestRecord:
    """`suppression_started`, once. Whoever gets here first writes it (the starter, or finalize when the starter
    crashed after starting), from the execution's own input, so both write the same facts."""
    return _record_started(ledger, payload.request_id, payload.due, [t.model_dump() for t in payload.systems],
                           execution_id)


def _record_started(ledger: Ledger, request_id: str, due: str, tasks: list[dict[str, Any]], execution_id: str,
                    known: RequestRecord | None = None) -> RequestRecord:
    details = {
        "execution": request_id,
        "execution_id": execution_id,
        "due": due,
        "systems": [{"system_id": t["system_id"], "connector": t["connector"], "sla_seconds": t["sla_seconds"],
                     "max_retries": t["max_retries"]} for t in tasks],
    }

    def decide(current: RequestRecord) -> EventDraft | None:
        return None if current.fanout is not None else EventDraft(EventType.SUPPRESSION_STARTED, SUPPRESSOR, details)

    return append_request_event(ledger, request_id, decide, known=known)[0]


def start_fanout_soon(ledger: Ledger, downstream: Downstream, request_id: str,
                      known: RequestRecord | None = None) -> RequestRecord | None:
    """Intake's start. The request is already locked and indexed, so a refusal from AWS here must not fail the
    caller: the sweeper starts any fan-out still missing a few minutes later."""
    try:
        return start_fanout(ledger, downstream, request_id, known)
    except Exception:  # noqa: BLE001  any fault: the request is durable and the sweeper retries the start
        logger.exception("fan-out start deferred to the sweeper", request_id=request_id)
        return None
