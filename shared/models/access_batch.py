"""The access-event batch object (issue 17): one Parquet file of many access events in the evidence bucket.

Key: `access/batches/date=YYYY-MM-DD/<batch_id>.parquet`, the date being the UTC day the batch was received and
`batch_id` a UUIDv7. One row per event, rows sorted by (consumer_tag, recorded_at, event_id) in row groups of at
most ROW_GROUP_ROWS rows, so the min/max statistics of `consumer_tag` let an engine skip every row group but a
consumer's own ("clustering by consumer tag"). `envelope` holds the canonical ledger v1 bytes exactly as a
single-event object would; every other column is derived from it, for search. Personal data stays inside
`envelope` (the object is encrypted and locked): the other columns are HMAC tags, names of actions and services,
and times. The pyarrow schema below is the one both the writer and the readers (DuckDB, Athena's Glue table) use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from shared.models.moved import forwarding

PREFIX = "access/batches/"
ROW_GROUP_ROWS = 10_000
COMPRESSION = "zstd"

# (column, Parquet type, nullable): `time` is timestamp(ms, UTC).
_COLUMNS = (
    ("event_id", "string", False),
    ("producer_key", "string", False),
    ("consumer_tag", "string", False),
    ("actor_tag", "string", False),
    ("action", "string", False),
    ("service", "string", False),
    ("occurred_at", "time", False),
    ("recorded_at", "time", False),
    ("request_id", "string", True),
    ("event_hash", "string", False),
    ("envelope", "string", False),
)
COLUMNS = tuple(name for name, _, _ in _COLUMNS)
SORT_COLUMNS = ("consumer_tag", "recorded_at", "event_id")  # the row order of every batch and compacted object


@cache
def arrow_schema() -> Any:
    """The pyarrow schema (`SCHEMA`), built on first use: the API handler, which only makes rows, never loads
    pyarrow."""
    import pyarrow as pa

    kinds = {"string": pa.string(), "time": pa.timestamp("ms", tz="UTC")}
    return pa.schema([pa.field(name, kinds[kind], nullable=nullable) for name, kind, nullable in _COLUMNS])


def __getattr__(name: str) -> Any:
    if name == "SCHEMA":
        return arrow_schema()
    return _moved(name)


# The stream's records under their old names here.
_moved = forwarding(__name__, {"shared.models.access_stream": ("AcceptedAccess", "AccessRecord")})


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
