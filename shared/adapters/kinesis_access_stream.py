"""KinesisAccessStream: accepted access events as records of a Kinesis data stream, one record per event.

A record is the JSON of an accepted event (shared/models/access_stream.py `AcceptedAccess`), partitioned by
producer key so copies of one event share a shard. PutRecords takes at most 500 records and 5 MiB per call, which an API batch (<= 500
events) fills once; records the stream refused (throttling) are put again, and a batch that still is not wholly
accepted raises StorageUnavailableError: the producer's retry stores nothing twice (the ids are fixed).
"""

import json
from binascii import a2b_base64
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from shared.errors import StorageUnavailableError
from shared.ledger.envelope import Actor
from shared.models.access_stream import AcceptedAccess, AccessRecord
from shared.models.access_events import AccessEventIn
from shared.observability import tracer
from shared.timefmt import parse_rfc3339, rfc3339

MAX_RECORDS = 500
MAX_BYTES = 5 * 1024 * 1024
ATTEMPTS = 4


def record_data(accepted: AcceptedAccess) -> bytes:
    return records_data([accepted])[0]


def records_data(events: Sequence[AcceptedAccess]) -> list[bytes]:
    """Each event's record: the event as pydantic's core writes it, its tags and key, then the producer and the
    receipt time, written once for the run of events that share them (a batch shares them)."""
    event_json = AccessEventIn.__pydantic_serializer__.to_json  # the model's own, without TypeAdapter's wrapper
    producer, received_at, tail = None, None, b""
    out = []
    for accepted in events:
        if accepted.producer is not producer or accepted.received_at != received_at:
            producer, received_at = accepted.producer, accepted.received_at
            tail = orjson.dumps({"producer": producer.model_dump(), "received_at": rfc3339(received_at)})[1:]
        keys = orjson.dumps({"consumer_tag": accepted.consumer_tag, "actor_tag": accepted.actor_tag,
                             "producer_key": accepted.producer_key, "nonce": accepted.nonce,
                             **({"event_id": accepted.event_id} if accepted.event_id else {})})
        out.append(b"".join((b'{"event":', event_json(accepted.event, exclude_none=True), b",", keys[1:-1],
                             b",", tail)))
    return out


def access_records(event_records: list[dict[str, Any]]) -> list[AccessRecord]:
    """The records of a Kinesis event (the Lambda event's `Records`) as the batcher reads them: decoded and parsed,
    not validated again (shared/models/access_stream.py AccessRecord). No object per record: an invocation holds
    up to 10,000."""
    return [orjson.loads(a2b_base64(record["kinesis"]["data"])) for record in event_records]


def accepted_of(data: bytes) -> AcceptedAccess:
    """A record as the model it was written from, validated (tests and tools)."""
    values = json.loads(data)
    return AcceptedAccess(event=AccessEventIn.model_validate(values["event"]),
                          producer=Actor.model_validate(values["producer"]), consumer_tag=values["consumer_tag"],
                          actor_tag=values["actor_tag"], producer_key=values["producer_key"],
                          received_at=parse_rfc3339(values["received_at"]),
                          **({"nonce": values["nonce"]} if "nonce" in values else {}),  # older records: a fresh one
                          event_id=values.get("event_id"))


class KinesisAccessStream:
    def __init__(self, stream_name: str, client: Any) -> None:
        self._stream = stream_name
        self._kinesis = client
        self.calls = 0  # PutRecords calls made (bench/access_ingest.py counts writes)

    @tracer.capture_method(capture_response=False)
    def put(self, events: Sequence[AcceptedAccess]) -> None:
        records = [{"Data": data, "PartitionKey": e.producer_key} for data, e in zip(records_data(events), events,
                                                                                        strict=True)]
        for chunk in _chunks(records):
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
