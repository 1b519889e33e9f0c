"""Request state as a pure fold over its ledger events, so the index can always be rebuilt from the evidence."""

from collections.abc import Callable
from datetime import date
from typing import Any

from shared.errors import DomainError
from shared.ledger.envelope import Envelope
from shared.models.domain import ClockName, EventType, RequestStatus
from shared.models.records import ClockRecord, DownstreamState, RequestRecord, StoredEvent
from shared.timefmt import parse_rfc3339


class ProjectionError(DomainError):
    """An event cannot follow the request's current state (wrong request, seq or previous hash)."""

    code = "projection_error"


def apply_event(record: RequestRecord | None, envelope: Envelope, stored: StoredEvent) -> RequestRecord:
    if record is None:
        return _start(envelope, stored)
    if envelope.request_id != record.request_id or envelope.seq != record.chain_seq + 1:
        raise ProjectionError(f"event {envelope.event_id} does not follow seq {record.chain_seq}")
    if envelope.prev_event_hash != record.chain_head:
        raise ProjectionError(f"event {envelope.event_id} does not chain to the request's head")
    changes = _EFFECTS.get(envelope.type, _no_effect)(record, envelope)
    return record.model_copy(update={**changes, "chain_seq": envelope.seq, "chain_head": stored.event_hash})


def _start(envelope: Envelope, stored: StoredEvent) -> RequestRecord:
    if envelope.type != EventType.REQUEST_RECEIVED or envelope.seq != 1 or envelope.prev_event_hash is not None:
        raise ProjectionError(f"event {envelope.event_id} cannot open a request")
    request = envelope.details["request"]
    # model_validate of a dict: pydantic converts the enums and builds each ClockRecord itself, giving the same
    # record as the keyword-built one (tested) in under half its time
    return RequestRecord.model_validate({
        "request_id": envelope.request_id or "",
        "type": request["type"],
        "channel": request["channel"],
        "status": RequestStatus.RECEIVED,
        "received_at": parse_rfc3339(request["received_at"]),
        "recorded_at": parse_rfc3339(envelope.recorded_at),
        "consumer_tag": envelope.consumer_tag,
        "clocks": {name: {"due": date.fromisoformat(due)} for name, due in request["clocks"].items()},
        "chain_seq": 1,
        "chain_head": stored.event_hash,
        "scope": (envelope.details.get("submission", {}).get("details") or {}).get("scope"),
        "intake_key": stored.s3_key,
        "intake_version": stored.s3_version_id,
    })


Effect = Callable[[RequestRecord, Envelope], dict[str, Any]]


