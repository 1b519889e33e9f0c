"""The sweeper's downstream duties: start fan-outs whose start was lost (a crash between intake and Step
Functions), and flag partially honored requests as at risk: a system that never confirmed keeps the clock open."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.clocks.engine import ClockRules, evaluate
from shared.models.alerts import ClockAlert
from shared.models.domain import ClockName, EventType, RequestStatus, RequestType
from shared.models.records import RequestRecord
from shared.models.search import RequestSearch
from shared.ports import AlertPublisher
from shared.services.alert_outbox import alerts_of, deliver_pending
from shared.services.downstream import Downstream
from shared.services.ledger_writer import EventDraft, Ledger, append_request_event
from shared.services.start_fanout import start_fanout
from shared.services.sweep_deadlines import SWEEPER

# Intake starts the fan-out itself; only a request still unstarted after this long needs the sweeper.
START_GRACE = timedelta(minutes=2)
OPT_OUTS = (RequestType.OPT_OUT_SALE_SHARING, RequestType.LIMIT_SENSITIVE_PI)


@dataclass
class FollowUp:
    started: int = 0
    flagged: int = 0
    alerts: list[ClockAlert] = field(default_factory=list)


def follow_up_downstream(ledger: Ledger, downstream: Downstream, alerts: AlertPublisher, now: datetime) -> FollowUp:
    result = FollowUp()
    unstarted = [(t, RequestStatus.RECEIVED) for t in OPT_OUTS] + [(RequestType.DELETE, RequestStatus.VERIFIED)]
    for request_type, status in unstarted:
        for record in _requests(ledger, request_type, status, received_to=now - START_GRACE):
            if record.fanout is None:
                start_fanout(ledger, downstream, record.request_id)
                result.started += 1
    for request_type in (*OPT_OUTS, RequestType.DELETE):
        for record in _requests(ledger, request_type, RequestStatus.PARTIALLY_HONORED):
            alert = _flag(ledger, record, now)
            if alert is not None:
                result.alerts.append(alert)
                result.flagged += 1
    deliver_pending(ledger.index, alerts)
    return result


def _requests(ledger: Ledger, request_type: RequestType, status: RequestStatus,
              received_to: datetime | None = None) -> Iterator[RequestRecord]:
    cursor = None
    while True:
        page = ledger.index.search_requests(RequestSearch(type=request_type, status=status, received_to=received_to,
                                                          limit=100, cursor=cursor))
        yield from page.items
        if page.cursor is None:
            return
        cursor = page.cursor


def _flag(ledger: Ledger, record: RequestRecord, now: datetime) -> ClockAlert | None:
    name = ClockName.HONOR_BY if ClockName.HONOR_BY in record.clocks else ClockName.RESPOND_BY
    rules = ClockRules.from_settings(ledger.settings)

    def decide(current: RequestRecord) -> EventDraft | None:
        clock = current.clocks.get(name)
        if current.status != RequestStatus.PARTIALLY_HONORED or clock is None or clock.alerted is not None:
            return None
        status = evaluate(name, clock.due, now, clock.satisfied_at, rules)
        open_systems = sorted(s for s, state in current.downstream.items() if state.status != "confirmed")
        details = {"clock": name.value, "due": clock.due.isoformat(), "days_left": status.days_left,
                   "level": "at_risk", "reason": "downstream_unconfirmed", "systems": open_systems}
        return EventDraft(EventType.CLOCK_AT_RISK, SWEEPER, details)

    current, envelope = append_request_event(ledger, record.request_id, decide)
    return alerts_of(current, envelope)[0] if envelope is not None else None
