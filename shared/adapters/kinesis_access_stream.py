"""KinesisAccessStream: accepted access events as records of a Kinesis data stream, one record per event.

A record is the JSON of its batch row (shared/models/access_batch.py), partitioned by producer key so copies of
one event share a shard. PutRecords takes at most 500 records and 5 MiB per call, which an API batch (<= 500
events) fills once; records the stream refused (throttling) are put again, and a batch that still is not wholly
accepted raises StorageUnavailableError: the producer's retry stores nothing twice (the ids are fixed).
"""

import json
from collections.abc import Iterator, Sequence
from typing import Any

from shared.errors import StorageUnavailableError
from shared.models.access_batch import COLUMNS, AccessBatchRow
from shared.observability import tracer
from shared.timefmt import parse_rfc3339, rfc3339

MAX_RECORDS = 500
MAX_BYTES = 5 * 1024 * 1024
ATTEMPTS = 4
_TIMES = ("occurred_at", "recorded_at")


def record_data(row: AccessBatchRow) -> bytes:
    values = {name: getattr(row, name) for name in COLUMNS}
    values.update({name: rfc3339(values[name]) for name in _TIMES})
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def row_of(data: bytes) -> AccessBatchRow:
    values = json.loads(data)
    values.update({name: parse_rfc3339(values[name]) for name in _TIMES})
    return AccessBatchRow(**{name: values[name] for name in COLUMNS})


class KinesisAccessStream:
    def __init__(self, stream_name: str, client: Any) -> None:
        self._stream = stream_name
        self._kinesis = client
        self.calls = 0  # PutRecords calls made (bench/access_ingest.py counts writes)

    @tracer.capture_method(capture_response=False)
    def put(self, rows: Sequence[AccessBatchRow]) -> None:
        for chunk in _chunks([{"Data": record_data(row), "PartitionKey": row.producer_key} for row in rows]):
            self._put_all(chunk)

    def _put_all(self, records: list[dict[str, Any]]) -> None:
        for _ in range(ATTEMPTS):
            self.calls += 1
            response = self._kinesis.put_records(StreamName=self._stream, Records=records)
            if not response.get("FailedRecordCount"):
                return
            records = [record for record, result in zip(records, response["Records"], strict=True)
                       if "ErrorCode" in result]
        raise StorageUnavailableError(f"the access stream refused {len(records)} events; retry the batch")


def _chunks(records: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    size = 0
    for record in records:
        weight = len(record["Data"]) + len(record["PartitionKey"])
        if chunk and (len(chunk) == MAX_RECORDS or size + weight > MAX_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(record)
        size += weight
    if chunk:
        yield chunk
