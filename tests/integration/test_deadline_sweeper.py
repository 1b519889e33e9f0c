import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from ccpa_audit.local.control import scheduled_event
from ccpa_audit.local.gateway import LambdaContext
from shared import wiring
from tests.integration.conftest import alert_listeners


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture
def listeners(stack):
    """A queue subscribed to the alerts topic ("sns-alerts") and one behind an EventBridge rule ("bus-alerts")."""
    drain = alert_listeners(stack, "ccpa-clock", {"source": ["ccpa-audit"]})
    return lambda name: drain(name.removesuffix("-alerts"))


def sweep(moment):
    from functions.deadline_sweeper import app

    return app.lambda_handler(scheduled_event(moment, "test"), LambdaContext("deadline_sweeper", "t"))


def test_sweep_records_alerts_and_announces_each_transition_once_when_clocks_slip(intake, listeners, aws_calls):
    received = datetime.now(UTC) - timedelta(days=40)
    payload = {"type": "delete", "channel": "email", "received_at": iso(received),
               "consumer": {"email": "ana@example.com"}}
    late = intake("POST", "/requests", payload, token="local-agent")[1]["request_id"]
    intake("POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                 "consumer": {"email": "bo@example.com"}})
    now = datetime.now(UTC)

    result = sweep(now)
    assert result["open_clocks"] == 3
    assert sorted((a["clock"], a["level"]) for a in result["alerts"]) == [("acknowledge_by", "overdue"),
                                                                          ("respond_by", "at_risk")]
    record = intake("GET", f"/requests/{late}", token="local-analyst")[1]
    assert sorted(e["type"] for e in record["timeline"][1:]) == ["clock_at_risk", "clock_overdue"]
    assert record["timeline"][-1]["actor"] == {"type": "system", "id": "deadline_sweeper"}

    sns = listeners("sns-alerts")
    bus = listeners("bus-alerts")
    assert sorted(m["level"] for m in sns) == ["at_risk", "overdue"]
    assert sorted(e["detail-type"] for e in bus) == ["ccpa.clock.at_risk", "ccpa.clock.overdue"]
    detail = next(e["detail"] for e in bus if e["detail-type"] == "ccpa.clock.at_risk")
    assert detail["request_id"] == late and detail["clock"] == "respond_by" and "days_left" in detail
    assert "ana@example.com" not in json.dumps(sns + bus)

    again = sweep(now)  # the same schedule tick delivered twice
    assert again["alerts"] == [] and listeners("sns-alerts") == [] and listeners("bus-alerts") == []
    record = intake("GET", f"/requests/{late}", token="local-analyst")[1]
    assert len(record["timeline"]) == 3
    assert "Scan" not in aws_calls.ops("dynamodb")


def test_sweep_reads_only_open_clocks_when_most_requests_are_closed(intake, aws_calls):
    for _ in range(6):
        rid = intake("POST", "/requests", {"type": "know", "channel": "web_form",
                                           "consumer": {"email": "c@example.com"}})[1]["request_id"]
        intake("POST", f"/requests/{rid}/actions", {"action": "respond", "sent_at": iso(datetime.now(UTC)),
                                                    "method": "email", "summary": "Sent."}, token="local-analyst")
    intake("POST", "/requests", {"type": "limit_sensitive_pi", "channel": "web_form",
                                 "consumer": {"email": "d@example.com"}})
    read = []
    wiring.aws_client("dynamodb").meta.events.register(
        "after-call.dynamodb.*", lambda http_response, parsed, model, **kw: read.append(
            (model.name, parsed.get("Count", 1 if "Item" in parsed else 0))))
    result = sweep(datetime.now(UTC))
    assert result["open_clocks"] == 1
    assert sum(count for _, count in read) == 1  # one open clock, one item read
    assert {name for name, _ in read} == {"Query"}


def test_alert_is_delivered_exactly_once_more_by_the_next_sweep_when_a_crash_followed_the_commit(intake, listeners,
                                                                                                   stack):
    received = datetime.now(UTC) - timedelta(days=40)
    payload = {"type": "delete", "channel": "email", "received_at": iso(received),
               "consumer": {"email": "ana@example.com"}}
    rid = intake("POST", "/requests", payload, token="local-agent")[1]["request_id"]
    now = datetime.now(UTC)

    class Crash(BaseException):
        """The function dies right after the ledger commit, before any alert leaves."""

    def crash(**kwargs):
        raise Crash()

    sns = wiring.aws_client("sns")
    sns.meta.events.register("before-call.sns.Publish", crash, unique_id="crash")
    with pytest.raises(Crash):
        sweep(now)
    sns.meta.events.unregister("before-call.sns.Publish", unique_id="crash")
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert sorted(e["type"] for e in record["timeline"][1:]) == ["clock_at_risk", "clock_overdue"]  # committed
    assert listeners("sns-alerts") == [] and listeners("bus-alerts") == []  # nothing left

    result = sweep(now + timedelta(minutes=15))

    assert result["alerts"] == []  # no transition recorded twice
    sent, bus = listeners("sns-alerts"), listeners("bus-alerts")
    assert sorted((m["clock"], m["level"]) for m in sent) == [("acknowledge_by", "overdue"), ("respond_by", "at_risk")]
    assert sorted(e["detail"]["alert_id"] for e in bus) == sorted(m["alert_id"] for m in sent)
    assert len({m["alert_id"] for m in sent}) == 2
    sweep(now + timedelta(minutes=30))
    assert listeners("sns-alerts") == [] and listeners("bus-alerts") == []  # exactly once more, not again


def test_sns_alert_carries_its_alert_id_as_a_message_attribute(intake, stack):
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="test-envelopes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name="us-east-1").subscribe(TopicArn=stack.env["ALERTS_TOPIC_ARN"], Protocol="sqs",
                                                          Endpoint=arn)
    received = datetime.now(UTC) - timedelta(days=40)
    intake("POST", "/requests", {"type": "know", "channel": "email", "received_at": iso(received),
                                 "consumer": {"email": "ana@example.com"}}, token="local-agent")
    sweep(datetime.now(UTC))
    envelopes = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert envelopes and all(e["MessageAttributes"]["alert_id"]["Value"] == json.loads(e["Message"])["alert_id"]
                             for e in envelopes)


