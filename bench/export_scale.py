"""Evidence export at two ledger sizes (moto, real adapters, the real sealer): time to build the bundle of one request
and of one consumer with 1,000 events, and the AWS calls each needs at 1,000 versus 100,000 total events.

The consumer's 1,000 events (20 requests of 5 events, 900 standalone events, real locked bodies) are spread evenly
through 14 months, and so are 200 more of their access events kept in batch objects (one object of 40 per period),
whose proofs the export finds through their slim leaf items, markers and paths objects. The rest of the ledger is other consumers' access events, stored as the access log stores them
(Parquet batch objects of about 1,000 events, locked in the evidence bucket), which the sealer appends whole
objects at a time: that is what makes a 100,000-leaf log cheap to build under moto. Both sizes are sealed the same
way, in RUNS sealer runs spread through the 14 months (each run seals the index's events, then the batch objects
recorded until then), so the exported events sit at the same number of checkpoints below the latest at either size
and only the size of the log differs. A consumer export also searches the access log for the consumer's batched
events: the local stack's engine (DuckDB) lists and downloads the batch objects for that, which on AWS is one Athena
query, so those calls are counted apart from the export's."""

import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

from bench.table import row

SIZES = tuple(int(n) for n in os.environ.get("EXPORT_BENCH_SIZES", "1000,100000").split(","))
CONSUMER_EVENTS = 1_000
CONSUMER_BATCHED = 200
CHAIN = 5
RUNS = 5
PER_OBJECT = 1_000
START = datetime(2025, 9, 1, 16, 0, tzinfo=UTC)
SPAN = timedelta(days=425)


def run() -> list:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true",
                      EXPORT_SYNC_MAX_EVENTS="1000000", SEAL_BATCH_SIZE="50000")
    # Each ledger in a process of its own, both at once: they share nothing, the figures are call counts, and on a
    # shared machine two processes get twice the CPU of one (the exports' milliseconds below are informative only).
    with ProcessPoolExecutor(max_workers=len(SIZES), mp_context=multiprocessing.get_context("spawn")) as pool:
        results = dict(zip(SIZES, pool.map(_scenario, SIZES), strict=True))
    lines = []
    for scope in ("one request", "one consumer"):
        small, large = results[SIZES[0]][scope], results[SIZES[-1]][scope]
        for size in SIZES:
            took, calls, events, search = results[size][scope]
            lines.append(f"export {scope} ({events:,} events) among {size:,}: {took * 1000:.0f} ms, "
                         f"{sum(calls.values())} AWS calls {dict(sorted(calls.items()))}"
                         + (f"; access-log search (local engine): {sum(search.values())} S3 calls "
                            f"{dict(sorted(search.items()))}" if search else ""))
        ratio = sum(large[1].values()) / sum(small[1].values())
        lines.append(f"  {scope}: AWS calls at {SIZES[-1]:,} / at {SIZES[0]:,} = {ratio:.3f} (target <= 1.05)")
        lines.append(row(f"export AWS calls, {SIZES[-1]:,} vs {SIZES[0]:,} events in the ledger ({scope})",
                         f"{ratio:.2f}x", "<= 1.05x", ratio <= 1.05))
    return lines


