import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from shared.clocks.calendars import get_calendar
from shared.clocks.engine import (
    ClockRules,
    at_risk_horizon,
    clock_kind,
    clocks_for,
    evaluate,
    extension_allowed,
    receipt_day,
)
from shared.config import Settings
from shared.models.domain import ClockName, RequestType

LA = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")
REPO_ROOT = Path(__file__).resolve().parents[2]
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

FEDERAL = ClockRules(calendar="us-federal")
CALIFORNIA = ClockRules(calendar="california")
UNION = ClockRules(calendar="us-federal+california")
WEEKENDS = ClockRules(calendar="weekends-only")

HONOR, ACK, RESPOND = ClockName.HONOR_BY, ClockName.ACKNOWLEDGE_BY, ClockName.RESPOND_BY


def d(iso: str, weekday: str) -> date:
    """An expected date, checked against the real calendar so no example can carry a wrong weekday."""
    day = date.fromisoformat(iso)
    assert WEEKDAYS[day.weekday()] == weekday, f"{iso} is a {WEEKDAYS[day.weekday()]}, not a {weekday}"
    return day


def la(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=LA)


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


# --- Worked dates: DESIGN section 5 and regulation.md examples A-E -------------------------------------------


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (FEDERAL, d("2026-12-14", "Mon")),  # Thanksgiving 11/26 skipped
        (UNION, d("2026-12-15", "Tue")),  # 11/26 and the day after Thanksgiving skipped
        (CALIFORNIA, d("2026-12-15", "Tue")),
        (WEEKENDS, d("2026-12-11", "Fri")),
    ],
)
def test_opt_out_honor_by_matches_design_example_when_received_friday_before_thanksgiving(rules, expected):
    received = la("2026-11-20T10:00:00")
    assert receipt_day(received, rules) == d("2026-11-20", "Fri")
    assert clocks_for(RequestType.OPT_OUT_SALE_SHARING, received, rules) == {HONOR: expected}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (FEDERAL, d("2026-12-03", "Thu")),  # skips 11/11 and 11/26
        (CALIFORNIA, d("2026-12-04", "Fri")),  # also skips 11/27
        (UNION, d("2026-12-04", "Fri")),
        (WEEKENDS, d("2026-12-01", "Tue")),
    ],
)
def test_opt_out_honor_by_matches_example_b_when_received_day_before_veterans_day(rules, expected):
    received = la("2026-11-10T09:00:00")
    assert clocks_for(RequestType.OPT_OUT_SALE_SHARING, received, rules) == {HONOR: expected}


@pytest.mark.parametrize("rules", [FEDERAL, CALIFORNIA, UNION])
def test_delete_clocks_match_example_c_when_received_two_days_before_christmas(rules):
    received = la("2026-12-23T15:00:00")
    # Acknowledge: 10 business days, skipping 12/25 and 1/1. Respond: receipt + 44 (receipt day is day 1).
    assert clocks_for(RequestType.DELETE, received, rules) == {
        ACK: d("2027-01-08", "Fri"),
        RESPOND: d("2027-02-05", "Fri"),
    }
    assert clocks_for(RequestType.DELETE, received, rules, extended=True)[RESPOND] == d("2027-03-22", "Mon")


def test_delete_acknowledge_by_ignores_holidays_when_calendar_is_weekends_only():
    clocks = clocks_for(RequestType.DELETE, la("2026-12-23T15:00:00"), WEEKENDS)
    assert clocks[ACK] == d("2027-01-06", "Wed")
    assert clocks[RESPOND] == d("2027-02-05", "Fri")  # calendar-day clocks do not depend on the calendar


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (FEDERAL, d("2027-01-25", "Mon")),  # skips 1/1 and MLK Day 1/18
        (CALIFORNIA, d("2027-01-25", "Mon")),
        (UNION, d("2027-01-25", "Mon")),
        (WEEKENDS, d("2027-01-21", "Thu")),
    ],
)
def test_limit_honor_by_matches_example_d_when_received_new_years_eve(rules, expected):
    received = la("2026-12-31T12:00:00")
    assert clocks_for(RequestType.LIMIT_SENSITIVE_PI, received, rules) == {HONOR: expected}


