"""retain_until answers a UTC instant from a per-day cache: it must equal the rounding rule for every instant of
the day (midnight itself included), every record type and retention setting, and leave other zones to the rule."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.config import Settings
from shared.ledger.retention import _next_midnight, retain_until, retention_days
from shared.models.domain import RecordType

INSTANTS = [
    datetime(2026, 11, 30, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 30, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2028, 2, 29, 0, 0, tzinfo=UTC),
    datetime(2028, 2, 29, 18, 30, tzinfo=UTC),
    datetime(2026, 3, 8, 9, 59, 59, tzinfo=UTC),
    datetime(2026, 11, 30, 16, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
    datetime(2026, 3, 7, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles")),
    datetime(2026, 11, 30, 1, 0, tzinfo=timezone(timedelta(hours=1))),  # midnight UTC, spelled in another zone
]


def _rule(record_type, recorded_at, settings):
    return _next_midnight(recorded_at + timedelta(days=retention_days(record_type, settings)))


@pytest.mark.parametrize("recorded_at", INSTANTS)
@pytest.mark.parametrize("record_type", list(RecordType))
@pytest.mark.parametrize("days", [730, 731, 1095])
def test_the_cached_lock_end_is_the_rounding_rules(recorded_at, record_type, days):
    settings = Settings(retention_request_days=days, retention_consent_days=days, retention_notice_days=days,
                        retention_access_days=days)
    for _ in range(2):  # computed, then remembered
        got = retain_until(record_type, recorded_at, settings)
        assert got == _rule(record_type, recorded_at, settings)
        assert got.tzinfo is UTC and (got.hour, got.minute, got.second, got.microsecond) == (0, 0, 0, 0)
