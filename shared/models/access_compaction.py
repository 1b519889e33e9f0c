"""Compacted copies of the access log's batch objects (issue 17): one day's events re-sorted by consumer tag.

A batch object holds one stream batch: its rows are sorted by consumer tag, but each of its row groups spans
nearly every tag, so min/max statistics cannot skip any of them. Once a day is closed (no batch object can still
land in its partition), its events are rewritten as `access/compacted/date=YYYY-MM-DD/part-NNNN-of-MMMM.parquet`:
the day split into tag ranges (parts), each event once, sorted by (consumer_tag, recorded_at, event_id) in row
groups of ROW_GROUP_ROWS, so a consumer's search is admitted by about one row group per day, and reads that small
row group's filter columns rather than a whole batch's. Same columns and `date` partition (the received day) as
the batch objects. The batch objects stay: they are what the Merkle leaves bind, and proofs keep pointing at them. Search reads a compacted day's copy and the other days' batches,
chosen per day by the compaction watermark (`compacted_before`: every day before it is compacted).
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.models.access_search import partition_prefix

COMPACTED_PREFIX = "access/compacted/"
# Events per compacted object: a part is built in memory (pyarrow) by one function run.
ROWS_PER_PART = 250_000
# Rows per row group of a compacted object. What a consumer's search reads per day is about one row group's filter
# columns (71 bytes a row), so smaller groups scan less: 2,000 rows scan a fifth of 10,000 (bench/access_search.py)
# for a larger footer (under 1% of the object here).
ROW_GROUP_ROWS = 2_000
# A batch key names the day its writer minted it; the writer runs at most 300 s (template.yaml), so after this
# much of the next day no object can still land in a day's partition.
CLOSE_GRACE = timedelta(minutes=20)
MAX_PARTS = 9999
# Days one run compacts (oldest first): the hourly schedule catches up 24 times faster than days arrive.
DAYS_PER_RUN = 3
_PART = re.compile(r"/part-(\d{4})-of-(\d{4})\.parquet$")


def compacted_partition(day: date) -> str:
    return partition_prefix(day, COMPACTED_PREFIX)


def compacted_key(day: date, part: int, parts: int) -> str:
    """Fixed by (day, part, parts): a rerun writes the same keys, so an object left by a crashed run is found and
    checked rather than doubled (objects are create-only and locked: nothing can be deleted)."""
    if not 0 <= part < parts <= MAX_PARTS:
        raise ValueError(f"no part {part} of {parts}")
    return f"{compacted_partition(day)}part-{part:04d}-of-{parts:04d}.parquet"


def parts_of(key: str) -> int | None:
    """How many parts the run that wrote this compacted key planned (None: not a compacted part)."""
    found = _PART.search(key)
    return int(found.group(2)) if found else None


def part_count(rows: int) -> int:
    """Parts for a day whose batch objects hold this many rows (copies included: the count is fixed once the day
    is closed, so every run plans the same parts)."""
    return min(MAX_PARTS, max(1, -(-rows // ROWS_PER_PART)))


def part_bounds(part: int, parts: int) -> tuple[str | None, str | None]:
    """The consumer tags of a part: from `low` (inclusive) to `high` (exclusive), None meaning unbounded, so the
    parts cover every text exactly once. Equal ranges of the tag space (tags are HMAC-SHA256 hex, so uniform);
    a bound is 8 lowercase hex digits, and such text sorts as its number."""
    def bound(index: int) -> str | None:
        return None if index in (0, parts) else f"{-(-(index << 32) // parts):08x}"

    return bound(part), bound(part + 1)


def last_closed_day(now: datetime) -> date:
    """The newest day no batch object can still land in."""
    return (now - CLOSE_GRACE).astimezone(UTC).date() - timedelta(days=1)


@dataclass(frozen=True)
class DayCompacted:
    """One day made searchable from its compacted copy: how many events (each once), parts written now, and parts
    found already written by an earlier run (checked, not rewritten)."""

    day: date
    events: int
    sources: int
    written: int
    found: int


@dataclass(frozen=True)
class CompactionResult:
    days: tuple[DayCompacted, ...]
    compacted_before: date | None  # the watermark after this run (None: nothing stored yet)