def test_know_clocks_match_example_e_when_received_monday_after_thanksgiving():
    received = la("2026-11-30T08:00:00")
    assert clocks_for(RequestType.KNOW, received, FEDERAL) == {
        ACK: d("2026-12-14", "Mon"),
        RESPOND: d("2027-01-13", "Wed"),
    }


def test_extended_respond_by_stays_on_saturday_when_receipt_plus_89_is_a_weekend():
    # regulation.md example E moves this to Fri 2027-02-26; DESIGN 5 wins: "not moved off weekends".
    clocks = clocks_for(RequestType.KNOW, la("2026-11-30T08:00:00"), FEDERAL, extended=True)
    assert clocks[RESPOND] == d("2027-02-27", "Sat")


def test_respond_by_stays_on_sunday_when_receipt_plus_44_is_a_weekend():
    clocks = clocks_for(RequestType.CORRECT, la("2026-11-20T08:00:00"), FEDERAL)
    assert clocks[RESPOND] == d("2027-01-03", "Sun")


def test_clocks_for_refuses_extension_when_request_is_opt_out():
    with pytest.raises(ValueError, match="extended"):
        clocks_for(RequestType.OPT_OUT_SALE_SHARING, la("2026-11-20T08:00:00"), FEDERAL, extended=True)


# --- Receipt day in the business time zone -----------------------------------------------------------------


def test_receipt_day_is_friday_in_los_angeles_when_utc_is_already_saturday():
    assert receipt_day(utc("2026-11-21T07:30:00"), FEDERAL) == d("2026-11-20", "Fri")  # 23:30 PST
    assert receipt_day(utc("2026-11-21T08:30:00"), FEDERAL) == d("2026-11-21", "Sat")  # 00:30 PST


def test_respond_by_moves_a_day_when_receipt_crosses_midnight_in_los_angeles():
    friday = clocks_for(RequestType.KNOW, utc("2026-11-21T07:59:59"), FEDERAL)
    saturday = clocks_for(RequestType.KNOW, utc("2026-11-21T08:00:00"), FEDERAL)
    assert friday[RESPOND] == d("2027-01-03", "Sun")
    assert saturday[RESPOND] == d("2027-01-04", "Mon")


def test_receipt_day_uses_pdt_when_dst_started_that_day():
    # DST began Sun 2026-03-08; 07:30Z the next morning is 00:30 PDT Monday (a fixed -08:00 would say Sunday).
    assert receipt_day(utc("2026-03-09T06:30:00"), FEDERAL) == d("2026-03-08", "Sun")
    assert receipt_day(utc("2026-03-09T07:30:00"), FEDERAL) == d("2026-03-09", "Mon")


def test_receipt_day_uses_pst_when_dst_ended_that_day():
    # DST ended Sun 2026-11-01; 07:30Z the next morning is 23:30 PST Sunday (a fixed -07:00 would say Monday).
    assert receipt_day(utc("2026-11-02T07:30:00"), FEDERAL) == d("2026-11-01", "Sun")
    assert receipt_day(utc("2026-11-02T08:30:00"), FEDERAL) == d("2026-11-02", "Mon")


def test_receipt_day_converts_when_received_at_has_another_offset():
    tokyo = datetime(2026, 11, 21, 16, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 07:30Z
    assert receipt_day(tokyo, FEDERAL) == d("2026-11-20", "Fri")


def test_receipt_day_follows_configured_time_zone_when_not_los_angeles():
    assert receipt_day(utc("2026-11-21T07:30:00"), ClockRules(time_zone="America/New_York")) == d("2026-11-21", "Sat")


def test_receipt_day_raises_when_datetime_is_naive():
    with pytest.raises(ValueError, match="aware"):
        receipt_day(datetime(2026, 11, 20, 12, 0), FEDERAL)


# --- Receipt on a non-business day ---------------------------------------------------------------------------


def test_honor_by_equals_friday_receipt_when_received_on_saturday():
    # The receipt day never counts, so Saturday and the Friday before both start counting on Monday.
    clocks = clocks_for(RequestType.OPT_OUT_SALE_SHARING, la("2026-11-21T11:00:00"), FEDERAL)
    assert clocks == {HONOR: d("2026-12-14", "Mon")}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (FEDERAL, d("2026-12-17", "Thu")),  # 11/27 is a federal business day and counts as day 1
        (CALIFORNIA, d("2026-12-18", "Fri")),  # 11/27 is the Day After Thanksgiving
    ],
)
def test_honor_by_counts_from_next_business_day_when_received_on_thanksgiving(rules, expected):
    clocks = clocks_for(RequestType.OPT_OUT_SALE_SHARING, la("2026-11-26T18:00:00"), rules)
    assert clocks == {HONOR: expected}


