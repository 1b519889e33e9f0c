"""shared.timefmt: the spelled-out format equals isoformat's, and its memory never changes an answer."""

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.timefmt import parse_rfc3339, rfc3339


def _isoformat_spelling(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def test_rfc3339_spells_every_instant_as_isoformat_does_in_milliseconds():
    rng = random.Random(16)
    zones = [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=45))]
    moments = [datetime(1, 1, 1, tzinfo=UTC), datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
               datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    moments += [datetime(rng.randint(1000, 9998), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                         rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999999), tzinfo=rng.choice(zones))
                for _ in range(3000)]
    for moment in moments:
        assert rfc3339(moment) == _isoformat_spelling(moment)
        assert parse_rfc3339(rfc3339(moment)) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_the_same_instant_in_another_zone_is_spelled_in_utc_whichever_was_asked_first():
    utc = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    pacific = utc.astimezone(timezone(timedelta(hours=-8)))
    assert rfc3339(utc) == rfc3339(pacific) == "2026-03-01T08:00:00.000Z"
    assert parse_rfc3339("2026-03-01T00:00:00.000-08:00").tzinfo is UTC


def test_naive_times_are_refused_every_time_not_only_the_first():
    for _ in range(2):
        with pytest.raises(ValueError):
            rfc3339(datetime(2026, 1, 2))
        with pytest.raises(ValueError):
            parse_rfc3339("2026-01-02T00:00:00")
