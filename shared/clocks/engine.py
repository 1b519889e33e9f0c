"""Statutory clock engine: due dates and their status for privacy requests (DESIGN section 5). Pure, no I/O."""

from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta
from typing import Literal, Protocol, Self
from zoneinfo import ZoneInfo

from shared.clocks.calendars import get_calendar
from shared.models.domain import ClockName, RequestType

ClockKind = Literal["business", "calendar"]

HONOR_BUSINESS_DAYS = 15  # Regs 7026(f)(1), 7027(g)(1)
ACKNOWLEDGE_BUSINESS_DAYS = 10  # Regs 7021(a)
RESPOND_DAYS_AFTER_RECEIPT = 44  # Regs 7021(b): 45 days with the receipt day as day 1
EXTENDED_RESPOND_DAYS_AFTER_RECEIPT = 89  # Regs 7021(b), Civ. 1798.130(a)(2)(A): 90 days at most


class ClockSettings(Protocol):
    """Anything with the clock fields of shared.config.Settings."""

    @property
    def business_time_zone(self) -> str: ...
    @property
    def holiday_calendar(self) -> str: ...
    @property
    def at_risk_business_days(self) -> int: ...
    @property
    def at_risk_calendar_days(self) -> int: ...


@dataclass(frozen=True)
class ClockRules:
    """Configurable clock rules; the defaults are the conservative reading (DESIGN 5)."""

    time_zone: str = "America/Los_Angeles"
    calendar: str = "us-federal"
    at_risk_business_days: int = 3
    at_risk_calendar_days: int = 7

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # fail at configuration time, not on the first request
        get_calendar(self.calendar)

    @classmethod
    def from_settings(cls, settings: ClockSettings) -> Self:
        """The clock rules configured in Settings (DESIGN 5). Rules are immutable, so one instance per configuration
        serves every request (an opt-out asks twice; each build checks the zone and calendar again)."""
        return _rules(cls, settings.business_time_zone, settings.holiday_calendar, settings.at_risk_business_days,
                      settings.at_risk_calendar_days)


@lru_cache(maxsize=16)
def _rules(cls: type[ClockRules], time_zone: str, calendar: str, business_days: int, calendar_days: int) -> ClockRules:
    return cls(time_zone=time_zone, calendar=calendar, at_risk_business_days=business_days,
               at_risk_calendar_days=calendar_days)


@dataclass(frozen=True)
class ClockStatus:
    """A clock at one instant; days_left counts the clock's own kind of day, 0 on the due day (DESIGN 5)."""

    due: date
    satisfied_at: datetime | None
    met: bool | None
    at_risk: bool
    overdue: bool
    days_left: int


def _local_date(moment: datetime, rules: ClockRules) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(ZoneInfo(rules.time_zone)).date()


def receipt_day(received_at: datetime, rules: ClockRules) -> date:
    """The calendar date of received_at in the business time zone; clocks start there (DESIGN 5, Regs 7021(b))."""
    return _local_date(received_at, rules)


def clocks_for(
    request_type: RequestType, received_at: datetime, rules: ClockRules, *, extended: bool = False
) -> dict[ClockName, date]:
    """Opt-out/limit: 15 business days (Regs 7026(f), 7027(g)); others: ack 10 (7021(a)), respond 45/90 (7021(b))."""
    return clocks_from_day(request_type, receipt_day(received_at, rules), rules, extended=extended)


def clocks_from_day(request_type: RequestType, day: date, rules: ClockRules, *,
                    extended: bool = False) -> dict[ClockName, date]:
    """clocks_for, from the receipt day already known (intake records the day beside the clocks)."""
    calendar = get_calendar(rules.calendar)
    if request_type.is_opt_out:
        if extended:
            raise ValueError("only delete, know and correct requests can be extended (Regs 7021(b))")
        return {ClockName.HONOR_BY: calendar.add_business_days(day, HONOR_BUSINESS_DAYS)}
    days = EXTENDED_RESPOND_DAYS_AFTER_RECEIPT if extended else RESPOND_DAYS_AFTER_RECEIPT
    return {
        ClockName.ACKNOWLEDGE_BY: calendar.add_business_days(day, ACKNOWLEDGE_BUSINESS_DAYS),
        ClockName.RESPOND_BY: day + timedelta(days=days),  # never moved off weekends (DESIGN 5)
    }


def clock_kind(name: ClockName) -> ClockKind:
    """honor_by and acknowledge_by count business days; respond_by counts calendar days (Regs 7021, 7026(f))."""
    return "calendar" if name is ClockName.RESPOND_BY else "business"


def evaluate(
    name: ClockName, due: date, now: datetime, satisfied_at: datetime | None, rules: ClockRules
) -> ClockStatus:
    """Met if satisfied by the end of the due day; overdue once it has passed; at risk near it (DESIGN 5)."""
    today = _local_date(now, rules)
    if clock_kind(name) == "business":
        days_left = get_calendar(rules.calendar).business_days_between(today, due)
        threshold = rules.at_risk_business_days
    else:
        days_left = (due - today).days
        threshold = rules.at_risk_calendar_days
    past_due = today > due
    if past_due:
        # The day after a Friday due date is a Saturday: no business day has passed, but the clock is still late.
        days_left = min(days_left, -1)
    if satisfied_at is not None:
        met = _local_date(satisfied_at, rules) <= due
        return ClockStatus(due, satisfied_at, met, at_risk=False, overdue=False, days_left=days_left)
    return ClockStatus(
        due,
        None,
        met=False if past_due else None,
        at_risk=not past_due and days_left <= threshold,
        overdue=past_due,
        days_left=days_left,
    )


def at_risk_horizon(now: datetime, rules: ClockRules) -> date:
    """The last due date `evaluate` can call at risk (or overdue) at `now`: every clock due later is on time. A
    business-day clock stays at risk on the non-business days before the next business day beyond its threshold,
    so the bound is the day before that one (a due date normally falls on a business day; holidays can change)."""
    today = _local_date(now, rules)
    next_safe_business_day = get_calendar(rules.calendar).add_business_days(today, rules.at_risk_business_days + 1)
    return max(today + timedelta(days=rules.at_risk_calendar_days), next_safe_business_day - timedelta(days=1))


def extension_allowed(respond_by_original: date, now: datetime, rules: ClockRules) -> bool:
    """An extension needs notice within the original 45 days: only while that due day has not passed (Regs 7021(b))."""
    return _local_date(now, rules) <= respond_by_original
