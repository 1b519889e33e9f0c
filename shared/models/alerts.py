"""What the sweeper tells people (SNS) and systems (EventBridge) when a clock changes state."""

from pydantic import BaseModel, ConfigDict


class ClockAlert(BaseModel):
    model_config = ConfigDict(frozen=True)

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
