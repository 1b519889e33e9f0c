"""Requests that need attention now: a clock at risk or overdue, most urgent (earliest due) first."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.clocks.calendars import get_calendar
from shared.clocks.engine import ClockRules, evaluate
from shared.models.domain import ClockName
from shared.models.records import RequestRecord
from shared.services.ledger_writer import Ledger


def requests_needing_attention(ledger: Ledger, now: datetime, *, at_risk: bool, overdue: bool) -> list[RequestRecord]:
    """Reads only open clocks due within the at-risk horizon (sparse index), then each matching request once."""
    rules = ClockRules.from_settings(ledger.settings)
    today = now.astimezone(ZoneInfo(rules.time_zone)).date()
    horizon = max(today + timedelta(days=rules.at_risk_calendar_days),
                  get_calendar(rules.calendar).add_business_days(today, rules.at_risk_business_days))
    last_due = horizon if at_risk else today - timedelta(days=1)
    ordered: list[str] = []
    for clock in ledger.index.open_clocks(last_due.isoformat()):
        status = evaluate(ClockName(clock.clock), date.fromisoformat(clock.due), now, None, rules)
        if ((at_risk and status.at_risk) or (overdue and status.overdue)) and clock.request_id not in ordered:
            ordered.append(clock.request_id)
    records = [ledger.index.get_request(request_id) for request_id in ordered]
    return [record for record in records if record is not None]
