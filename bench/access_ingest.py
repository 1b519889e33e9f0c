"""Access-event ingestion (issue 17): stubbed throughput of both halves of the path at 500-event batches (the API
handler putting rows on the stream, the stream consumer writing Parquet objects), the AWS calls per 1,000 events
under moto, and the accepted events/s of the whole local stack (HTTP front door, moto in server mode)."""

import contextlib
import io
import json
import os
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import count

from ccpa_audit.local.gateway import LambdaContext, http_api_event

BATCH = 500
STUB_EVENTS = 20_000
LOCAL_EVENTS = 10_000
CALL_EVENTS = 10_000
CLIENTS = 4
_ids = count()
_HEADERS = {"content-type": "application/json", "authorization": "Bearer local-service"}
_WRITES = {"PutRecords", "PutRecord", "PutObject", "PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"}


def _batch(size: int) -> bytes:
    when = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return json.dumps({"events": [{
        "event_id": f"bench-{next(_ids)}", "occurred_at": when,
        "actor": {"id": f"agent-{n % 20}", "type": "user", "role": "support"}, "action": "read",
        "source": {"service": "crm", "ip": "203.0.113.9"}, "consumer": {"email": f"c{n % 300}@example.com"},
        "data_categories": ["identifiers"], "purpose": "support", "resource": "crm/contacts",
    } for n in range(size)]}).encode()


def run() -> list[str]:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    return _stubbed() + _calls() + _local()


def _stubbed() -> list[str]:
    from functions.access_batcher import app as batcher
    from functions.intake import app
    from shared import wiring
    from shared.config import get_settings
    from shared.services.ledger_writer import Ledger
    from shared.adapters.kinesis_access_stream import KinesisAccessStream
    from tests.fakes import FakeEvidenceStore, FakeLedgerIndex, FakeTagger

    os.environ["AUTH_MODE"] = "local"
    wiring.reset()
    original = wiring.ledger, wiring.access_stream
    stub = Ledger(evidence=FakeEvidenceStore(), index=FakeLedgerIndex(), tagger=FakeTagger(), settings=get_settings())
    kinesis = _StubKinesis()
    stream = KinesisAccessStream("bench", kinesis)
    context = LambdaContext(function_name="intake", aws_request_id="bench")
    try:
        wiring.ledger = lambda: stub  # type: ignore[assignment]
        wiring.access_stream = lambda: stream  # type: ignore[assignment]
        events = [http_api_event("POST", "/access-events", _HEADERS, _batch(BATCH), "127.0.0.1")
                  for _ in range(STUB_EVENTS // BATCH + 1)]
        batcher_context = LambdaContext(function_name="access_batcher", aws_request_id="bench")
        with contextlib.redirect_stdout(io.StringIO()):  # EMF metrics lines
            # Warm containers: the first call builds the route's models, the first invocation loads pyarrow.
            assert app.lambda_handler(events.pop(), context)["statusCode"] == 202
            assert batcher.lambda_handler(_invocation(kinesis.records), batcher_context)["events"] == BATCH
            kinesis.records.clear()
            # CPU seconds of this process (threads included): events per busy core, whatever else runs on the box.
            start = time.process_time()
            for event in events:
                assert app.lambda_handler(event, context)["statusCode"] == 202
            api = time.process_time() - start
            invocations = [_invocation(kinesis.records[first:first + 5_000])  # a busy shard's invocations
                           for first in range(0, len(kinesis.records), 5_000)]
            start = time.process_time()
            for invocation in invocations:
                assert batcher.lambda_handler(invocation, batcher_context)["events"] == 5_000
            writer = time.process_time() - start
    finally:
        wiring.ledger, wiring.access_stream = original  # type: ignore[assignment]
        os.environ.pop("AUTH_MODE", None)
        wiring.reset()
    total = len(kinesis.records)
    both = total / (api + writer)
    return [
        f"access ingest, AWS stubbed, POST /access-events at {BATCH}-event batches: {total / api:,.0f} events per "
        f"CPU-second ({api * 1000 / len(events):.1f} CPU-ms per call, warm)",
        f"access ingest, AWS stubbed, stream consumer (its handler) building envelopes and writing Parquet "
        f"(5,000-event objects): "
        f"{total / writer:,.0f} events per CPU-second",
        f"access ingest per core, AWS stubbed, API + consumer: measured {both:,.0f} events/s, target >= 20,000 "
        f"(CPU time; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
    ]


def _invocation(records: list[bytes]) -> dict:
    """The stream consumer's event for these records, as the event source mapping delivers them."""
    from ccpa_audit.local.streams import kinesis_event

    arrived = datetime.now(UTC)
    return kinesis_event([{"Data": data, "PartitionKey": "k", "SequenceNumber": str(n),
                           "ApproximateArrivalTimestamp": arrived} for n, data in enumerate(records)],
                         "arn:aws:kinesis:us-east-1:000000000000:stream/bench", "shardId-000000000000")


class _StubKinesis:
    """PutRecords that takes everything: the records' bytes are what the consumer decodes."""

    def __init__(self) -> None:
        self.records: list[bytes] = []

    def put_records(self, StreamName: str, Records: list[dict]) -> dict:  # noqa: N803  boto3's names
        self.records += [record["Data"] for record in Records]
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "s"} for _ in Records]}


