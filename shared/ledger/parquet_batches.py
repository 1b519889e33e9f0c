"""Parquet bytes of access-event batch objects and their compacted copies (shared/models/access_batch.py,
access_compaction.py): the one writer and reader.

Pure: bytes in, bytes out. Where the bytes go (a create-only, COMPLIANCE-locked S3 write) is the evidence
store's business, so the stream consumer, the local stand-in and the tests all write through the same function.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shared.models import access_compaction
from shared.models.access_batch import (COLUMNS, COMPRESSION, ROW_GROUP_ROWS, SORT_COLUMNS, AccessBatchRow,
                                        arrow_schema)


def encode_batch(rows: Iterable[AccessBatchRow]) -> bytes:
    """The Parquet file of these rows (encode_columns)."""
    rows = list(rows)
    return encode_columns({name: [getattr(row, name) for row in rows] for name in COLUMNS})


def encode_columns(columns: dict[str, list[Any]]) -> bytes:
    """The Parquet file of these columns (COLUMNS, times as aware datetimes or epoch milliseconds), its rows sorted
    by (consumer_tag, recorded_at, event_id), zstd, bounded row groups."""
    table = pa.Table.from_pydict(columns, schema=arrow_schema())
    if not table.num_rows:
        raise ValueError("a batch object holds at least one event")
    return _encode(_in_order(table))


def _in_order(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table, sort_keys=[(name, "ascending") for name in SORT_COLUMNS]))


def _encode(table: pa.Table, row_group_rows: int | None = None) -> bytes:
    """The one writer of batch and compacted objects (rows already in order)."""
    sink = pa.BufferOutputStream()
    # Statistics are what lets an engine skip row groups by consumer tag; the writer keeps them on by default,
    # but the search side depends on them, so they are asked for by name.
    pq.write_table(table, sink, compression=COMPRESSION, row_group_size=row_group_rows or ROW_GROUP_ROWS,
                   write_statistics=True,
                   use_dictionary=["action", "service", "actor_tag"])
    return sink.getvalue().to_pybytes()


def decode_batch(data: bytes) -> list[AccessBatchRow]:
    """Every row of a batch object, in stored order; a file of another schema is refused (ValueError)."""
    table = _checked(pq.read_table(pa.BufferReader(data)))
    columns = {name: table.column(name).to_pylist() for name in COLUMNS}
    return [AccessBatchRow(**{name: _utc(columns[name][i]) for name in COLUMNS}) for i in range(table.num_rows)]


def rows_by_event_id(data: bytes) -> dict[str, AccessBatchRow]:
    """A batch object's rows by event id, the first copy in stored order of an event it holds twice (the copy the
    sealer appends and every reader of the sealed event takes)."""
    return {row.event_id: row for row in reversed(decode_batch(data))}


def _utc(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


# ---- compaction (shared/models/access_compaction.py): one day's batch objects rewritten by consumer tag


def row_count(data: bytes) -> int:
    """Rows of a batch object, from its footer."""
    return int(pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows)


def read_tag_range(data: bytes, low: str | None, high: str | None) -> pa.Table:
    """The rows of a batch object whose consumer tag is in [low, high) (None: unbounded)."""
    table = _checked(pq.read_table(pa.BufferReader(data)))
    mask = None
    if low is not None:
        mask = pc.greater_equal(table["consumer_tag"], low)
    if high is not None:
        below = pc.less(table["consumer_tag"], high)
        mask = below if mask is None else pc.and_(mask, below)
    return table if mask is None else table.filter(mask)


def compact_tables(tables: list[pa.Table]) -> bytes | None:
    """One object of these rows, each event once (its earliest copy by (recorded_at, event_hash), the copy search
    shows), sorted and grouped as a batch object; None when there are no rows."""
    table = pa.concat_tables(tables) if tables else None
    if table is None or table.num_rows == 0:
        return None
    table = table.take(pc.sort_indices(table, sort_keys=[("event_id", "ascending"), ("recorded_at", "ascending"),
                                                         ("event_hash", "ascending")]))
    ids = table["event_id"].combine_chunks()
    first = pa.concat_arrays([pa.array([True]), pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))])
    table = table.filter(first)
    return _encode(_in_order(table), access_compaction.ROW_GROUP_ROWS)


def table_digests(table: pa.Table) -> list[tuple[str, str]]:
    """(event_id, event_hash) of every row."""
    return list(zip(table["event_id"].to_pylist(), table["event_hash"].to_pylist(), strict=True))


def event_digests(data: bytes) -> list[tuple[str, str]]:
    """(event_id, event_hash) of every row of a batch or compacted object, reading those two columns only."""
    table = pq.read_table(pa.BufferReader(data), columns=["event_id", "event_hash"])
    return table_digests(table)


def _checked(table: pa.Table) -> pa.Table:
    if not table.schema.equals(arrow_schema(), check_metadata=False):
        raise ValueError("not an access-event batch object: its schema differs from shared/models/access_batch.py")
    return table
