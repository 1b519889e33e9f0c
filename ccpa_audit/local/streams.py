"""A Kinesis event source mapping, locally: moto keeps a stream's records but invokes nothing, so this reads each
shard from its start and hands the records to the function as a Kinesis event, the way Lambda's poller does.

Like the mapping in template.yaml, a batch is at most `batch` records gathered for at most `window` seconds, and a
shard's position only moves past records the function handled: a failed invocation is retried with the same
records. The local window is a second rather than the template's minute, so the demo's events are sealed soon.
"""

import base64
import time
from collections.abc import Callable
from typing import Any

from ccpa_audit.local.lambda_context import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]


def kinesis_event(records: list[dict[str, Any]], stream_arn: str, shard_id: str) -> dict[str, Any]:
    region = stream_arn.split(":")[3]
    return {"Records": [{
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["PartitionKey"],
                    "sequenceNumber": r["SequenceNumber"], "data": base64.b64encode(r["Data"]).decode(),
                    "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp()},
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"{shard_id}:{r['SequenceNumber']}",
        "eventName": "aws:kinesis:record", "invokeIdentityArn": "local", "awsRegion": region,
        "eventSourceARN": stream_arn,
    } for r in records]}


class StreamPoller:
    def __init__(self, kinesis: Any, stream: str, handler: Handler, batch: int = 10_000, window: float = 1.0) -> None:
        self._kinesis = kinesis
        self._stream = stream
        self._handler = handler
        self._batch = batch
        self._window = window
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        self._arn = summary["StreamARN"]
        self._positions: dict[str, str] = {}  # shard -> iterator at the first record not yet handled

    def pump_once(self) -> int:
        """One round over the shards; returns how many records the function handled."""
        handled = 0
        for shard in self._kinesis.list_shards(StreamName=self._stream)["Shards"]:
            handled += self._pump_shard(shard["ShardId"])
        return handled

    def _pump_shard(self, shard_id: str) -> int:
        if shard_id not in self._positions:
            self._positions[shard_id] = self._kinesis.get_shard_iterator(
                StreamName=self._stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        iterator, records = self._positions[shard_id], []
        deadline = time.monotonic() + self._window
        while len(records) < self._batch:
            page = self._kinesis.get_records(ShardIterator=iterator, Limit=self._batch - len(records))
            records += page["Records"]
            iterator = page["NextShardIterator"]
            if not page["Records"] and (not records or time.monotonic() >= deadline):
                break
            if not page["Records"]:
                time.sleep(0.05)
        if records:
            self._handler(kinesis_event(records, self._arn, shard_id),
                          LambdaContext(function_name="access-batcher", aws_request_id="local"))
        self._positions[shard_id] = iterator  # only after the function succeeded
        return len(records)
