"""SnsEventBridgeAlerts: one SNS message per alert for people, one EventBridge event for systems."""

from collections.abc import Sequence
from typing import Any

from shared.models.alerts import ClockAlert
from shared.observability import tracer

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
            self._sns.publish(
                TopicArn=self._topic,
                Subject=f"CCPA {alert.clock} {alert.level.replace('_', ' ')}: {alert.request_type}"[:100],
                Message=alert.model_dump_json(),
                # alert_id is fixed per clock transition: delivery is at least once, consumers de-duplicate on it.
                MessageAttributes={"level": {"DataType": "String", "StringValue": alert.level},
                                   "alert_id": {"DataType": "String", "StringValue": alert.alert_id}},
            )
        entries = [
            {"Source": SOURCE, "DetailType": alert.detail_type, "Detail": alert.model_dump_json(),
             "EventBusName": self._bus}
            for alert in alerts
        ]
        for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
            self._events.put_events(Entries=entries[start : start + 10])