def _calls() -> list[str]:
    """Every AWS call of the ingest path for CALL_EVENTS events under moto, per 1,000 events."""
    import boto3
    from moto import mock_aws

    from ccpa_audit.local.control import scheduled_event
    from ccpa_audit.local.resources import create_local_resources
    from ccpa_audit.local.streams import StreamPoller
    from functions.access_batcher import app as batcher
    from functions.intake import app as intake
    from functions.seal import app as seal
    from shared import wiring

    saved = dict(os.environ)
    calls: dict[str, Counter] = {"ingest": Counter(), "seal": Counter(), "inspect": Counter()}
    phase = ["ingest"]

    def record(event_name: str, **_: object) -> None:
        calls[phase[0]][event_name.split(".", 2)[2]] += 1

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    with contextlib.ExitStack() as restore:
        restore.callback(lambda: (os.environ.clear(), os.environ.update(saved)))
        restore.enter_context(mock_aws())
        restore.enter_context(contextlib.redirect_stdout(io.StringIO()))
        stack = create_local_resources(lambda service: boto3.client(service, region_name="us-east-1"))
        os.environ.update({**stack.env, "AUTH_MODE": "local"})
        wiring.reset()
        try:
            for service in ("s3", "dynamodb", "kms", "kinesis"):
                wiring.aws_client(service).meta.events.register("before-call.*.*", record)
            context = LambdaContext(function_name="intake", aws_request_id="bench")
            for _ in range(CALL_EVENTS // BATCH):
                event = http_api_event("POST", "/access-events", _HEADERS, _batch(BATCH), "127.0.0.1")
                assert intake.lambda_handler(event, context)["statusCode"] == 202
            # One shard, as a busy shard of the real stream: its invocations hold up to 10,000 records.
            poller = StreamPoller(wiring.aws_client("kinesis"), stack.env["ACCESS_STREAM"], batcher.lambda_handler,
                                  window=0.0)
            poller._kinesis.meta.events.register("before-call.*.*", record)
            while poller.pump_once():
                pass
            phase[0] = "seal"
            seal.lambda_handler(scheduled_event(datetime.now(UTC), "bench"), LambdaContext("seal", "bench"))
            phase[0] = "inspect"  # reading back what the sealer wrote is not part of the path
            leaf_sizes = _leaf_item_sizes(wiring.aws_client("dynamodb"), stack.env["INDEX_TABLE"])
            paths_bytes = _paths_bytes(wiring.aws_client("s3"), stack.env["EVIDENCE_BUCKET"])
        finally:
            wiring.reset()
    per = 1_000 / CALL_EVENTS
    ingest_writes = sum(n for op, n in calls["ingest"].items() if op in _WRITES)
    seal_writes = sum(n for op, n in calls["seal"].items() if op in _WRITES)
    reads = {op: n for op, n in calls["ingest"].items() if op not in _WRITES}
    return [
        f"AWS writes per 1,000 access events, ingest path (API -> stream -> batch object): measured "
        f"{ingest_writes * per:.2f}, target <= 3 ({dict(sorted((op, n * per) for op, n in calls['ingest'].items() if op in _WRITES))})",
        f"AWS reads per 1,000 access events, ingest path (KMS tags per new consumer, stream reads): "
        f"{sum(reads.values()) * per:.2f} ({dict(sorted((op, round(n * per, 2)) for op, n in reads.items()))})",
        f"AWS writes per 1,000 access events, sealing (slim leaf items 25 per BatchWriteItem, paths objects, markers, "
        f"tiles, checkpoint): {seal_writes * per:.2f} "
        f"({dict(sorted((op, n * per) for op, n in calls['seal'].items() if op in _WRITES))})",
        f"sealer's per-event item (ALEAF#): {len(leaf_sizes):,} items, {min(leaf_sizes)}-{max(leaf_sizes)} bytes "
        f"with their keys (mean {sum(leaf_sizes) / len(leaf_sizes):.0f}; one write unit is 1,024), paths objects "
        f"{paths_bytes / len(leaf_sizes):.0f} bytes an event",
    ]


def item_size(item: dict) -> int:
    """An item's size as DynamoDB counts it: attribute names and values, a number taking a byte per two
    significant digits plus one (the 100 bytes of index overhead that storage bills are not in it)."""
    def value(typed: dict) -> int:
        kind, raw = next(iter(typed.items()))
        return {"S": lambda: len(raw.encode()), "B": lambda: len(raw),
                "N": lambda: (len(raw.lstrip("-").strip("0").replace(".", "")) + 1) // 2 + 1}[kind]()
    return sum(len(name.encode()) + value(typed) for name, typed in item.items())


def _leaf_item_sizes(db, table: str) -> list[int]:  # noqa: ANN001
    pages = db.get_paginator("scan").paginate(TableName=table, FilterExpression="begins_with(pk, :p)",
                                              ExpressionAttributeValues={":p": {"S": "ALEAF#"}})
    return [item_size(item) for page in pages for item in page["Items"]]


def _paths_bytes(s3, bucket: str) -> int:  # noqa: ANN001
    from shared.ledger.leaf_paths import PREFIX

    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX)
    return sum(entry["Size"] for page in pages for entry in page.get("Contents", []))


def _local() -> list[str]:
    from concurrent.futures import ThreadPoolExecutor

    from ccpa_audit.local.runtime import free_port, start

    port = free_port()
    with contextlib.redirect_stdout(io.StringIO()):
        runtime = start(port=port, sweep_every=3600, seal_every=3600, demo_systems=False)
    try:
        with contextlib.redirect_stdout(io.StringIO()), ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            # Warm: every container started and the 300 consumers' and 20 actors' tags known, as in steady use.
            list(pool.map(lambda body: _post(port, body), [_batch(BATCH) for _ in range(CLIENTS)]))
            bodies = [_batch(BATCH) for _ in range(LOCAL_EVENTS // BATCH)]
            start_time = time.perf_counter()
            list(pool.map(lambda body: _post(port, body), bodies))
            took = time.perf_counter() - start_time
    finally:
        runtime.stop()
    load = os.getloadavg()[0]  # the machine is shared: a busy box slows every process of the stack
    return [f"local stack accepted access events/s (HTTP, moto server, {BATCH}-event batches, {CLIENTS} clients, "
            f"warm): measured {LOCAL_EVENTS / took:,.0f}, target >= 2,000 (load average {load:.1f} on "
            f"{os.cpu_count()} cores)"]


def _post(port: int, body: bytes) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/access-events", data=body, method="POST",
                                     headers=_HEADERS)
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310  the local stack
        assert response.status == 202
