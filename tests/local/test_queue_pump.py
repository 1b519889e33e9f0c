"""The local SQS event source mapping: a received batch goes to the function as one SQS event; what succeeded is
deleted, a reported failure comes back after the local retry delay, and nothing else is touched."""

import time

import boto3
import pytest
from moto import mock_aws

from ccpa_audit.local import emulator_fixes, queues


@pytest.fixture
def queue():
    emulator_fixes.apply()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        yield sqs, sqs.create_queue(QueueName="instructions", Attributes={"VisibilityTimeout": "900"})["QueueUrl"]


def test_successes_are_deleted_in_one_call_and_a_reported_failure_returns_after_the_retry_delay(queue, monkeypatch):
    sqs, url = queue
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    events = []

    def handler(event, _context):
        events.append(event)
        failing = next(r["messageId"] for r in event["Records"] if r["body"] == "b")
        return {"batchItemFailures": [{"itemIdentifier": failing}]}

    calls = []
    monkeypatch.setattr(queues, "LOCAL_RETRY_SECONDS", 1)
    counted = boto3.client("sqs", region_name="us-east-1")
    counted.meta.events.register("before-call.sqs.*", lambda model, **_: calls.append(model.name))

    assert queues.pump_once(counted, url, handler, batch=10) == 2
    assert sorted(r["body"] for r in events[0]["Records"]) == ["a", "b", "c"]
    assert events[0]["Records"][0]["eventSource"] == "aws:sqs"
    assert calls.count("DeleteMessageBatch") == 1 and calls.count("ChangeMessageVisibilityBatch") == 1
    assert "DeleteMessage" not in calls and "ChangeMessageVisibility" not in calls

    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    time.sleep(1.2)
    (again,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert again["Body"] == "b"


def test_an_empty_queue_invokes_nothing(queue):
    sqs, url = queue
    assert queues.pump_once(sqs, url, lambda *_: pytest.fail("invoked"), batch=10) == 0