# --- Calendars -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "federal", "california"),
    [
        (d("2026-10-12", "Mon"), True, False),  # Columbus Day
        (d("2026-11-11", "Wed"), True, True),  # Veterans Day
        (d("2026-11-26", "Thu"), True, True),  # Thanksgiving
        (d("2026-11-27", "Fri"), False, True),  # Day After Thanksgiving
        (d("2026-12-24", "Thu"), False, False),  # Christmas Eve
        (d("2026-12-25", "Fri"), True, True),
        (d("2027-01-01", "Fri"), True, True),
        (d("2027-01-18", "Mon"), True, True),  # MLK Day
        (d("2027-02-12", "Fri"), False, False),  # Lincoln Day: judicial only
        (d("2027-02-15", "Mon"), True, True),  # Washington's Birthday / Presidents' Day
        (d("2027-03-31", "Wed"), False, True),  # Cesar Chavez Day
    ],
)
def test_calendars_match_regulation_holiday_table_when_day_is_listed(day, federal, california):
    assert get_calendar("us-federal").is_business_day(day) is not federal
    assert get_calendar("california").is_business_day(day) is not california
    assert get_calendar("us-federal+california").is_business_day(day) is not (federal or california)
    assert get_calendar("weekends-only").is_business_day(day)


@pytest.mark.parametrize("name", ["us-federal", "california", "us-federal+california"])
@pytest.mark.parametrize(
    ("holiday", "observed"),
    [
        (d("2026-07-04", "Sat"), d("2026-07-03", "Fri")),  # Independence Day on Saturday
        (d("2027-07-04", "Sun"), d("2027-07-05", "Mon")),  # Independence Day on Sunday
        (d("2027-12-25", "Sat"), d("2027-12-24", "Fri")),  # Christmas on Saturday
        (d("2028-01-01", "Sat"), d("2027-12-31", "Fri")),  # New Year observed in the previous year
    ],
)
def test_observed_day_is_not_a_business_day_when_holiday_falls_on_weekend(name, holiday, observed):
    calendar = get_calendar(name)
    assert not calendar.is_business_day(holiday)
    assert not calendar.is_business_day(observed)


def test_honor_by_skips_observed_independence_day_when_july_4_is_saturday():
    received = la("2026-07-02T12:00:00")
    assert clocks_for(RequestType.OPT_OUT_SALE_SHARING, received, FEDERAL) == {HONOR: d("2026-07-24", "Fri")}
    assert clocks_for(RequestType.OPT_OUT_SALE_SHARING, received, WEEKENDS) == {HONOR: d("2026-07-23", "Thu")}


def test_us_federal_excludes_executive_order_closures_when_christmas_eve_was_closed():
    # Federal offices closed 2024-12-24 by EO 14129; not a statutory holiday, so still a business day.
    assert get_calendar("us-federal").is_business_day(d("2024-12-24", "Tue"))


@pytest.mark.parametrize(
    "day",
    [
        d("2027-06-18", "Fri"),  # Juneteenth (observed)
        d("2027-10-29", "Fri"),  # Diwali (AB 268, from 2026)
        d("2028-02-15", "Tue"),  # Susan B. Anthony Day
    ],
)
def test_california_follows_holidays_package_when_day_is_not_on_calhr_list(day):
    # The holidays package's US-CA list, as documented in shared/clocks/calendars.py; pinned so an upgrade shows.
    assert not get_calendar("california").is_business_day(day)
    assert not get_calendar("us-federal+california").is_business_day(day)


