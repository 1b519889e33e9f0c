"""Parquet bytes of an access-event batch object (shared/models/access_batch.py): the one writer and reader.

Pure: bytes in, bytes out. Where the bytes go (a create-only, COMPLIANCE-locked S3 write) is the evidence
store's business, so the stream consumer, the local stand-in and the tests all write through the same function.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from shared.models.access_batch import COLUMNS, COMPRESSION, ROW_GROUP_ROWS, AccessBatchRow, arrow_schema


def encode_batch(rows: Iterable[AccessBatchRow]) -> bytes:
    """The Parquet file of these rows, sorted by (consumer_tag, recorded_at, event_id), zstd, bounded row groups."""
    ordered = sorted(rows, key=AccessBatchRow.sort_key)
    if not ordered:
        raise ValueError("a batch object holds at least one event")
    table = pa.Table.from_pydict({name: [getattr(row, name) for row in ordered] for name in COLUMNS}, schema=arrow_schema())
    sink = pa.BufferOutputStream()
    # Statistics are what lets an engine skip row groups by consumer tag; the writer keeps them on by default,
    # but the search side depends on them, so they are asked for by name.
    pq.write_table(table, sink, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS, write_statistics=True,
                   use_dictionary=["action", "service", "actor_tag"])
    return sink.getvalue().to_pybytes()


def decode_batch(data: bytes) -> list[AccessBatchRow]:
    """Every row of a batch object, in stored order; a file of another schema is refused (ValueError)."""
    table = pq.read_table(pa.BufferReader(data))
    if not table.schema.equals(arrow_schema(), check_metadata=False):
        raise ValueError("not an access-event batch object: its schema differs from shared/models/access_batch.py")
    columns = {name: table.column(name).to_pylist() for name in COLUMNS}
    return [AccessBatchRow(**{name: _utc(columns[name][i]) for name in COLUMNS}) for i in range(table.num_rows)]


def _utc(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value
