"""Request state as a pure fold over its ledger events, so the index can always be rebuilt from the evidence."""

from datetime import date

from shared.errors import DomainError
from shared.ledger.envelope import Envelope
from shared.models.domain import Channel, ClockName, EventType, RequestStatus, RequestType
from shared.models.records import ClockRecord, RequestRecord, StoredEvent
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
    return record.model_copy(update={"chain_seq": envelope.seq, "chain_head": stored.event_hash})


def _start(envelope: Envelope, stored: StoredEvent) -> RequestRecord:
    if envelope.type != EventType.REQUEST_RECEIVED or envelope.seq != 1 or envelope.prev_event_hash is not None:
        raise ProjectionError(f"event {envelope.event_id} cannot open a request")
    request = envelope.details["request"]
    return RequestRecord(
        request_id=envelope.request_id or "",
        type=RequestType(request["type"]),
        channel=Channel(request["channel"]),
        status=RequestStatus.RECEIVED,
        received_at=parse_rfc3339(request["received_at"]),
        recorded_at=parse_rfc3339(envelope.recorded_at),
        consumer_tag=envelope.consumer_tag,
        clocks={ClockName(name): ClockRecord(due=date.fromisoformat(due)) for name, due in request["clocks"].items()},
        chain_seq=1,
        chain_head=stored.event_hash,
        intake_key=stored.s3_key,
        intake_version=stored.s3_version_id,
    )
