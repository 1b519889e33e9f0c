"""What the access log's search engines read and answer (issue 17): the batch objects' columns as the Glue table
declares them, and the shapes a search asks for and gets back. Ingest writes the objects (their schema and writer:
shared/models/access_batch.py, shared/ledger/parquet_batches.py); the engines (DuckDB locally, Athena on AWS) read
them.

Objects: `access/batches/date=YYYY-MM-DD/<batch_id>.parquet` (the UTC day the batch was received), one row per
access event, rows sorted by (consumer_tag, recorded_at, event_id) in row groups of at most 10,000 rows, so the
row groups' min/max statistics on `consumer_tag` let an engine skip what a consumer's search cannot match.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.models.access_batch import PREFIX as BATCH_PREFIX
from shared.models.access_batch import ROW_GROUP_ROWS, batch_key  # noqa: F401  (one definition, re-exported)
# A batch lands in the partition of the day it was received, which can follow the day its events were recorded
# (delivery buffers): a search for recorded times reads one more day of partitions than the range.
DELIVERY_MARGIN = timedelta(days=1)

# Column name -> Glue/Athena type (template.yaml's table must say the same).
COLUMNS = {
    "event_id": "string",
    "producer_key": "string",
    "consumer_tag": "string",
    "actor_tag": "string",
    "action": "string",
    "service": "string",
    "occurred_at": "timestamp",
    "recorded_at": "timestamp",
    "request_id": "string",
    "event_hash": "string",
    "envelope": "string",
}


def partition_prefix(day: date, prefix: str = BATCH_PREFIX) -> str:
    return f"{prefix}date={day.isoformat()}/"


@dataclass(frozen=True)
class AccessQuery:
    """One page of an access-log search over batch objects. Tags are HMAC tags (never raw identifiers); `before`
    is the exclusive keyset position (recorded_at, event_id) of the previous page's last item."""

    recorded_from: datetime
    recorded_to: datetime
    consumer_tag: str | None = None
    actor_tag: str | None = None
    action: str | None = None
    service: str | None = None
    before: tuple[datetime, str] | None = None
    limit: int = 50

    def days(self) -> tuple[date, date]:
        """The partitions (`date=`) that can hold a match, both ends inclusive."""
        newest = min(self.recorded_to, self.before[0]) if self.before else self.recorded_to
        return self.recorded_from.astimezone(UTC).date(), (newest + DELIVERY_MARGIN).astimezone(UTC).date()


@dataclass(frozen=True)
class AccessRow:
    """An access event as a search engine returns it: the columns presentation needs, and the canonical envelope."""

    event_id: str
    recorded_at: datetime
    action: str
    service: str
    event_hash: str
    envelope: str
