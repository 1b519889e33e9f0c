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

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypedDict

from shared.ledger.ids import nonce_hex

if TYPE_CHECKING:  # the sealer reads batch objects and never loads the access API's input models
    from shared.ledger.envelope import Actor
    from shared.models.access_events import AccessEventIn

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
    raise AttributeError(name)


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


@dataclass(frozen=True)
class AcceptedAccess:
    """An accepted event as it waits on the access stream: the validated input, who sent it, its tags and producer
    key, and when it was received. Its envelope and row are built by the stream's consumer, off the producer's
    request (shared/services/access_batches.py)."""

    event: AccessEventIn
    producer: Actor
    consumer_tag: str
    actor_tag: str
    producer_key: str
    received_at: datetime
    # Drawn at acceptance and carried on the stream, so a redelivered record builds the very same envelope (the
    # same hash in every copy) while the hash stays unguessable from the event's known content.
    nonce: str = field(default_factory=nonce_hex)
    # The ledger event id the API answered with (access_event_id of the key), carried so the consumer need not
    # derive it again; None leaves it to the consumer.
    event_id: str | None = None


class AccessRecord(TypedDict, total=False):
    """An accepted event as its stream record carries it (the JSON of AcceptedAccess): `event` is the validated
    AccessEventIn's JSON (None fields left out), `producer` the Actor's, `received_at` RFC 3339. Only the API and the
    CloudTrail function, which validate every event, may put records on the stream (template.yaml), so the batcher
    reads records as they are. Records from before nonces (or event ids) were carried have none."""

    event: dict[str, Any]
    producer: dict[str, Any]
    consumer_tag: str
    actor_tag: str
    producer_key: str
    received_at: str
    nonce: str
    event_id: str


def batch_key(received: date, batch_id: str) -> str:
    return f"{PREFIX}date={received.isoformat()}/{batch_id}.parquet"


def is_batch_key(key: str) -> bool:
    return key.startswith(PREFIX) and key.endswith(".parquet")
