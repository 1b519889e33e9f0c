"""What the sweeper tells people (SNS) and systems (EventBridge) when a clock changes state."""

from pydantic import BaseModel, ConfigDict


class ClockAlert(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    alert_id: str  # stable per clock transition (shared/services/alert_outbox.py): consumers de-duplicate on it
    level: str  # at_risk | overdue
    request_id: str
    request_type: str
    clock: str
    due: str
    days_left: int
    event_id: str

    @property
    def detail_type(self) -> str:
        return f"ccpa.clock.{self.level}"


class IntegrityAlert(BaseModel):
    """A locked evidence object found missing or altered while reading it (ids only, no event content)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    alert_id: str  # fixed per (event, kind): repeated reads of the same damage de-duplicate
    kind: str  # evidence_missing | evidence_altered
    event_id: str
    request_id: str | None
    s3_key: str
    s3_version_id: str
    detected_at: str

    @property
    def detail_type(self) -> str:
        return f"ccpa.integrity.{self.kind}"
