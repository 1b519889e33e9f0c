"""sweep_deadlines: recompute open clocks, record and announce each transition (on time -> at risk -> overdue).
Each transition's alert is indexed with its event and published after (at least once: shared/services/alert_outbox)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from shared.clocks.engine import ClockRules, at_risk_horizon, evaluate
from shared.errors import DomainError
from shared.ledger.envelope import Actor
from shared.models.alerts import ClockAlert
from shared.models.domain import ClockName, EventType
from shared.models.records import OpenClock, RequestRecord
from shared.ports import AlertPublisher
from shared.services.alert_outbox import alerts_of, deliver
from shared.services.ledger_writer import EventDraft, Ledger, append_request_event

SWEEPER = Actor(type="system", id="deadline_sweeper")
LEVELS = ("at_risk", "overdue")


class NothingToRecordError(DomainError):
    """The chain head already shows this transition (another sweep recorded it first)."""

    code = "nothing_to_record"


@dataclass
class SweepResult:
    open_clocks: int = 0
    at_risk: int = 0
    overdue: int = 0
    alerts: list[ClockAlert] = field(default_factory=list)


def sweep_deadlines(ledger: Ledger, alerts: AlertPublisher, now: datetime) -> SweepResult:
    """Re-running at the same `now` records nothing new: each transition is written once, at the chain head.

    Only clocks due within the at-risk horizon can be at risk or overdue, so only those are read (with their
    request copies, a page at a time); the others are counted, not read, so memory follows one page."""
    rules = ClockRules.from_settings(ledger.settings)
    horizon = at_risk_horizon(now, rules).isoformat()
    result = SweepResult(open_clocks=ledger.index.count_open_clocks(due_after=horizon))
    for clock in ledger.index.stream_open_clocks(horizon):
        result.open_clocks += 1
        status = evaluate(ClockName(clock.clock), date.fromisoformat(clock.due), now, None, rules)
        level = "overdue" if status.overdue else "at_risk" if status.at_risk else None
        if level is None:
            continue
        result.overdue += level == "overdue"
        result.at_risk += level == "at_risk"
        if _rank(clock.alerted) >= _rank(level):
            continue
        alert = _record_transition(ledger, clock, level, status.days_left)
        if alert is not None:
            result.alerts.append(alert)
    deliver(ledger.index, alerts, result.alerts)  # this run's transitions, then any a crashed run left pending
    return result


def _rank(level: str | None) -> int:
    return LEVELS.index(level) + 1 if level in LEVELS else 0


def _record_transition(ledger: Ledger, clock: OpenClock, level: str, days_left: int) -> ClockAlert | None:
    name = ClockName(clock.clock)

    def decide(record: RequestRecord) -> EventDraft:
        current = record.clocks.get(name)
        if current is None or current.satisfied_at is not None or _rank(current.alerted) >= _rank(level):
            raise NothingToRecordError("already recorded")
        details = {"clock": name.value, "due": current.due.isoformat(), "days_left": days_left, "level": level}
        kind = EventType.CLOCK_OVERDUE if level == "overdue" else EventType.CLOCK_AT_RISK
        return EventDraft(kind, SWEEPER, details)

    try:
        record, envelope = append_request_event(ledger, clock.request_id, decide, known=clock.record)
    except NothingToRecordError:
        return None
    return alerts_of(record, envelope)[0] if envelope is not None else None
