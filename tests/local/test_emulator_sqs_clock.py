"""SQS on the cheap clock: delays, visibility timeouts and the queue's counts behave as before."""

import time

import boto3
import pytest
from moto import mock_aws

from ccpa_audit.local import emulator_fixes


@pytest.fixture
def sqs():
    emulator_fixes.apply()
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        yield client, client.create_queue(QueueName="q")["QueueUrl"]


def counts(client, url):
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return [int(attributes[name]) for name in names]


def test_the_clock_reads_the_same_time_as_moto_and_converts_given_datetimes_as_moto_does(sqs):
    from moto.core import utils
    from moto.sqs import models

    before = utils.unix_time()
    now = models.unix_time()
    assert before <= now <= utils.unix_time() and abs(models.unix_time_millis() - now * 1000) < 1000
    moment = utils.utcfromtimestamp(1_700_000_000)
    assert models.unix_time(moment) == 1_700_000_000 and models.unix_time_millis(moment) == 1_700_000_000_000


def test_delayed_and_in_flight_messages_are_counted_and_hidden_until_their_time(sqs):
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody="now")
    client.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert counts(client, url) == [1, 0, 1]

    (received,) = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"]
    assert received["Body"] == "now" and counts(client, url) == [0, 1, 1]

    time.sleep(1.1)
    bodies = sorted(m["Body"] for m in client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["later", "now"]  # the delay passed and the first message's visibility timeout ended
