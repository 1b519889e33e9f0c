"""The access-event batch object (issue 17): one Parquet file of many access events in the evidence bucket.

Key: `access/batches/date=YYYY-MM-DD/<batch_id>.parquet`, the date being the UTC day the batch was received and
`batch_id` a UUIDv7. One row per event, rows sorted by (consumer_tag, recorded_at, event_id) in row groups of at
most ROW_GROUP_ROWS rows, so the min/max statistics of `consumer_tag` let an engine skip every row group but a
consumer's own ("clustering by consumer tag"). `envelope` holds the canonical ledger v1 bytes exactly as a
single-event object would; every other column is derived from it, for search. Personal data stays inside
`envelope` (the object is encrypted and locked): the other columns are HMAC tags, names of actions and services,
and times. The pyarrow schema below is the one both the writer and the readers (DuckDB, Athena's Glue table) use.
"""

from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

PREFIX = "access/batches/"
ROW_GROUP_ROWS = 10_000
COMPRESSION = "zstd"

_TIME = pa.timestamp("ms", tz="UTC")

SCHEMA = pa.schema([
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("producer_key", pa.string(), nullable=False),
    pa.field("consumer_tag", pa.string(), nullable=False),
    pa.field("actor_tag", pa.string(), nullable=False),
    pa.field("action", pa.string(), nullable=False),
    pa.field("service", pa.string(), nullable=False),
    pa.field("occurred_at", _TIME, nullable=False),
    pa.field("recorded_at", _TIME, nullable=False),
    pa.field("request_id", pa.string(), nullable=True),
    pa.field("event_hash", pa.string(), nullable=False),
    pa.field("envelope", pa.string(), nullable=False),
])

COLUMNS = tuple(SCHEMA.names)


@dataclass(frozen=True)
class AccessBatchRow:
    """One access event as a batch object holds it (times are timezone-aware UTC, millisecond precision)."""

    event_id: str
    producer_key: str
    consumer_tag: str
    actor_tag: str
    action: str
    service: str
    occurred_at: datetime
    recorded_at: datetime
    request_id: str | None
    event_hash: str
    envelope: str

    def sort_key(self) -> tuple[str, datetime, str]:
        return self.consumer_tag, self.recorded_at, self.event_id


def batch_key(received: date, batch_id: str) -> str:
    return f"{PREFIX}date={received.isoformat()}/{batch_id}.parquet"


def is_batch_key(key: str) -> bool:
    return key.startswith(PREFIX) and key.endswith(".parquet")
