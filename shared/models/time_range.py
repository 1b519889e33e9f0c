"""The dates the API accepts, and the `from`/`to` filters every search and export takes.

Any time or date a caller sends must fall within [2000-01-01, 2100-01-01) UTC: earlier or later is a typo or a
probe (`0001-01-01`, `9999-12-31`), never a record this ledger could hold, and it would only make date-partitioned
reads walk empty months. A filter is a timestamp (RFC 3339 with an offset) or a date `YYYY-MM-DD`, which names a
whole day in the business time zone: `from` its first instant, `to` its last.
"""

from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

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


def _date_or_time(value: Any) -> Any:
    # A strict date parse first: pydantic would otherwise read "2025-01-01" as midnight UTC. A bare number is
    # refused rather than read as Unix time.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("must be a date (YYYY-MM-DD) or an RFC 3339 timestamp")
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD) or an RFC 3339 timestamp") from None
    return value


# `from` / `to` of GET /requests, GET /access-events and POST /exports.
DateOrTime = Annotated[date | AwareDatetime, BeforeValidator(_date_or_time), AfterValidator(in_range)]
# Times callers enter (receipts, notices, access events): within the accepted range too.
EnteredTime = Annotated[AwareDatetime, AfterValidator(in_range)]


def instant(value: date | datetime | None, zone: str, *, end: bool) -> datetime | None:
    """A filter as a UTC instant: a date becomes the first (`from`) or last (`to`) instant of that business day."""
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if value else None
    return datetime.combine(value, time.max if end else time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
