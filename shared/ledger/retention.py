"""Retention by record type (DESIGN section 3): how long each evidence object stays COMPLIANCE-locked, the rule
that sets its lock, and the event that extends it. The whole table lives here (README repeats it).

A lock is set once, at write time, and may later only be extended (S3 COMPLIANCE mode refuses shortening; moto
does not, so `S3EvidenceStore.extend_retention` checks). An extension is always recorded as a `retention_extended`
event naming the object, its previous and its new retain-until date.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from shared.config import RETENTION_FLOOR_DAYS, Settings
from shared.models.domain import RecordType


@dataclass(frozen=True)
class RetentionRule:
    record_type: RecordType
    minimum: str  # the retention the law (or our design) asks for
    lock: str  # what our code sets at write time
    extended_by: str  # what later extends the lock (always recorded as `retention_extended`)


RETENTION_TABLE: tuple[RetentionRule, ...] = (
    RetentionRule(RecordType.CONSUMER_REQUEST,
                  "24 months (11 CCR 7101): opt-out, limit and GPC requests, deletions, know and correct, with "
                  "their actions, downstream instructions and confirmations",
                  "recorded_at + RETENTION_REQUEST_DAYS (>= 730 days)", "nothing: fixed at write time"),
    RetentionRule(RecordType.CONSENT,
                  "duration of reliance + 24 months; a minor's record through the 18th birthday (Civ. Code "
                  "1798.120(c))",
                  "recorded_at + RETENTION_CONSENT_DAYS, or through majority when later: from birth_year (the end of "
                  "the year the consumer turns 18), else from the youngest age of the age band",
                  "a withdrawal (consent_withdrawn): the records it ends are extended to withdrawal + "
                  "RETENTION_CONSENT_DAYS"),
    RetentionRule(RecordType.PRIVACY_NOTICE,
                  "while in force + 12 months",
                  "published + RETENTION_NOTICE_DAYS (>= 730 days)",
                  "the successor's notice_published: the predecessor is extended to its effective_to + 12 months"),
    RetentionRule(RecordType.ACCESS_EVENT,
                  "configurable, default 24 months (reads of the ledger and exports included)",
                  "recorded_at + RETENTION_ACCESS_DAYS (>= 730 days)", "nothing: fixed at write time"),
)

# Request records and consent records may never be kept for less than 24 months (11 CCR 7101).
# The evidence bucket's policy refuses any lock shorter than this, so every record type shares the floor.
FLOOR_DAYS: dict[RecordType, int] = {record_type: RETENTION_FLOOR_DAYS for record_type in RecordType}
NOTICE_AFTER_FORCE_MONTHS = 12
CONSENT_AFTER_RELIANCE_MONTHS = 24
MAJORITY_AGE = 18
# The youngest age of each minor band: its 18th birthday is the latest one the band allows.
YOUNGEST_AGE = {"under_13": 0, "13_to_15": 13}


# The setting that configures each record type's retention (read per event written, so looked up, not built).
RETENTION_SETTING: dict[RecordType, str] = {
    RecordType.CONSUMER_REQUEST: "retention_request_days",
    RecordType.CONSENT: "retention_consent_days",
    RecordType.PRIVACY_NOTICE: "retention_notice_days",
    RecordType.ACCESS_EVENT: "retention_access_days",
}


def retention_days(record_type: RecordType, settings: Settings) -> int:
    return max(getattr(settings, RETENTION_SETTING[record_type]), FLOOR_DAYS[record_type])


def retain_until(record_type: RecordType, recorded_at: datetime, settings: Settings) -> datetime:
    """Rounded up to the next UTC midnight: S3 keeps whole seconds and the bucket policy counts whole days."""
    days = retention_days(record_type, settings)
    if recorded_at.tzinfo is UTC:  # every writer's clock: the lock end is a function of the day, computed once
        at_midnight = not (recorded_at.hour or recorded_at.minute or recorded_at.second or recorded_at.microsecond)
        return _utc_lock_end(recorded_at.date(), days, at_midnight)
    return _next_midnight(recorded_at + timedelta(days=days))


@lru_cache(maxsize=64)
def _utc_lock_end(day: date, days: int, at_midnight: bool) -> datetime:
    """retain_until of any UTC instant of `day`: the same for every instant but midnight, so noon stands for them."""
    return _next_midnight(datetime.combine(day, MIDNIGHT if at_midnight else NOON, UTC) + timedelta(days=days))


def minimum_retain_until(record_type: RecordType, recorded_at: datetime) -> datetime:
    """The earliest retain-until the evidence store accepts for this record type."""
    return recorded_at + timedelta(days=FLOOR_DAYS[record_type])


def consent_retain_until(recorded_at: datetime, settings: Settings, majority_at: datetime | None) -> datetime:
    """A consent record's lock at write time: the consent period, or through the consumer's majority if later."""
    standard = reliance_ended_until(recorded_at, settings)
    return max(standard, _next_midnight(majority_at)) if majority_at else standard


def majority_at(age_band: str | None, birth_year: int | None, occurred_at: datetime) -> datetime | None:
    """The latest moment the consumer can still be a minor, or None when they are not known to be one.

    With a birth year, the end of the year they turn 18 (a day of margin for time zones); without, the youngest age
    of the band gives the latest 18th birthday."""
    if birth_year is not None:
        end = datetime(birth_year + MAJORITY_AGE + 1, 1, 2, tzinfo=UTC)
        return end if end > occurred_at else None
    if age_band in YOUNGEST_AGE:
        return add_years(occurred_at, MAJORITY_AGE - YOUNGEST_AGE[age_band]) + timedelta(days=1)
    return None


def reliance_ended_until(ended_at: datetime, settings: Settings) -> datetime:
    """A consent record stays locked the consent period after reliance on it ended (its withdrawal), and never
    less than 24 calendar months (730 days fall a day short when they span a 29 February)."""
    return max(retain_until(RecordType.CONSENT, ended_at, settings),
               _next_midnight(add_years(ended_at, CONSENT_AFTER_RELIANCE_MONTHS // 12)))


def notice_retain_until(effective_to: datetime) -> datetime:
    """A notice version stays locked 12 months after it stopped being in force."""
    return _next_midnight(add_years(effective_to, NOTICE_AFTER_FORCE_MONTHS // 12))


def extension_target(record_type: RecordType, rule_until: datetime, now: datetime, settings: Settings) -> datetime:
    """What an extension sends: the rule's date, but never less than a fresh lock of the type from now (the bucket
    policy refuses any PutObjectRetention leaving fewer days than the floor)."""
    return max(_next_midnight(rule_until), retain_until(record_type, now, settings))


def add_years(moment: datetime, years: int) -> datetime:
    """Calendar years; 29 February moves to 1 March (the later day: retention errs long)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, month=3, day=1)


def _next_midnight(moment: datetime) -> datetime:
    until = moment.astimezone(UTC)
    midnight = datetime.combine(until.date(), MIDNIGHT, UTC)  # what replace(hour=0, ...) gives, in a fifth the time
    return midnight if midnight == until else midnight + ONE_DAY


MIDNIGHT = time()
NOON = time(12)
ONE_DAY = timedelta(days=1)