def _no_effect(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    return {}


def _satisfy(record: RequestRecord, names: tuple[ClockName, ...], at: str) -> dict[ClockName, ClockRecord]:
    moment = parse_rfc3339(at)
    return {
        name: clock.model_copy(update={"satisfied_at": moment}) if name in names and clock.satisfied_at is None
        else clock
        for name, clock in record.clocks.items()
    }


def _acknowledged(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    status = RequestStatus.ACKNOWLEDGED if record.status == RequestStatus.RECEIVED else record.status
    return {"clocks": _satisfy(record, (ClockName.ACKNOWLEDGE_BY,), envelope.occurred_at), "status": status}


def _verified(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    return {"status": RequestStatus.VERIFIED}


def _verification_failed(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    downgraded = envelope.details.get("downgraded_to")
    return {"scope": downgraded} if downgraded else {}


def _extended(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    clocks = dict(record.clocks)
    clocks[ClockName.RESPOND_BY] = clocks[ClockName.RESPOND_BY].model_copy(
        update={"due": date.fromisoformat(envelope.details["new_due"]), "extended": True, "alerted": None}
    )
    return {"clocks": clocks}


def _denied(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    details = envelope.details
    basis = details["basis"] + (f": {details['exemption']}" if details.get("exemption") else "")
    return {
        "clocks": _satisfy(record, tuple(record.clocks), envelope.occurred_at),
        "status": RequestStatus.DENIED,
        "response_date": parse_rfc3339(envelope.occurred_at),
        "response_nature": "denied",
        "denial_basis": basis,
    }


def _responded(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    names = (ClockName.RESPOND_BY, ClockName.ACKNOWLEDGE_BY)
    return {
        "clocks": _satisfy(record, names, envelope.occurred_at),
        "status": RequestStatus.RESPONDED,
        "response_date": parse_rfc3339(envelope.occurred_at),
        "response_nature": envelope.details.get("outcome", "complied"),
    }


def _fanout_started(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    downstream = dict(record.downstream)
    for system in envelope.details.get("systems", []):
        downstream.setdefault(system["system_id"], DownstreamState(connector=system.get("connector")))
    return {"fanout": envelope.details["execution"], "downstream": downstream, "status": _in_progress(record)}


def _in_progress(record: RequestRecord) -> RequestStatus:
    early = (RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED, RequestStatus.VERIFIED)
    return RequestStatus.IN_PROGRESS if record.status in early else record.status


def _system_update(record: RequestRecord, envelope: Envelope, **changes: Any) -> dict[str, Any]:
    system_id = envelope.details["system_id"]
    downstream = dict(record.downstream)
    downstream[system_id] = downstream.get(system_id, DownstreamState()).model_copy(update=changes)
    return {"downstream": downstream}


def _instruction_sent(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    current = record.downstream.get(envelope.details["system_id"], DownstreamState())
    changes = _system_update(
        record, envelope,
        status="instructed" if current.status != "confirmed" else current.status,
        connector=envelope.details.get("connector"),
        instruction_id=envelope.details["instruction_id"],
        attempts=current.attempts + 1,
        instruction_sent_at=current.instruction_sent_at or parse_rfc3339(envelope.occurred_at),
    )
    return {**changes, "status": _in_progress(record)}


def _confirmed(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    return _system_update(record, envelope, status="confirmed", confirmed_at=parse_rfc3339(envelope.occurred_at),
                          last_error=None, outcome_for=envelope.details.get("instruction_id"))


def _instruction_failed(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    current = record.downstream.get(envelope.details["system_id"], DownstreamState())
    final = not envelope.details.get("will_retry", False)
    status = "failed" if final and current.status != "confirmed" else current.status
    return _system_update(record, envelope, status=status, last_error=envelope.details.get("error"),
                          outcome_for=envelope.details.get("instruction_id"))


def _timed_out(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    current = record.downstream.get(envelope.details["system_id"], DownstreamState())
    status = current.status if current.status == "confirmed" else "timed_out"
    return _system_update(record, envelope, status=status, last_error="timed_out",
                          outcome_for=envelope.details.get("instruction_id"))


def _honored(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": RequestStatus.HONORED,
                               "clocks": _satisfy(record, (ClockName.HONOR_BY,), envelope.occurred_at)}
    if ClockName.HONOR_BY in record.clocks and record.response_date is None:
        # An opt-out or limit is answered by honoring it: that is its 7101 response. A deletion's response is the
        # one sent to the consumer (`respond`), which its fan-out finishing does not replace.
        changes.update(response_date=parse_rfc3339(envelope.occurred_at), response_nature="honored")
    return changes


def _partially_honored(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
    return {"status": RequestStatus.PARTIALLY_HONORED}


def _alerted(level: str) -> Effect:
    def effect(record: RequestRecord, envelope: Envelope) -> dict[str, Any]:
        name = ClockName(envelope.details["clock"])
        clocks = dict(record.clocks)
        clocks[name] = clocks[name].model_copy(update={"alerted": level})
        return {"clocks": clocks}

    return effect


_EFFECTS: dict[str, Effect] = {
    EventType.REQUEST_ACKNOWLEDGED: _acknowledged,
    EventType.IDENTITY_VERIFIED: _verified,
    EventType.IDENTITY_VERIFICATION_FAILED: _verification_failed,
    EventType.REQUEST_EXTENDED: _extended,
    EventType.REQUEST_DENIED: _denied,
    EventType.RESPONSE_SENT: _responded,
    EventType.CLOCK_AT_RISK: _alerted("at_risk"),
    EventType.CLOCK_OVERDUE: _alerted("overdue"),
    EventType.SUPPRESSION_STARTED: _fanout_started,
    EventType.INSTRUCTION_SENT: _instruction_sent,
    EventType.CONFIRMATION_RECEIVED: _confirmed,
    EventType.INSTRUCTION_FAILED: _instruction_failed,
    EventType.INSTRUCTION_TIMED_OUT: _timed_out,
    EventType.REQUEST_HONORED: _honored,
    EventType.REQUEST_PARTIALLY_HONORED: _partially_honored,
}
