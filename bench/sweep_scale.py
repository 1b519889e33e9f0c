"""Sweep (moto, real adapters): index items read and AWS calls per open clock. The sweeper must read open clocks
only, never the table (200 open among 2,000 requests: a scan would read ten times what the index gives), and a
transition must read nothing more (100 open, 20 of them crossing a threshold). Items read are those the index reads
(and bills): returned with their request copies when due within the at-risk horizon, counted (Select=COUNT) when
due later."""

import os
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from bench.table import row

# The large table measures what a sweep reads; transitions are measured on a small table, because moto's
# TransactWriteItems deep-copies the whole table on every call (real DynamoDB does not).
SCENARIOS = ((2_000, 200, 0), (200, 100, 20))  # (requests, open clocks, clocks that cross a threshold)
TARGET = 1.05
NOW = datetime(2027, 3, 1, 20, 0, tzinfo=UTC)


def _records(requests: int, open_clocks: int, transitions: int):
    from shared.models.domain import Channel, ClockName, RequestStatus, RequestType
    from shared.models.records import ClockRecord, RequestRecord

    received = NOW - timedelta(days=5)
    for i in range(requests):
        is_open = i < open_clocks
        if not is_open:
            due = date(2027, 1, 4)
        elif i < transitions:
            due = date(2027, 3, 3)  # 2 business days left at NOW: at risk
        else:
            due = date(2027, 3, 10) + timedelta(days=i % 60)
        yield RequestRecord(
            request_id=f"bench-{i:06d}", type=RequestType.OPT_OUT_SALE_SHARING, channel=Channel.WEB_FORM,
            status=RequestStatus.RECEIVED if is_open else RequestStatus.HONORED, received_at=received,
            recorded_at=received, consumer_tag=f"{i:064x}",
            clocks={ClockName.HONOR_BY: ClockRecord(due=due, satisfied_at=None if is_open else received)},
            chain_seq=1, chain_head="0" * 64, intake_key="k", intake_version="v")


def run():
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true")
    for requests, open_clocks, transitions in SCENARIOS:
        lines, per_clock = _scenario(requests, open_clocks, transitions)
        yield from lines
        share = transitions / open_clocks
        if transitions:
            yield row(f"sweep items read per open clock, {share:.0%} transition ({open_clocks:,} open among "
                      f"{requests:,} requests)", f"{per_clock:.3f}", f"<= {TARGET}", per_clock <= TARGET)


def _scenario(requests: int, open_clocks: int, transitions: int) -> tuple[list[str], float]:
    """The lines of two sweeps at the same time, and the first one's index items read per open clock."""
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from ccpa_audit.local import emulator_fixes
    from ccpa_audit.local.resources import create_local_resources
    from shared import wiring
    from shared.adapters import index_items
    from shared.adapters.dynamo_ledger_index import _av
    from shared.services.sweep_deadlines import sweep_deadlines

    emulator_fixes.apply()  # moto as `make run` and the tests run it: a Query reads its partition, not the table
    with mock_aws():
        stack = create_local_resources(lambda service: boto3.client(service, region_name="us-east-1"))
        os.environ.update(stack.env)
        wiring.reset()
        # Straight into moto's table (the items BatchWriteItem would store), a few times faster than through it.
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(stack.env["INDEX_TABLE"])
        started = time.perf_counter()
        for record in _records(requests, open_clocks, transitions):
            for item in (index_items.request_item(record, 4), *index_items.clock_items(record, 4)):
                table.put_item(_av(item))
        loaded = time.perf_counter() - started

        lines = [f"sweep: {open_clocks:,} open clocks among {requests:,} requests ({2 * requests:,} index items, "
                 f"loaded in {loaded:.0f} s)"]
        first = 0.0
        for label in ("first sweep", "second sweep, same time"):
            calls: Counter[str] = Counter()
            items = Counter()

            def count(event_name, parsed, model, **_):
                service = event_name.split(".")[1]
                calls[service] += 1
                if model.name in ("Query", "Scan"):
                    items[model.name] += parsed.get("Count", 0)
                    items["returned"] += len(parsed.get("Items", ()))  # Select=COUNT: read and billed, not sent
                elif model.name == "GetItem":
                    items["GetItem"] += 1 if parsed.get("Item") else 0

            for service in ("dynamodb", "s3", "sns", "events", "kms"):
                wiring.aws_client(service).meta.events.register("after-call.*.*", count, unique_id="bench")
            start = time.perf_counter()
            result = sweep_deadlines(wiring.ledger(), wiring.alert_publisher(), NOW)
            took = time.perf_counter() - start
            for service in ("dynamodb", "s3", "sns", "events", "kms"):
                wiring.aws_client(service).meta.events.unregister("after-call.*.*", unique_id="bench")
            returned = items.pop("returned", 0)
            read = sum(items.values())
            per_transition = ""
            if result.alerts:
                per_transition = f"; {sum(calls.values()) / len(result.alerts):.1f} AWS calls per transition"
            first = first or read / result.open_clocks
            lines.append(f"  {label}: {result.open_clocks:,} open, {len(result.alerts):,} transitions, {took:.1f} s; "
                         f"items read {read:,} = {read / result.open_clocks:.3f} per open clock (target <= {TARGET}; "
                         f"returned {returned:,}, the rest counted; scan items {items['Scan']}); AWS calls {sum(calls.values()):,} = "
                         f"{sum(calls.values()) / result.open_clocks:.4f} per open clock {dict(calls)}{per_transition}")
        return lines, first
