"""Retention by record type (DESIGN section 3): how long each evidence object stays COMPLIANCE-locked."""

from datetime import UTC, datetime, timedelta

from shared.config import RETENTION_FLOOR_DAYS, Settings
from shared.models.domain import RecordType

# Request records and consent records may never be kept for less than 24 months (11 CCR 7101).
# The evidence bucket's policy refuses any lock shorter than this, so every record type shares the floor.
FLOOR_DAYS: dict[RecordType, int] = {record_type: RETENTION_FLOOR_DAYS for record_type in RecordType}


def retention_days(record_type: RecordType, settings: Settings) -> int:
    configured = {
        RecordType.CONSUMER_REQUEST: settings.retention_request_days,
        RecordType.CONSENT: settings.retention_consent_days,
        RecordType.PRIVACY_NOTICE: settings.retention_notice_days,
        RecordType.ACCESS_EVENT: settings.retention_access_days,
    }[record_type]
    return max(configured, FLOOR_DAYS[record_type])


def retain_until(record_type: RecordType, recorded_at: datetime, settings: Settings) -> datetime:
    """Rounded up to the next UTC midnight: S3 keeps whole seconds and the bucket policy counts whole days."""
    until = (recorded_at + timedelta(days=retention_days(record_type, settings))).astimezone(UTC)
    midnight = until.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == until else midnight + timedelta(days=1)


def minimum_retain_until(record_type: RecordType, recorded_at: datetime) -> datetime:
    """The earliest retain-until the evidence store accepts for this record type."""
    return recorded_at + timedelta(days=FLOOR_DAYS[record_type])
