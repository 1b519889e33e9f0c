"""Business-day calendars for the statutory clocks (DESIGN section 5).

A business day is Monday-Friday and not a holiday of the chosen calendar. Holiday dates come from the
`holidays` package (pinned 0.109), imported only when a calendar first needs a year, to keep cold starts fast.

- ``weekends-only``: no holidays.
- ``us-federal``: ``holidays.country_holidays("US")``, public category, observed dates: New Year's Day, Martin
  Luther King Jr. Day, Washington's Birthday, Memorial Day, Juneteenth, Independence Day, Labor Day, Columbus
  Day, Veterans Day, Thanksgiving, Christmas. A Saturday holiday is observed the Friday before, a Sunday one the
  Monday after (so a Saturday 1 January makes the previous 31 December a holiday). One-off closures by
  executive order (e.g. Christmas Eve 2024) are not included: fewer holidays give earlier, safer due dates.
- ``california``: ``holidays.country_holidays("US", subdiv="CA")``, public category, observed as above:
  New Year's Day, Martin Luther King Jr. Day, Presidents' Day, Cesar Chavez Day (31 March; only a Sunday moves,
  to Monday), Memorial Day, Juneteenth, Independence Day, Labor Day, Veterans Day, Thanksgiving, the Day After
  Thanksgiving, Christmas, plus Susan B. Anthony Day (15 February, never moved) and, from 2026, Diwali (AB 268).
  No Columbus Day and no Lincoln Day. This is the package's list, not CalHR's: CalHR has no Juneteenth,
  Susan B. Anthony Day or Diwali.
- ``us-federal+california``: the union of the two.
"""

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

CALENDAR_NAMES = ("weekends-only", "us-federal", "california", "us-federal+california")


def _no_holidays(year: int) -> frozenset[date]:
    return frozenset()


@lru_cache(maxsize=64)
def _us_federal(year: int) -> frozenset[date]:
    import holidays  # lazy: keeps the package out of handler cold starts

    return frozenset(holidays.country_holidays("US", years=year, observed=True))


@lru_cache(maxsize=64)
def _california(year: int) -> frozenset[date]:
    import holidays  # lazy: keeps the package out of handler cold starts

    return frozenset(holidays.country_holidays("US", subdiv="CA", years=year, observed=True))


def _union(year: int) -> frozenset[date]:
    return _us_federal(year) | _california(year)


_SOURCES: dict[str, Callable[[int], frozenset[date]]] = {
    "weekends-only": _no_holidays,
    "us-federal": _us_federal,
    "california": _california,
    "us-federal+california": _union,
}


class BusinessCalendar:
    """Mon-Fri minus the calendar's holidays; counts never include the start day (DESIGN 5, Regs 7021(a))."""

    def __init__(self, name: str, holidays_for_year: Callable[[int], frozenset[date]]) -> None:
        self.name = name
        self._holidays_for_year = holidays_for_year
        # Counting walks day by day; every request received the same day asks the same question, so answers are kept.
        self.add_business_days = lru_cache(maxsize=4096)(self._add_business_days)  # type: ignore[method-assign]
        self.business_days_between = lru_cache(maxsize=4096)(self._business_days_between)  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r})"

    def is_holiday(self, day: date) -> bool:
        """True when the calendar lists the day (actual or observed date) as a holiday."""
        return day in self._holidays_for_year(day.year)

    def is_business_day(self, day: date) -> bool:
        """Monday-Friday and not a holiday."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def _add_business_days(self, start: date, n: int) -> date:
        """The n-th business day after start; start itself never counts, even when it is a business day."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day

    def _business_days_between(self, a: date, b: date) -> int:
        """Business days d with a < d <= b; negative (and symmetric) when b is before a."""
        if b < a:
            return -self.business_days_between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1) if self.is_business_day(a + timedelta(days=i)))


@lru_cache(maxsize=len(CALENDAR_NAMES))
def get_calendar(name: str) -> BusinessCalendar:
    """The named calendar (one shared instance per name); ValueError for an unknown name."""
    try:
        source = _SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown holiday calendar {name!r}; expected one of {CALENDAR_NAMES}") from None
    return BusinessCalendar(name, source)