def test_california_omits_columbus_day_when_federal_has_it():
    assert get_calendar("california").is_business_day(d("2027-10-11", "Mon"))
    assert not get_calendar("us-federal").is_business_day(d("2027-10-11", "Mon"))


def test_weekends_are_never_business_days_when_calendar_is_weekends_only():
    calendar = get_calendar("weekends-only")
    assert not calendar.is_business_day(d("2026-11-21", "Sat"))
    assert not calendar.is_business_day(d("2026-11-22", "Sun"))
    assert calendar.is_business_day(d("2026-11-26", "Thu"))


def test_add_business_days_returns_start_when_n_is_zero():
    assert get_calendar("us-federal").add_business_days(d("2026-11-21", "Sat"), 0) == d("2026-11-21", "Sat")


def test_add_business_days_raises_when_n_is_negative():
    with pytest.raises(ValueError):
        get_calendar("us-federal").add_business_days(d("2026-11-20", "Fri"), -1)


def test_business_days_between_is_antisymmetric_when_arguments_swap():
    calendar = get_calendar("us-federal")
    a, b = d("2026-11-20", "Fri"), d("2026-12-14", "Mon")
    assert calendar.business_days_between(a, b) == 15
    assert calendar.business_days_between(b, a) == -15
    assert calendar.business_days_between(a, a) == 0
    assert calendar.business_days_between(d("2026-11-21", "Sat"), d("2026-11-22", "Sun")) == 0
    assert calendar.business_days_between(d("2026-11-22", "Sun"), d("2026-11-21", "Sat")) == 0


@pytest.mark.parametrize("name", ["weekends-only", "us-federal", "california", "us-federal+california"])
def test_business_days_between_inverts_add_business_days_when_counting_forward(name):
    calendar = get_calendar(name)
    for start in (d("2026-11-20", "Fri"), d("2026-11-26", "Thu"), d("2026-12-26", "Sat"), d("2027-03-30", "Tue")):
        for n in range(40):
            assert calendar.business_days_between(start, calendar.add_business_days(start, n)) == n


def test_get_calendar_returns_same_instance_when_called_twice():
    assert get_calendar("california") is get_calendar("california")


def test_get_calendar_raises_when_name_is_unknown():
    with pytest.raises(ValueError, match="unknown holiday calendar"):
        get_calendar("uk")


