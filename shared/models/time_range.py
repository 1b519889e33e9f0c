"""The dates the API accepts, and the `from`/`to` filters every search and export takes.

Any time or date a caller sends must fall within [2000-01-01, 2100-01-01) UTC: earlier or later is a typo or a
probe (`0001-01-01`, `9999-12-31`), never a record this ledger could hold, and it would only make date-partitioned
reads walk empty months. A filter is a timestamp (RFC 3339 with an offset) or a date `YYYY-MM-DD`, which names a
whole day in the business time zone: `from` its first instant, `to` its last.
"""

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
RANGE_ISSUE = "must be between 2000-01-01 and 2099-12-31"


def in_range(value: date | datetime) -> Any:
    try:
        day = value.astimezone(UTC).date() if isinstance(value, datetime) else value
    except OverflowError:  # 9999-12-31T23:00:00-05:00 has no UTC form at all
        raise ValueError(RANGE_ISSUE) from None
    if not EARLIEST.date() <= day < LATEST.date():
        raise ValueError(RANGE_ISSUE)
    return value


DATE_OR_TIME_ISSUE = "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp"
TIMESTAMP_ISSUE = "must be an RFC 3339 timestamp with a UTC offset, such as 2026-11-20T17:30:00Z"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# An unencoded `+00:00` in a query string arrives as ` 00:00` (`+` is a space in form encoding). RFC 3339 never
# puts a space before an offset, so the reading is unambiguous.
_SPACED_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$")


def _offset_restored(value: Any) -> Any:
    return _SPACED_OFFSET.sub(r"\1+\2", value) if isinstance(value, str) else value


_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)


def _date_or_time(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # Ten characters are a date, anything else an instant: left to the union, pydantic would read a midnight
    # timestamp ("2026-11-30T00:00:00Z") as a date (a business day, 08:00Z) and a bare number as Unix time. A
    # failure is one sentence naming both accepted forms, not the union's per-member errors.
    if _is_number(value):
        raise ValueError(DATE_OR_TIME_ISSUE)
    if not isinstance(value, str):
        return handler(value)
    try:
        return date.fromisoformat(value) if len(value) == 10 else _INSTANT.validate_python(_offset_restored(value))
    except (ValueError, ValidationError):
        raise ValueError(DATE_OR_TIME_ISSUE) from None


def _timestamp(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # Entered times are instants: a bare number (Unix time), a date alone or a time without an offset is refused
    # with the form the API expects.
    if _is_number(value):
        raise ValueError(TIMESTAMP_ISSUE)
    try:
        return handler(_offset_restored(value))
    except ValidationError:
        raise ValueError(TIMESTAMP_ISSUE) from None


def out_of_order(start: date | datetime | None, end: date | datetime | None) -> bool:
    """`to` before `from`: compared as instants when both are timestamps, else as calendar days."""
    if start is None or end is None:
        return False
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end < start
    return day_of(start) > day_of(end)


# `from` / `to` of GET /requests, GET /access-events and POST /exports; `effective_from` of a notice.
DateOrTime = Annotated[date | AwareDatetime, WrapValidator(_date_or_time), AfterValidator(in_range)]
# Times callers enter (receipts, notices, consents, access events): within the accepted range too.
EnteredTime = Annotated[AwareDatetime, WrapValidator(_timestamp), AfterValidator(in_range)]


def instant(value: date | datetime | None, zone: str, *, end: bool) -> datetime | None:
    """A filter as a UTC instant: a date becomes the first (`from`) or last (`to`) instant of that business day."""
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if value else None
    return datetime.combine(value, time.max if end else time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
