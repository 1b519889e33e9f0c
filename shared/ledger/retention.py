"""Retention by record type (DESIGN section 3): how long each evidence object stays COMPLIANCE-locked."""

from datetime import datetime, timedelta

from shared.config import RETENTION_FLOOR_DAYS, Settings
from shared.models.domain import RecordType

# Request records and consent records may never be kept for less than 24 months (11 CCR 7101).
FLOOR_DAYS: dict[RecordType, int] = {
    RecordType.CONSUMER_REQUEST: RETENTION_FLOOR_DAYS,
    RecordType.CONSENT: RETENTION_FLOOR_DAYS,
    RecordType.PRIVACY_NOTICE: 365,
    RecordType.ACCESS_EVENT: 1,
}


def retention_days(record_type: RecordType, settings: Settings) -> int:
    configured = {
        RecordType.CONSUMER_REQUEST: settings.retention_request_days,
        RecordType.CONSENT: settings.retention_consent_days,
        RecordType.PRIVACY_NOTICE: settings.retention_notice_days,
        RecordType.ACCESS_EVENT: settings.retention_access_days,
    }[record_type]
    return max(configured, FLOOR_DAYS[record_type])


def retain_until(record_type: RecordType, recorded_at: datetime, settings: Settings) -> datetime:
    """Rounded up to a whole second: S3 keeps retain-until dates at second precision and would cut it short."""
    until = recorded_at + timedelta(days=retention_days(record_type, settings))
    return until.replace(microsecond=0) + timedelta(seconds=1) if until.microsecond else until


def minimum_retain_until(record_type: RecordType, recorded_at: datetime) -> datetime:
    """The earliest retain-until the evidence store accepts for this record type."""
    return recorded_at + timedelta(days=FLOOR_DAYS[record_type])
