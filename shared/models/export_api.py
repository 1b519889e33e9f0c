"""HTTP models of the export and report endpoints (API.md: POST /exports, GET /exports/{id}, GET /reports/metrics)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from shared.models.domain import EventType, RequestType
from shared.models.fields import Email, FieldRuleError, Strict, check_range
from shared.models.labels import REQUEST_TYPE_SYNONYMS, vocabulary
from shared.models.time_range import DateOrTime

ACTION_TYPES = sorted({*RequestType, *EventType})


class ExportBody(BaseModel):
    """At least one scope; all given scopes must hold (intersection)."""

    model_config = Strict

    request_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    consumer_email: Email | None = None
    # A request type (those requests, whole chains) or an event type (those events; a request's event brings
    # its whole chain).
    action_type: Annotated[str | None, vocabulary(REQUEST_TYPE_SYNONYMS)] = None
    from_: DateOrTime | None = Field(default=None, alias="from")
    to: DateOrTime | None = None
    # Adds the 11 CCR 7102 figures of that calendar year (metrics.json, metrics.csv and a table in summary.html).
    metrics_year: int | None = Field(default=None, ge=2020, le=2100)

    @field_validator("action_type")
    @classmethod
    def _known_action(cls, value: str | None) -> str | None:
        if value is not None and value not in ACTION_TYPES:
            raise ValueError(f"must be a request type or an event type ({', '.join(ACTION_TYPES)})")
        return value

    @model_validator(mode="after")
    def _some_scope(self) -> "ExportBody":
        scopes = (self.request_id, self.consumer_email, self.action_type, self.from_, self.to)
        if all(value is None for value in scopes):
            raise FieldRuleError("request_id", "or another scope (consumer_email, action_type, from, to) is "
                                               "required")
        check_range(self.from_, self.to)
        return self


class ProgressOut(BaseModel):
    done: int
    total: int


class ExportOut(BaseModel):
    export_id: str
    status: Literal["building", "ready", "failed"]
    url: str | None = None
    expires_at: str | None = None
    sha256: str | None = None
    event_count: int | None = None
    bytes: int | None = None
    unsealed_count: int | None = None
    progress: ProgressOut
    scope: dict[str, Any]
    requested_at: str
    requested_by: dict[str, Any]
    completed_at: str | None = None
    error: str | None = None


class MetricsQuery(BaseModel):
    model_config = Strict

    year: int = Field(ge=2020, le=2100)
    format: Annotated[Literal["json", "csv"], vocabulary()] = "json"

    @field_validator("year", mode="before")
    @classmethod
    def _digits(cls, value: Any) -> Any:
        if isinstance(value, str) and not (len(value) == 4 and value.isdigit()):
            raise ValueError("must be a four-digit year")
        return int(value) if isinstance(value, str) else value