def test_sweep_reads_request_copies_only_within_the_at_risk_horizon_and_counts_every_other_open_clock(intake):
    received = datetime.now(UTC) - timedelta(days=40)
    for n in range(3):  # acknowledge_by overdue, respond_by at risk: both within the horizon
        intake("POST", "/requests", {"type": "delete", "channel": "email", "received_at": iso(received),
                                     "consumer": {"email": f"late{n}@example.com"}}, token="local-agent")
    for n in range(4):  # honor_by 15 business days away: on time
        intake("POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                     "consumer": {"email": f"new{n}@example.com"}})
    queries = []
    wiring.aws_client("dynamodb").meta.events.register(  # a Select=COUNT answer has a Count and no Items
        "after-call.dynamodb.Query", lambda parsed, **kw: queries.append(
            ("Items" in parsed, parsed["Count"], [i for i in parsed.get("Items", []) if "request" in i])))

    result = sweep(datetime.now(UTC))

    assert result["open_clocks"] == 10 and len(result["alerts"]) == 6
    assert sum(count for returned, count, _ in queries if not returned) == 4  # counted, none returned
    copies = [item for returned, _, found in queries if returned for item in found]
    assert len(copies) == 6 and {item["clock"]["S"] for item in copies} == {"acknowledge_by", "respond_by"}


def test_open_clocks_stream_a_page_at_a_time_and_count_past_a_due_date(intake):
    received = datetime.now(UTC) - timedelta(days=40)
    for n in range(5):
        intake("POST", "/requests", {"type": "know", "channel": "email", "received_at": iso(received),
                                     "consumer": {"email": f"k{n}@example.com"}}, token="local-agent")
    index = wiring.ledger().index
    pages = []
    wiring.aws_client("dynamodb").meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **kw: pages.append(parsed["Count"]))
    stream = index.stream_open_clocks("9999-12-31", page_size=2)

    first = next(stream)
    # Read until the first clock: one page of the first shard holding any (a shard may hold none of 5 requests).
    assert pages[-1] > 0 and not any(pages[:-1]) and first.record is not None
    clocks = [first, *stream]
    assert len(clocks) == 10 and len({clock.position for clock in clocks}) == 10
    assert max(pages) <= 2 and all(clock.record.request_id == clock.request_id for clock in clocks)
    acknowledge_due = min(clock.due for clock in clocks)
    assert index.count_open_clocks(due_after=acknowledge_due) == 5  # the respond_by clocks, due later
    assert index.count_open_clocks(due_after="0000-01-01") == 10
    assert sorted(c.position for c in index.stream_open_clocks(acknowledge_due)) == sorted(
        c.position for c in clocks if c.clock == "acknowledge_by")
