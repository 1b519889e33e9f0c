"""Requests that need attention now: a clock at risk or overdue, most urgent (earliest due) first."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.clocks.engine import ClockRules, at_risk_horizon, evaluate
from shared.models.domain import ClockName
from shared.services.ledger_writer import Ledger


def request_ids_needing_attention(ledger: Ledger, now: datetime, *, at_risk: bool, overdue: bool,
                                  request_type: str | None = None) -> list[str]:
    """Reads only open clocks due within the at-risk horizon (sparse index); no request record is read here."""
    rules = ClockRules.from_settings(ledger.settings)
    today = now.astimezone(ZoneInfo(rules.time_zone)).date()
    last_due = at_risk_horizon(now, rules) if at_risk else today - timedelta(days=1)
    ordered: dict[str, None] = {}
    for clock in ledger.index.open_clocks(last_due.isoformat()):
        if request_type is not None and clock.request_type != request_type:
            continue
        status = evaluate(ClockName(clock.clock), date.fromisoformat(clock.due), now, None, rules)
        if (at_risk and status.at_risk) or (overdue and status.overdue):
            ordered.setdefault(clock.request_id)
    return list(ordered)