def test_importing_calendars_does_not_import_holidays_when_no_calendar_is_used():
    code = (
        "import sys, shared.clocks.calendars, shared.clocks.engine\n"
        "assert 'holidays' not in sys.modules, 'imported at module load'\n"
        "from datetime import date\n"
        "shared.clocks.calendars.get_calendar('us-federal').is_business_day(date(2026, 11, 26))\n"
        "assert 'holidays' in sys.modules, 'never imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# --- Rules ---------------------------------------------------------------------------------------------------


def test_clock_rules_copy_settings_when_built_from_settings():
    settings = Settings(holiday_calendar="california", at_risk_business_days=5, at_risk_calendar_days=10)
    assert ClockRules.from_settings(settings) == ClockRules(
        time_zone="America/Los_Angeles", calendar="california", at_risk_business_days=5, at_risk_calendar_days=10
    )


def test_clock_rules_accept_any_object_when_it_has_the_settings_attributes():
    settings = SimpleNamespace(
        business_time_zone="America/New_York",
        holiday_calendar="weekends-only",
        at_risk_business_days=1,
        at_risk_calendar_days=2,
    )
    assert ClockRules.from_settings(settings) == ClockRules("America/New_York", "weekends-only", 1, 2)


def test_clock_rules_raise_when_time_zone_or_calendar_is_unknown():
    with pytest.raises(ZoneInfoNotFoundError):
        ClockRules(time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        ClockRules(calendar="mars")


@pytest.mark.parametrize(("name", "kind"), [(HONOR, "business"), (ACK, "business"), (RESPOND, "calendar")])
def test_clock_kind_matches_statute_when_clock_is_named(name, kind):
    assert clock_kind(name) == kind


# --- Status: at risk, overdue, met -------------------------------------------------------------------------


HONOR_DUE = d("2026-12-14", "Mon")  # DESIGN example, us-federal
RESPOND_DUE = d("2027-01-13", "Wed")  # example E


@pytest.mark.parametrize(
    ("now", "days_left", "at_risk", "overdue"),
    [
        (la("2026-12-08T12:00:00"), 4, False, False),  # 12/9, 12/10, 12/11, 12/14 left
        (la("2026-12-09T00:00:00"), 3, True, False),  # at the threshold of 3 business days
        (la("2026-12-12T12:00:00"), 1, True, False),  # Saturday: only Monday left
        (la("2026-12-14T00:00:00"), 0, True, False),
        (la("2026-12-14T23:59:59.999999"), 0, True, False),  # end of the due day is still on time
        (la("2026-12-15T00:00:00"), -1, False, True),  # midnight in Los Angeles: overdue
        (la("2026-12-19T12:00:00"), -4, False, True),  # Saturday after: 12/15-12/18 passed
    ],
)
def test_business_clock_status_changes_when_now_moves_through_the_due_date(now, days_left, at_risk, overdue):
    status = evaluate(HONOR, HONOR_DUE, now, None, FEDERAL)
    assert (status.days_left, status.at_risk, status.overdue) == (days_left, at_risk, overdue)
    assert status.met is (False if overdue else None)
    assert status.due == HONOR_DUE
    assert status.satisfied_at is None


@pytest.mark.parametrize(
    ("now", "days_left", "at_risk", "overdue"),
    [
        (la("2027-01-05T12:00:00"), 8, False, False),
        (la("2027-01-06T00:00:00"), 7, True, False),  # at the threshold of 7 calendar days
        (la("2027-01-09T12:00:00"), 4, True, False),  # weekends count on a calendar clock
        (utc("2027-01-14T07:59:59"), 0, True, False),  # 23:59:59 PST on the due day
        (utc("2027-01-14T08:00:00"), -1, False, True),  # 00:00 PST the next day
        (la("2027-01-20T12:00:00"), -7, False, True),
    ],
)
def test_calendar_clock_status_changes_when_now_moves_through_the_due_date(now, days_left, at_risk, overdue):
    status = evaluate(RESPOND, RESPOND_DUE, now, None, FEDERAL)
    assert (status.days_left, status.at_risk, status.overdue) == (days_left, at_risk, overdue)
    assert status.met is (False if overdue else None)


def test_business_clock_is_overdue_with_negative_days_left_when_friday_due_date_passed_on_weekend():
    # No business day has passed by Saturday, but the due day has: overdue, and days_left is at least -1.
    due = d("2026-12-11", "Fri")
    saturday = evaluate(HONOR, due, la("2026-12-12T09:00:00"), None, WEEKENDS)
    monday = evaluate(HONOR, due, la("2026-12-14T09:00:00"), None, WEEKENDS)
    tuesday = evaluate(HONOR, due, la("2026-12-15T09:00:00"), None, WEEKENDS)
    assert (saturday.overdue, saturday.days_left) == (True, -1)
    assert (monday.overdue, monday.days_left) == (True, -1)
    assert (tuesday.overdue, tuesday.days_left) == (True, -2)


def test_at_risk_threshold_follows_rules_when_configured():
    rules = ClockRules(at_risk_business_days=0, at_risk_calendar_days=0)
    assert not evaluate(HONOR, HONOR_DUE, la("2026-12-11T12:00:00"), None, rules).at_risk
    assert evaluate(HONOR, HONOR_DUE, la("2026-12-14T12:00:00"), None, rules).at_risk
    assert not evaluate(RESPOND, RESPOND_DUE, la("2027-01-12T12:00:00"), None, rules).at_risk
    assert evaluate(RESPOND, RESPOND_DUE, la("2027-01-13T12:00:00"), None, rules).at_risk


@pytest.mark.parametrize(
    ("satisfied_at", "met"),
    [
        (la("2027-01-02T10:00:00"), True),
        (la("2027-01-13T23:59:59"), True),
        (utc("2027-01-14T07:30:00"), True),  # 23:30 PST on the due day
        (utc("2027-01-14T08:00:00"), False),  # 00:00 PST the next day
        (la("2027-02-01T10:00:00"), False),
    ],
)
def test_satisfied_clock_is_met_only_when_satisfied_by_end_of_due_day(satisfied_at, met):
    status = evaluate(RESPOND, RESPOND_DUE, la("2027-02-10T12:00:00"), satisfied_at, FEDERAL)
    assert status.met is met
    assert status.satisfied_at == satisfied_at
    assert not status.overdue
    assert not status.at_risk


def test_satisfied_clock_is_not_at_risk_when_now_is_inside_the_risk_window():
    status = evaluate(HONOR, HONOR_DUE, la("2026-12-14T09:00:00"), la("2026-12-14T08:00:00"), FEDERAL)
    assert (status.met, status.at_risk, status.overdue, status.days_left) == (True, False, False, 0)


def test_missed_clock_is_not_overdue_when_satisfied_late():
    status = evaluate(ACK, d("2027-01-08", "Fri"), la("2027-01-20T09:00:00"), la("2027-01-11T09:00:00"), FEDERAL)
    assert (status.met, status.at_risk, status.overdue) == (False, False, False)


def test_evaluate_raises_when_now_or_satisfied_at_is_naive():
    with pytest.raises(ValueError):
        evaluate(HONOR, HONOR_DUE, datetime(2026, 12, 1, 12, 0), None, FEDERAL)
    with pytest.raises(ValueError):
        evaluate(HONOR, HONOR_DUE, la("2026-12-01T12:00:00"), datetime(2026, 12, 1, 12, 0), FEDERAL)


# --- Extension -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (la("2027-01-20T12:00:00"), True),
        (la("2027-02-05T00:00:00"), True),  # on the original due day
        (utc("2027-02-06T07:59:59"), True),  # 23:59:59 PST on the original due day
        (la("2027-02-06T00:00:00"), False),  # the day after
        (la("2027-03-01T12:00:00"), False),
    ],
)
def test_extension_allowed_only_when_original_respond_by_has_not_passed(now, allowed):
    original = clocks_for(RequestType.DELETE, la("2026-12-23T15:00:00"), FEDERAL)[RESPOND]
    assert original == d("2027-02-05", "Fri")
    assert extension_allowed(original, now, FEDERAL) is allowed


