"""Evidence export at two ledger sizes (moto, real adapters, the real sealer): time to build the bundle of one request
and of one consumer with 1,000 events, and the AWS calls each needs at 1,000 versus 100,000 total events.

The consumer's 1,000 events (20 requests of 5 events, 900 standalone events) are spread evenly through 14 months
of other consumers' requests, as a long-lived customer's would be. Other consumers' events are index items and
Merkle leaves only: an export never reads their bodies, so the bench does not write them."""

import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench.table import row

SIZES = tuple(int(n) for n in os.environ.get("EXPORT_BENCH_SIZES", "1000,100000").split(","))
CONSUMER_EVENTS = 1_000
CHAIN = 5
START = datetime(2025, 9, 1, 16, 0, tzinfo=UTC)
SPAN = timedelta(days=425)


def run() -> list:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true",
                      EXPORT_SYNC_MAX_EVENTS="1000000", SEAL_BATCH_SIZE="50000")
    results = {size: _scenario(size) for size in SIZES}
    lines = []
    for scope in ("one request", "one consumer"):
        small, large = results[SIZES[0]][scope], results[SIZES[-1]][scope]
        for size in SIZES:
            took, calls, events = results[size][scope]
            lines.append(f"export {scope} ({events:,} events) among {size:,}: {took * 1000:.0f} ms, "
                         f"{sum(calls.values())} AWS calls {dict(sorted(calls.items()))}")
        ratio = sum(large[1].values()) / sum(small[1].values())
        lines.append(f"  {scope}: AWS calls at {SIZES[-1]:,} / at {SIZES[0]:,} = {ratio:.3f} (target <= 1.05)")
        lines.append(row(f"export AWS calls, {SIZES[-1]:,} vs {SIZES[0]:,} events in the ledger ({scope})",
                         f"{ratio:.2f}x", "<= 1.05x", ratio <= 1.05))
    return lines


def _scenario(total: int) -> dict[str, tuple[float, Counter[str], int]]:
    import boto3
    from moto import mock_aws

    from ccpa_audit.local.resources import create_local_resources
    from shared import wiring

    with mock_aws():
        stack = create_local_resources(lambda service: boto3.client(service, region_name="us-east-1"))
        os.environ.update(stack.env)
        wiring.reset()
        started = time.perf_counter()
        request_id, email = _load(total)
        print(f"  export bench: {total:,} events loaded and sealed in {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
        return {"one request": _measure({"request_id": request_id}),
                "one consumer": _measure({"consumer_email": email})}


def _measure(scope: dict[str, str]) -> tuple[float, Counter[str], int]:
    from shared import wiring
    from shared.ledger.envelope import Actor
    from shared.models.export_api import ExportBody
    from shared.services.exports import resolve_scope, start_export

    calls: Counter[str] = Counter()

    def count(event_name: str, **_: object) -> None:
        calls[event_name.split(".")[1]] += 1

    ledger, exports = wiring.ledger(), wiring.exports()
    clients = [wiring.aws_client(s) for s in ("dynamodb", "s3", "kms", "sqs")] + [exports.bundles._s3]  # noqa: SLF001
    for client in clients:
        client.meta.events.register("before-call.*.*", count, unique_id="export-bench")
    start = time.perf_counter()
    out, ready = start_export(ledger, exports, resolve_scope(ledger, ExportBody.model_validate(scope)),
                              Actor(type="staff", id="bench", role="auditor"))
    took = time.perf_counter() - start
    for client in clients:
        client.meta.events.unregister("before-call.*.*", unique_id="export-bench")
    assert ready and out.unsealed_count == 0, out
    return took, calls, out.event_count or 0


def _load(total: int) -> tuple[str, str]:
    """Index items for `total` events in recorded order, bodies for the consumer's, then the real sealer."""
    import boto3

    from shared import wiring
    from shared.adapters.dynamo_ledger_index import _av
    from shared.ledger.identity import email_subject
    from shared.services.seal_log import seal_log

    ledger = wiring.ledger()
    email = "long.lived@example.com"
    tag = ledger.tagger.tag(email_subject(email))
    db = boto3.client("dynamodb", region_name="us-east-1")
    table = os.environ["INDEX_TABLE"]
    pending: list[dict] = []

    def put(item: dict) -> None:
        pending.append(item)
        if len(pending) == 25:
            flush()

    def flush() -> None:
        if pending:
            db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _av(i)}} for i in pending]})
            pending.clear()

    step = SPAN / total
    every = total // CONSUMER_EVENTS
    ours = _ConsumerHistory(ledger, tag, email)
    filler = _Filler()
    for number in range(total):
        moment = START + step * number
        if number % every == 0 and ours.remaining:
            items = ours.next(moment)
        else:
            items = filler.next(moment)
        for item in items:
            put(item)
    flush()
    while seal_log(wiring.merkle_log(), START + SPAN).sealed:
        pass
    return ours.first_request, email


