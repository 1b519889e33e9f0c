"""Response models of the request routes (API.md: GET /requests, GET /requests/{id}); POST /requests answers
from a dict of the same JSON (shared/services/presenters.py)."""

from typing import Any

from pydantic import BaseModel, Field

from shared.models.fields import Lazy


class ClockOut(BaseModel):
    model_config = Lazy
    due: str
    satisfied_at: str | None
    met: bool | None
    at_risk: bool
    overdue: bool
    days_left: int
    extended: bool = False


class TimelineItemOut(BaseModel):
    model_config = Lazy
    event_id: str
    type: str
    occurred_at: str
    recorded_at: str
    actor: dict[str, Any]
    details: dict[str, Any]
    event_hash: str
    prev_event_hash: str | None


class Record7101Out(BaseModel):
    model_config = Lazy
    request_date: str | None
    request_nature: str | None
    request_manner: str | None
    response_date: str | None
    response_nature: str | None
    denial_basis: str | None
    notice_in_force: list[dict[str, str]] | None = None  # privacy-notice versions in force at receipt


class RequestSummaryOut(BaseModel):
    model_config = Lazy
    request_id: str
    type: str
    channel: str
    status: str
    received_at: str
    recorded_at: str
    time_zone: str
    clocks: dict[str, ClockOut]


class DownstreamOut(BaseModel):
    model_config = Lazy
    system_id: str
    status: str  # pending | instructed | confirmed | failed | timed_out
    instruction_sent_at: str | None
    confirmed_at: str | None
    connector: str | None = None
    attempts: int = 0
    last_error: str | None = None


class RequestRecordOut(RequestSummaryOut):
    consumer: dict[str, Any] | None = None
    agent: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    timeline: list[TimelineItemOut]
    downstream: list[DownstreamOut]
    record_7101: Record7101Out
    notice_in_force: list[dict[str, str]] | None = None  # None for requests received before notices were recorded


class RequestPageOut(BaseModel):
    model_config = Lazy
    items: list[RequestSummaryOut]
    cursor: str | None
    total: int | None = None
