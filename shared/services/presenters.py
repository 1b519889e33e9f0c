"""Mapping domain records to the API's response models (API.md field names), clocks evaluated at `now`."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.clocks.engine import ClockRules, evaluate, receipt_day
from shared.models.domain import EventType
from shared.models.records import RequestRecord
from shared.timefmt import rfc3339

if TYPE_CHECKING:  # the response models, read and submit services are loaded by the routes that use them
    from shared.models.request_views import RequestRecordOut, RequestSummaryOut
    from shared.services.read_requests import RequestView
    from shared.services.submit_request import SubmitResult


def clocks_json(record: RequestRecord, now: datetime, rules: ClockRules) -> dict[str, dict[str, Any]]:
    """The `clocks` of a response, as ClockOut's JSON (field order kept)."""
    out = {}
    for name, clock in record.clocks.items():
        status = evaluate(name, clock.due, now, clock.satisfied_at, rules)
        out[name.value] = {
            "due": clock.due.isoformat(),
            "satisfied_at": rfc3339(clock.satisfied_at) if clock.satisfied_at else None,
            "met": status.met,
            "at_risk": status.at_risk,
            "overdue": status.overdue,
            "days_left": status.days_left,
            "extended": clock.extended,
        }
    return out


def summary_json(record: RequestRecord, now: datetime, rules: ClockRules) -> dict[str, Any]:
    """RequestSummaryOut's JSON, written straight from the record: every value is already a JSON type, so the
    response of POST /requests needs no model pass (RequestSummaryOut validates it where a model is wanted)."""
    return {
        **record.identity_fields(),
        "time_zone": rules.time_zone,
        "clocks": clocks_json(record, now, rules),
    }


def summary_out(record: RequestRecord, now: datetime, rules: ClockRules) -> "RequestSummaryOut":
    from shared.models.request_views import RequestSummaryOut  # loaded by the routes that answer with models

    return RequestSummaryOut.model_validate(summary_json(record, now, rules))


def submitted_out(result: "SubmitResult", now: datetime, rules: ClockRules) -> dict[str, Any]:
    """POST /requests: the request's summary, with the consumer's status link when one was issued."""
    payload = summary_json(result.record, now, rules)
    if result.status_token is not None:
        payload["status_token"] = result.status_token
    return payload


def record_out(view: "RequestView", now: datetime, rules: ClockRules) -> "RequestRecordOut":
    from shared.models.request_views import DownstreamOut, Record7101Out, RequestRecordOut, TimelineItemOut

    record = view.record
    submission = view.intake.details.get("submission", {})
    notices = view.intake.details.get("notice_in_force")
    return RequestRecordOut(
        **summary_json(record, now, rules),
        consumer=submission.get("consumer"),
        agent=submission.get("agent"),
        details=submission.get("details", {}),
        timeline=[
            TimelineItemOut(
                event_id=envelope.event_id,
                type=envelope.type,
                occurred_at=envelope.occurred_at,
                recorded_at=envelope.recorded_at,
                actor=envelope.actor.model_dump(exclude_none=True),
                details=_public_details(envelope.type, envelope.details),
                event_hash=stored.event_hash,
                prev_event_hash=envelope.prev_event_hash,
            )
            for stored, envelope in view.events
        ],
        downstream=[
            DownstreamOut(
                system_id=system_id,
                status=state.status,
                instruction_sent_at=rfc3339(state.instruction_sent_at) if state.instruction_sent_at else None,
                confirmed_at=rfc3339(state.confirmed_at) if state.confirmed_at else None,
                connector=state.connector,
                attempts=state.attempts,
                last_error=state.last_error,
            )
            for system_id, state in sorted(record.downstream.items())
        ],
        record_7101=Record7101Out(
            request_date=receipt_day(record.received_at, rules).isoformat(),
            request_nature=record.type.value,
            request_manner=record.channel.value,
            response_date=rfc3339(record.response_date) if record.response_date else None,
            response_nature=record.response_nature,
            denial_basis=record.denial_basis,
            notice_in_force=notices,
        ),
        notice_in_force=notices,
    )


def _public_details(event_type: str, details: dict) -> dict:
    """The timeline repeats no identifiers: the intake's submission is shown once, under `consumer`."""
    if event_type == EventType.REQUEST_RECEIVED:
        return {key: value for key, value in details.items() if key != "submission"}
    return details
