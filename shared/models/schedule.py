"""The EventBridge schedule event the sealer and the sweeper run on: only its `time` matters to them (Powertools'
parser models cost about 60 ms of a cold start to read this one field)."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ScheduledEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    time: AwareDatetime


def schedule_time(event: dict) -> datetime:
    return ScheduledEvent.model_validate(event).time
