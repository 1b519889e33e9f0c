"""The retention table and its rules, and the evidence store's refusal to ever send a shortening retention."""

from datetime import UTC, datetime, timedelta

from shared.adapters.s3_evidence_store import S3EvidenceStore
from shared.config import Settings
from shared.ledger.retention import (
    RETENTION_TABLE,
    add_years,
    consent_retain_until,
    extension_target,
    majority_at,
    notice_retain_until,
    retain_until,
)
from shared.models.domain import EventType, RecordType

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_the_table_names_every_record_type_once_with_its_rule_and_extending_event():
    assert [rule.record_type for rule in RETENTION_TABLE] == list(RecordType)
    extended = {rule.record_type for rule in RETENTION_TABLE if "nothing" not in rule.extended_by}
    assert extended == {RecordType.CONSENT, RecordType.PRIVACY_NOTICE}
    assert EventType.RETENTION_EXTENDED == "retention_extended"


def test_a_notice_is_kept_12_months_after_it_stops_being_in_force():
    assert notice_retain_until(datetime(2029, 5, 10, 8, 0, tzinfo=UTC)) == datetime(2030, 5, 11, tzinfo=UTC)
    assert add_years(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2029, 3, 1, tzinfo=UTC)


def test_majority_from_birth_year_else_from_the_youngest_age_of_the_band():
    assert majority_at("under_13", 2020, NOW) == datetime(2039, 1, 2, tzinfo=UTC)
    assert majority_at("13_to_15", None, NOW) == datetime(2031, 12, 1, 9, 30, tzinfo=UTC)
    assert majority_at("under_13", None, NOW) == datetime(2044, 12, 1, 9, 30, tzinfo=UTC)
    assert majority_at("16_plus", None, NOW) is None and majority_at("unknown", None, NOW) is None
    assert majority_at("16_plus", 1990, NOW) is None  # already of age


def test_a_minors_consent_lock_runs_through_majority_an_adults_the_consent_period():
    settings = Settings()
    adult = consent_retain_until(NOW, settings, None)
    # 730 days from here end on 29 November 2028 (a leap year): the 24 calendar months are longer and win.
    assert retain_until(RecordType.CONSENT, NOW, settings) == datetime(2028, 11, 30, tzinfo=UTC)
    assert adult == datetime(2028, 12, 1, tzinfo=UTC)
    assert consent_retain_until(NOW, settings, majority_at("13_to_15", None, NOW)) == datetime(2031, 12, 2,
                                                                                              tzinfo=UTC)


def test_an_extension_never_asks_for_less_than_a_fresh_lock_from_now():
    settings = Settings()
    soon = extension_target(RecordType.PRIVACY_NOTICE, NOW + timedelta(days=10), NOW, settings)
    assert soon == retain_until(RecordType.PRIVACY_NOTICE, NOW, settings)
    far = datetime(2035, 1, 1, 12, tzinfo=UTC)
    assert extension_target(RecordType.CONSENT, far, NOW, settings) == datetime(2035, 1, 2, tzinfo=UTC)


class RecordingS3:
    """Stands in for the S3 client: a locked object version and every retention call sent."""

    def __init__(self, until):
        self.until = until
        self.sent = []

    def head_object(self, **params):
        return {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": self.until}

    def put_object_retention(self, **params):
        self.sent.append(params)


def test_the_evidence_store_never_sends_a_shortening_or_equal_retention():
    current = datetime(2030, 1, 1, tzinfo=UTC)
    client = RecordingS3(current)
    store = S3EvidenceStore("bucket", "key", client)
    assert store.extend_retention("k", "v1", datetime(2029, 1, 1, tzinfo=UTC)) == (current, current)
    assert store.extend_retention("k", "v1", current) == (current, current)
    assert client.sent == []
    later = datetime(2031, 1, 1, tzinfo=UTC)
    assert store.extend_retention("k", "v1", later) == (current, later)
    assert client.sent == [{"Bucket": "bucket", "Key": "k", "VersionId": "v1",
                            "Retention": {"Mode": "COMPLIANCE", "RetainUntilDate": later}}]


def test_next_midnight_is_the_utc_day_boundary_at_or_after_the_moment_in_any_zone():
    import random
    from datetime import UTC, datetime, timedelta, timezone

    from shared.ledger.retention import _next_midnight

    rng = random.Random(16)
    zones = [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=13))]
    moments = [datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, 16, tzinfo=timezone(timedelta(hours=-8))),
               datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)]
    moments += [datetime(2026, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.choice((0, 30)),
                         rng.choice((0, 59)), rng.choice((0, 1, 999999)), tzinfo=rng.choice(zones))
                for _ in range(2000)]
    for moment in moments:
        until = moment.astimezone(UTC)
        midnight = until.replace(hour=0, minute=0, second=0, microsecond=0)
        expected = midnight if midnight == until else midnight + timedelta(days=1)
        got = _next_midnight(moment)
        assert got == expected and got.tzinfo is UTC and got.fold == expected.fold
