"""A Kinesis event source mapping, locally: moto keeps a stream's records but invokes nothing, so this reads each
shard from its start and hands the records to the function as a Kinesis event, the way Lambda's poller does.

Like the mapping in template.yaml, a batch is at most `batch` records gathered for at most `window` seconds, and a
shard's position only moves past records the function handled: a failed invocation is retried with the same
records. The local window is a second rather than the template's minute, so the demo's events are sealed soon.

Read-your-writes, locally: before the local stack routes a request that reads access events (`reads_access_events`)
it drains the stream, delivering every pending record to the function and waiting. One lock serializes every
round, so no record is handed out twice; a drain cuts a waiting window short rather than queueing behind it. On AWS
there is no drain: an accepted event reaches search, exports and proofs within the mapping's batching window.
"""

import base64
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from ccpa_audit.local.lambda_context import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
# The routes whose answers depend on the batch objects: the search, exports (built from the engine), proofs.
_READS_ACCESS_EVENTS = re.compile(r"^(GET /access-events|(GET|POST) /exports(/.*)?|GET /events/[^/]+/proof)$")


def reads_access_events(method: str, path: str) -> bool:
    return _READS_ACCESS_EVENTS.match(f"{method} {path.rstrip('/') or '/'}") is not None


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
        self._round = threading.Lock()  # one round at a time: positions move only under it
        self._count = threading.Lock()
        self._drains_waiting = 0
        self._woken = threading.Event()

    def pump_once(self) -> int:
        """One round over the shards; returns how many records the function handled."""
        with self._round:
            return self._round_over_shards(self._window)

    def drain(self) -> int:
        """Deliver every record put before this call and wait until the function has handled them."""
        with self._count:
            self._drains_waiting += 1
        try:
            with self._round:
                handled = 0
                while delivered := self._round_over_shards(0.0):
                    handled += delivered
                return handled
        finally:
            with self._count:
                self._drains_waiting -= 1

    def wake(self) -> None:
        """New records were put: the background loop looks at once instead of after its pause."""
        self._woken.set()

    def idle(self, seconds: float) -> None:
        """The background loop's pause between empty rounds; `wake` ends it early."""
        self._woken.wait(seconds)
        self._woken.clear()

    def _round_over_shards(self, window: float) -> int:
        handled = 0
        for shard in self._kinesis.list_shards(StreamName=self._stream)["Shards"]:
            handled += self._pump_shard(shard["ShardId"], window)
        return handled

    def _pump_shard(self, shard_id: str, window: float) -> int:
        if shard_id not in self._positions:
            self._positions[shard_id] = self._kinesis.get_shard_iterator(
                StreamName=self._stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        iterator, records = self._positions[shard_id], []
        deadline = time.monotonic() + window
        while len(records) < self._batch:
            page = self._kinesis.get_records(ShardIterator=iterator, Limit=self._batch - len(records))
            records += page["Records"]
            iterator = page["NextShardIterator"]
            if not page["Records"] and (not records or time.monotonic() >= deadline or self._drains_waiting):
                break  # a waiting drain ends the window: its reader should not wait for more records to come
            if not page["Records"]:
                time.sleep(0.05)
        if records:
            self._handler(kinesis_event(records, self._arn, shard_id),
                          LambdaContext(function_name="access-batcher", aws_request_id="local"))
        self._positions[shard_id] = iterator  # only after the function succeeded
        return len(records)
