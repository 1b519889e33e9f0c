"""The batch object's Parquet form: the contract the search side reads (schema, order, row groups, statistics)."""

import io
from datetime import UTC, date, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from shared.ledger.parquet_batches import decode_batch, encode_batch
from shared.models.access_batch import SCHEMA, AccessBatchRow, batch_key

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def row(n: int, tag: str, request_id: str | None = None) -> AccessBatchRow:
    return AccessBatchRow(event_id=f"0190{n:028x}", producer_key=f"{n:064x}", consumer_tag=tag * 64,
                          actor_tag="a" * 64, action="read", service="crm", occurred_at=T0,
                          recorded_at=T0 + timedelta(milliseconds=n % 7), request_id=request_id,
                          event_hash=f"{n:064x}", envelope='{"event_id":"%d"}' % n)


def test_rows_come_back_sorted_by_consumer_then_time_then_id():
    rows = [row(n, "fedcba9876543210"[n % 16]) for n in range(200)]
    back = decode_batch(encode_batch(rows))
    assert back == sorted(rows, key=AccessBatchRow.sort_key)
    assert back[0].recorded_at.tzinfo is not None


def test_row_groups_are_bounded_and_carry_consumer_tag_statistics():
    rows = [row(n, "0123456789abcdef"[n * 16 // 25_000]) for n in range(25_000)]
    meta = pq.ParquetFile(io.BytesIO(encode_batch(rows))).metadata
    assert meta.num_row_groups == 3
    column = SCHEMA.names.index("consumer_tag")
    spans = [(meta.row_group(g).column(column).statistics.min, meta.row_group(g).column(column).statistics.max)
             for g in range(meta.num_row_groups)]
    assert spans == sorted(spans) and spans[0][0] == "0" * 64 and spans[-1][1] == "f" * 64
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_nullable_request_id_and_schema_are_kept():
    data = encode_batch([row(1, "a", request_id="r-1"), row(2, "b")])
    assert pq.read_schema(io.BytesIO(data)).equals(SCHEMA, check_metadata=False)
    assert [r.request_id for r in decode_batch(data)] == ["r-1", None]


def test_an_empty_batch_or_a_foreign_file_is_refused():
    with pytest.raises(ValueError):
        encode_batch([])
    other = io.BytesIO()
    import pyarrow as pa
    pq.write_table(pa.table({"x": [1]}), other)
    with pytest.raises(ValueError, match="schema differs"):
        decode_batch(other.getvalue())


def test_key_names_the_received_day():
    assert batch_key(date(2026, 11, 30), "0190-x") == "access/batches/date=2026-11-30/0190-x.parquet"
