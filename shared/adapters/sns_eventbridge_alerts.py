"""SnsEventBridgeAlerts: one SNS message per alert for people, one EventBridge event for systems (clock alerts and
evidence integrity alerts)."""

from collections.abc import Sequence
from typing import Any

from shared.models.alerts import ClockAlert, IntegrityAlert
from shared.observability import metrics, tracer

SOURCE = "ccpa-audit"


class SnsEventBridgeAlerts:
    def __init__(self, topic_arn: str, bus_name: str, sns_client: Any, events_client: Any) -> None:
        self._topic = topic_arn
        self._bus = bus_name
        self._sns = sns_client
        self._events = events_client

    @tracer.capture_method(capture_response=False)
    def publish(self, alerts: Sequence[ClockAlert]) -> None:
        """Alerts carry ids, dates and counts only: no consumer identifiers leave the ledger this way."""
        for alert in alerts:
            self._notify(f"CCPA {alert.clock} {alert.level.replace('_', ' ')}: {alert.request_type}", alert,
                         level=alert.level)
        entries = [self._entry(alert) for alert in alerts]
        for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
            self._events.put_events(Entries=entries[start : start + 10])

    @tracer.capture_method(capture_response=False)
    def report(self, alert: IntegrityAlert) -> None:
        """Counted first, so the metric holds even when publishing fails."""
        metrics.add_metric(name="EvidenceIntegrityFailures", unit="Count", value=1)
        self._notify(f"CCPA evidence integrity: {alert.kind.replace('_', ' ')}", alert, kind=alert.kind)
        self._events.put_events(Entries=[self._entry(alert)])

    def _notify(self, subject: str, alert: ClockAlert | IntegrityAlert, **attributes: str) -> None:
        # alert_id is fixed per transition (or per damaged event): delivery is at least once, consumers de-duplicate.
        attributes["alert_id"] = alert.alert_id
        self._sns.publish(TopicArn=self._topic, Subject=subject[:100], Message=alert.model_dump_json(),
                          MessageAttributes={name: {"DataType": "String", "StringValue": value}
                                             for name, value in attributes.items()})

    def _entry(self, alert: ClockAlert | IntegrityAlert) -> dict[str, str]:
        return {"Source": SOURCE, "DetailType": alert.detail_type, "Detail": alert.model_dump_json(),
                "EventBusName": self._bus}