class _ConsumerHistory:
    """20 requests of 5 events, then 900 standalone events, with real locked bodies."""

    def __init__(self, ledger, tag: str, email: str) -> None:  # noqa: ANN001
        self.ledger, self.tag, self.email = ledger, tag, email
        self.remaining = CONSUMER_EVENTS
        self.chains: list[tuple[str, int, str | None]] = []
        self.first_request = ""

    def next(self, moment: datetime) -> list[dict]:
        from shared.ledger.envelope import Actor, build_envelope
        from shared.ledger.ids import uuid7
        from shared.services.ledger_writer import request_event_key, standalone_event_key, store_envelope

        done = CONSUMER_EVENTS - self.remaining
        self.remaining -= 1
        requests = 20
        actor = Actor(type="system", id="bench")
        common = {"actor": actor, "occurred_at": moment, "recorded_at": moment, "consumer_tag": self.tag,
                  "record_type": "consumer_request", "retain_until": moment + timedelta(days=730)}
        if done < requests * CHAIN:
            slot, seq = done % requests, done // requests + 1
            if seq == 1:
                self.chains.append((uuid7(), 0, None))
            request_id, _, head = self.chains[slot]
            details = {"submission": {"consumer": {"email": self.email}}} if seq == 1 else {"step": seq}
            envelope = build_envelope(event_id=uuid7(), type="request_received" if seq == 1 else "instruction_sent",
                                      details=details, request_id=request_id, seq=seq, prev_event_hash=head, **common)
            self.chains[slot] = (request_id, seq, envelope.hash())
            self.first_request = self.first_request or request_id
            stored = store_envelope(self.ledger, envelope, request_event_key(request_id, seq))
            return [index_event(stored), request_meta(request_id, stored, self.tag, seq=seq)]
        envelope = build_envelope(event_id=uuid7(), type="data_access", details={"action": "read"}, **common)
        return [index_event(store_envelope(self.ledger, envelope, standalone_event_key(envelope)))]


class _Filler:
    """Other consumers' delete requests (chains of 5): index items only."""

    def __init__(self) -> None:
        self.count = 0

    def next(self, moment: datetime) -> list[dict]:
        import hashlib

        from shared.models.records import StoredEvent

        number = self.count
        self.count += 1
        request_id = f"filler-{number // CHAIN:07d}"
        seq = number % CHAIN + 1
        tag = hashlib.sha256(f"consumer-{number // CHAIN}".encode()).hexdigest()
        stored = StoredEvent(event_id=f"filler-event-{number:07d}", type="request_received" if seq == 1 else
                             "instruction_sent", request_id=request_id, seq=seq,
                             event_hash=hashlib.sha256(str(number).encode()).hexdigest(), prev_event_hash=None,
                             consumer_tag=tag, occurred_at=moment, recorded_at=moment,
                             record_type="consumer_request", actor_type="system", actor_role=None,
                             s3_key=f"events/requests/{request_id}/{seq:08d}.json", s3_version_id="not-written")
        items = [index_event(stored)]
        if seq == 1:
            items.append(request_meta(request_id, stored, tag))
        return items


def index_event(stored) -> dict:  # noqa: ANN001
    from shared.adapters import index_items

    return index_items.event_item(stored, 4)


def request_meta(request_id: str, stored, tag: str, seq: int = 1) -> dict:  # noqa: ANN001
    from shared.adapters import index_items
    from shared.models.domain import Channel, RequestStatus, RequestType
    from shared.models.records import RequestRecord

    record = RequestRecord(request_id=request_id, type=RequestType.DELETE, channel=Channel.WEB_FORM,
                           status=RequestStatus.RECEIVED, received_at=stored.recorded_at,
                           recorded_at=stored.recorded_at, consumer_tag=tag, clocks={}, chain_seq=seq,
                           chain_head=stored.event_hash, intake_key=f"events/requests/{request_id}/00000001.json",
                           intake_version="v")
    return index_items.request_item(record, 4)
