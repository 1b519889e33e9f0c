"""POST /access-events input (API.md): one producer's batch of personal-data access events, validated all or nothing.

Decisions (docs/access-events.md):
- `occurred_at` more than 5 minutes ahead of our clock is refused; there is no lower bound (CloudTrail log files
  and producer retries arrive late by design).
- `consumer` needs at least one of `email` and `id`; both may be given (both are tagged for search).
- `data_categories` are the producer's own labels (any non-empty single line): an event is never refused for its
  vocabulary. Storage maps them to CCPA categories (shared/models/data_categories.py) and keeps unknown ones.
- `occurred_at` must fall in the accepted range (shared/models/time_range.py): `0001-01-01` is a bug, not late.
- The same `event_id` twice in one batch is accepted: both items validate, the store keeps the first (a retry).
"""

import ipaddress
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.errors import ValidationError
from shared.json_input import parse_json, plain_key_marks
from shared.models.fields import Email, ShortText, Strict, check_range
from shared.models.labels import vocabulary
from shared.models.time_range import DateOrTime, EnteredTime
from shared.timefmt import utc_now

MAX_EVENTS = 500
MAX_DETAILS = 100
FUTURE_SKEW = timedelta(minutes=5)  # producers' clocks drift; beyond this the time is a bug, not skew

Action = Annotated[Literal["read", "create", "update", "delete", "export", "share"], vocabulary()]

def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


@lru_cache(maxsize=4096)  # a batch's events mostly come from a few addresses
def _check_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("is not a valid IPv4 or IPv6 address") from None


def _check_request_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("is not a request id (a UUID)") from None


def _text_time(value: Any) -> Any:
    # pydantic would read a bare number as Unix time; the API speaks RFC 3339 only.
    if isinstance(value, int | float):
        raise ValueError("must be an RFC 3339 timestamp string")
    return value


# A producer's own label for a kind of data: any single line of text; shared/models/data_categories.py maps it.
DataLabel = ShortText
IpAddress = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_check_ip)]
RequestId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_check_request_id)]


class AccessActorIn(BaseModel):
    model_config = Strict

    id: ShortText
    type: Literal["user", "service"]
    role: ShortText | None = None


class AccessSourceIn(BaseModel):
    model_config = Strict

    service: ShortText
    ip: IpAddress | None = None


class AccessConsumerIn(BaseModel):
    model_config = Strict

    email: Email | None = None
    id: ShortText | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> "AccessConsumerIn":
        if self.email is None and self.id is None:
            raise ValueError("needs an email or an id")
        return self


class AccessEventIn(BaseModel):
    model_config = Strict

    event_id: ShortText  # the producer's own id: the idempotency key (with the producer)
    occurred_at: Annotated[EnteredTime, BeforeValidator(_text_time)]
    actor: AccessActorIn
    action: Action
    source: AccessSourceIn
    consumer: AccessConsumerIn
    data_categories: Annotated[list[DataLabel], Field(min_length=1, max_length=30), AfterValidator(_distinct)]
    purpose: ShortText
    resource: ShortText | None = None
    request_id: RequestId | None = None
    outcome: Literal["success", "failure"] = "success"

    @field_validator("occurred_at")
    @classmethod
    def _not_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        now = (info.context or {}).get("now") or utc_now()
        if value > now + FUTURE_SKEW:
            raise ValueError("is more than 5 minutes in the future")
        return value


class AccessEventBatch(BaseModel):
    model_config = Strict

    events: Annotated[list[AccessEventIn], Field(min_length=1, max_length=MAX_EVENTS)]


def validate_batch(data: Any, now: datetime | None = None) -> list[AccessEventIn]:
    """All or nothing: any bad item refuses the batch with a 422 naming `events[i].<field>` (API.md)."""
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.", [{"field": "body", "issue": "must be an object"}])
    try:
        # One clock reading for the batch: each event's would differ by microseconds.
        return AccessEventBatch.model_validate(data, context={"now": now or utc_now()}).events
    except pydantic.ValidationError as error:
        details = _details(error)[:MAX_DETAILS]  # 500 bad items could otherwise answer thousands of lines
        loc = error.errors()[0]["loc"]
        message = f"field {details[0]['field']} {details[0]['issue']}."
        if len(loc) > 1 and isinstance(loc[1], int):
            message = f"Item {loc[1]} of events is invalid: {message}"
        raise ValidationError(message[0].upper() + message[1:], details) from None


def validate_batch_json(data: bytes, now: datetime | None = None) -> list[AccessEventIn]:
    """validate_batch(parse_json(data)), reading the body once: a plain body (shared/json_input.py) that validates
    is taken straight from its bytes when its models were given as many keys as it writes (none twice). Anything
    else takes the two steps, which name the problem exactly as they always have."""
    marks = plain_key_marks(data)
    if marks is not None:
        try:
            events = AccessEventBatch.model_validate_json(data, context={"now": now or utc_now()}).events
        except pydantic.ValidationError:
            pass
        else:
            if marks == 1 + sum(_keys_given(event) for event in events):
                return events
    return validate_batch(parse_json(data), now)


def _keys_given(event: AccessEventIn) -> int:
    # Keys the event's objects were given (a key given null included); every model field is a key of the input.
    return (len(event.model_fields_set) + len(event.actor.model_fields_set) + len(event.source.model_fields_set)
            + len(event.consumer.model_fields_set))


def _details(error: pydantic.ValidationError) -> list[dict[str, Any]]:
    # Same field naming as shared.api.validation_details (a[3].b), kept here so models never import the HTTP edge.
    details = []
    for item in error.errors(include_url=False, include_input=False):
        field = ""
        for part in item["loc"]:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        if item["type"] == "extra_forbidden":
            issue = "is not an allowed field"
        else:
            msg = item["msg"].removeprefix("Value error, ")
            issue = msg[:1].lower() + msg[1:]
        details.append({"field": field, "issue": issue, "type": item["type"]})
    return details


class AccessSearchQuery(BaseModel):
    """GET /access-events: any combination; without `from` the search looks back over the retention window."""

    model_config = Strict

    consumer_email: Email | None = None
    actor_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    action: Action | None = None
    service: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    from_: DateOrTime | None = Field(default=None, alias="from")
    to: DateOrTime | None = None
    cursor: Annotated[str, StringConstraints(max_length=4096)] | None = None
    limit: int | None = Field(default=None, ge=1, le=500)

    @model_validator(mode="after")
    def _range(self) -> "AccessSearchQuery":
        check_range(self.from_, self.to)
        return self


class AccessAcceptedOut(BaseModel):
    accepted: int
    event_ids: list[str]


class AccessPageOut(BaseModel):
    items: list[dict[str, Any]]
    cursor: str | None