def _scenario(total: int) -> dict[str, tuple[float, Counter[str], int, Counter[str]]]:
    import boto3
    from moto import mock_aws

    from ccpa_audit.local import emulator_fixes
    from ccpa_audit.local.resources import create_local_resources
    from shared import wiring

    emulator_fixes.apply()  # moto as `make run` and the tests run it: a Query reads its partition, not the table
    with mock_aws(), tempfile.TemporaryDirectory() as cache:
        stack = create_local_resources(lambda service: boto3.client(service, region_name="us-east-1"))
        os.environ.update(stack.env)
        os.environ["ACCESS_CACHE_DIR"] = cache
        wiring.reset()
        started = time.perf_counter()
        request_id, email = _load(total)
        print(f"  export bench: {total:,} events loaded and sealed in {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
        return {"one request": _measure({"request_id": request_id}),
                "one consumer": _measure({"consumer_email": email})}


def _counted(clients: list, calls: Counter[str]) -> None:
    def count(event_name: str, **_: object) -> None:
        calls[event_name.split(".")[1]] += 1

    for client in clients:
        client.meta.events.register("before-call.*.*", count, unique_id=f"export-bench-{id(calls)}")


def _measure(scope: dict[str, str]) -> tuple[float, Counter[str], int, Counter[str]]:
    import boto3

    from shared import wiring
    from shared.adapters.duckdb_access_engine import DuckDbAccessEngine
    from shared.adapters.s3_access_batches import S3AccessBatches
    from shared.ledger.envelope import Actor
    from shared.models.export_api import ExportBody
    from shared.services.exports import resolve_scope, start_export

    calls: Counter[str] = Counter()
    search: Counter[str] = Counter()
    ledger, exports = wiring.ledger(), wiring.exports()
    # The product's local engine on a client of its own, so its reads of batch objects are counted apart.
    engine_s3 = boto3.client("s3", region_name="us-east-1")
    exports.access = DuckDbAccessEngine(S3AccessBatches(ledger.settings.evidence_bucket, engine_s3,
                                                        os.environ["ACCESS_CACHE_DIR"]))
    clients = [wiring.aws_client(s) for s in ("dynamodb", "s3", "kms", "sqs")] + [exports.bundles._s3]  # noqa: SLF001
    _counted(clients, calls)
    _counted([engine_s3], search)
    start = time.perf_counter()
    out, ready = start_export(ledger, exports, resolve_scope(ledger, ExportBody.model_validate(scope)),
                              Actor(type="staff", id="bench", role="auditor"))
    took = time.perf_counter() - start
    for client in clients:
        client.meta.events.unregister("before-call.*.*", unique_id=f"export-bench-{id(calls)}")
    assert ready and out.unsealed_count == 0, out
    return took, calls, out.event_count or 0, search


def _load(total: int) -> tuple[str, str]:
    """The consumer's events (index items and bodies) and the other consumers' batch objects, period by period,
    each period closed by sealer runs as the scheduled sealer would make them."""
    import boto3

    from shared import wiring
    from shared.adapters.dynamo_ledger_index import _av
    from shared.ledger.identity import email_subject
    from shared.services.access_batches import write_batch_object
    from shared.services.access_seal import seal_everything

    ledger = wiring.ledger()
    email = "long.lived@example.com"
    ours = _ConsumerHistory(ledger, ledger.tagger.tag(email_subject(email)), email)
    db = boto3.client("dynamodb", region_name="us-east-1")
    table = os.environ["INDEX_TABLE"]
    others = total - CONSUMER_EVENTS
    made = batched = 0
    for period in range(RUNS):
        end = START + SPAN * (period + 1) / RUNS
        items = [item for number in range(CONSUMER_EVENTS * period // RUNS, CONSUMER_EVENTS * (period + 1) // RUNS)
                 for item in ours.next(START + SPAN * number / CONSUMER_EVENTS)]
        for first in range(0, len(items), 25):
            db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _av(i)}} for i in items[first:first + 25]]})
        upto = others * (period + 1) // RUNS
        while made < upto:
            rows = [_other_row(ledger, number, START + SPAN * number / max(others, 1))
                    for number in range(made, min(made + PER_OBJECT, upto))]
            write_batch_object(ledger.evidence, ledger.settings, rows, rows[0].recorded_at)
            made += len(rows)
        rows = [_other_row(ledger, total + number, START + SPAN * number / CONSUMER_BATCHED, ours.tag)
                for number in range(batched, CONSUMER_BATCHED * (period + 1) // RUNS)]
        write_batch_object(ledger.evidence, ledger.settings, rows, rows[0].recorded_at)
        batched += len(rows)
        # One run seals the period (the index's events, then the batch objects); more only if a batch limit bit.
        while seal_everything(wiring.merkle_log(), wiring.access_batch_queue(end), end).tree_size < \
                CONSUMER_EVENTS * (period + 1) // RUNS + made + batched:
            pass
    return ours.first_request, email


def _other_row(ledger, number: int, moment: datetime, tag: str | None = None):  # noqa: ANN001, ANN202
    """An access event as a batch object holds it: another consumer's, or the consumer's of `tag`. Its envelope is a
    real ledger v1 envelope: the first one is built by build_envelope and the others, encoded straight by orjson,
    are checked against it."""
    import hashlib

    import orjson

    from shared.ledger.canonical import ROUND_TRIP
    from shared.ledger.ids import nonce_hex
    from shared.ledger.retention import retain_until
    from shared.models.access_batch import AccessBatchRow
    from shared.models.domain import EventType, RecordType
    from shared.services.access_batches import access_event_id
    from shared.timefmt import rfc3339

    producer_key = f"bench-{number:07d}"
    tag = tag or hashlib.sha256(f"consumer-{number // CHAIN}".encode()).hexdigest()
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    fields = {"event_id": access_event_id(producer_key), "type": EventType.DATA_ACCESS.value, "consumer_tag": tag,
              "record_type": RecordType.ACCESS_EVENT.value, "details": {"action": "read"}, "nonce": nonce_hex()}
    when = rfc3339(moment)
    envelope = orjson.dumps({
        **fields, "schema": "ccpa-audit/event/v1", "request_id": None, "seq": None, "prev_event_hash": None,
        "actor": {"type": "service", "id": "crm", "role": "service"}, "occurred_at": when, "recorded_at": when,
        "retain_until": rfc3339(retain_until(RecordType.ACCESS_EVENT, moment, ledger.settings))}, option=ROUND_TRIP)
    if number == 0:
        _check_envelope(ledger, fields, moment, envelope)
    return AccessBatchRow(event_id=fields["event_id"], producer_key=producer_key, consumer_tag=tag,
                          actor_tag=hashlib.sha256(b"crm").hexdigest(), action="read", service="crm",
                          occurred_at=moment, recorded_at=moment, request_id=None,
                          event_hash=hashlib.sha256(envelope).hexdigest(), envelope=envelope.decode("utf-8"))


def _check_envelope(ledger, fields: dict, moment: datetime, envelope: bytes) -> None:  # noqa: ANN001
    from shared.ledger.envelope import Actor, build_envelope
    from shared.ledger.retention import retain_until
    from shared.models.domain import RecordType

    built = build_envelope(actor=Actor(type="service", id="crm", role="service"), occurred_at=moment,
                           recorded_at=moment, retain_until=retain_until(RecordType.ACCESS_EVENT, moment,
                                                                         ledger.settings), **fields)
    if built.canonical() != envelope:
        raise AssertionError(f"the bench's access envelope is not the ledger's:\n{built.canonical()}\n{envelope}")


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
