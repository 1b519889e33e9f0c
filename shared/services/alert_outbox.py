"""Clock alerts, delivered at least once.

A `clock_at_risk` / `clock_overdue` event carries its alert into the index in the same transaction that indexes the
event (an outbox item), whichever writer indexes it (also one adopting a stranded object). After its run the
sweeper publishes the alerts it recorded, then any others pending, and clears each one once it is sent, so a crash
between the commit and the publish only delays the alert to the next sweep. The alert id is fixed by the transition (request, clock, due date,
level), so a consumer drops the rare second copy (a crash after publishing, before clearing).
"""

from shared.ledger.envelope import Envelope
from shared.ledger.ids import uuid8
from shared.models.alerts import ClockAlert
from shared.models.domain import EventType
from shared.models.records import RequestRecord
from shared.ports import AlertPublisher, LedgerIndex

LEVELS = {EventType.CLOCK_AT_RISK: "at_risk", EventType.CLOCK_OVERDUE: "overdue"}


def clock_alert_id(request_id: str, clock: str, due: str, level: str) -> str:
    return uuid8("ccpa-audit/clock-alert/v1", f"{request_id}|{clock}|{due}|{level}")


def alerts_of(record: RequestRecord, envelope: Envelope) -> list[ClockAlert]:
    """The alert a request event announces (none for most events)."""
    level = LEVELS.get(EventType(envelope.type)) if envelope.type in LEVELS else None
    if level is None:
        return []
    details = envelope.details
    return [ClockAlert(alert_id=clock_alert_id(record.request_id, details["clock"], details["due"], level),
                       level=level, request_id=record.request_id, request_type=record.type.value,
                       clock=details["clock"], due=details["due"], days_left=details["days_left"],
                       event_id=envelope.event_id)]


def deliver(index: LedgerIndex, publisher: AlertPublisher, recorded: list[ClockAlert]) -> list[ClockAlert]:
    """Publish the alerts a run has just recorded (their outbox items are committed), clearing each once sent, then
    every other alert still pending. The run's own are already in hand, so reading the outbox finds only those a
    crashed run left. A failed publish propagates and leaves the rest pending for the next run."""
    for alert in recorded:
        _send(index, publisher, alert)
    return [*recorded, *deliver_pending(index, publisher)]


def _send(index: LedgerIndex, publisher: AlertPublisher, alert: ClockAlert) -> None:
    publisher.publish([alert])
    index.alert_sent(alert.alert_id)


def deliver_pending(index: LedgerIndex, publisher: AlertPublisher) -> list[ClockAlert]:
    """Publish every alert still pending, clearing each once sent. A failed publish propagates and
    leaves it (and the rest) pending for the next run."""
    sent = []
    for alert in index.pending_alerts():
        _send(index, publisher, alert)
        sent.append(alert)
    return sent