def test_extended_respond_by_is_45_days_after_original_when_extended():
    received = la("2026-12-23T15:00:00")
    original = clocks_for(RequestType.DELETE, received, FEDERAL)[RESPOND]
    extended = clocks_for(RequestType.DELETE, received, FEDERAL, extended=True)[RESPOND]
    assert extended - original == timedelta(days=45)


@pytest.mark.parametrize("rules", [FEDERAL, CALIFORNIA, WEEKENDS, ClockRules(at_risk_business_days=0,
                                   at_risk_calendar_days=0), ClockRules(at_risk_business_days=6,
                                   at_risk_calendar_days=2), ClockRules(time_zone="Pacific/Kiritimati")])
def test_at_risk_horizon_is_the_last_due_date_any_clock_is_at_risk_on_when_swept_at_any_hour(rules):
    # Every 7 hours through the year-end holidays; due dates on weekends and holidays too (a calendar can change).
    now = utc("2026-11-20T03:00:00")
    while now < utc("2027-01-25T00:00:00"):
        today = now.astimezone(ZoneInfo(rules.time_zone)).date()
        flagged = [today + timedelta(days=offset) for offset in range(-3, 40)
                   if any(status.at_risk or status.overdue
                          for status in (evaluate(name, today + timedelta(days=offset), now, None, rules)
                                         for name in (HONOR, RESPOND)))]
        assert max(flagged) == at_risk_horizon(now, rules), now  # never a clock beyond it, and no wider
        now += timedelta(hours=7)
