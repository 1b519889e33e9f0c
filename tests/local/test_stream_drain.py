"""The local stand-in of the Kinesis event source mapping, drained for read-your-writes: a drain returns only once
every record put before it was handled, and concurrent drains and the background loop hand each record to the
function once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto import mock_aws

from ccpa_audit.local.streams import StreamPoller, reads_access_events

STREAM = "access"


@pytest.fixture
def kinesis():
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.create_stream(StreamName=STREAM, ShardCount=3)
        yield client


class Function:
    def __init__(self):
        self.seen = []
        self.lock = threading.Lock()

    def __call__(self, event, context):
        with self.lock:
            self.seen += [record["eventID"] for record in event["Records"]]  # shard:sequence


def put(kinesis, first, count):
    kinesis.put_records(StreamName=STREAM, Records=[{"Data": b"x", "PartitionKey": f"k{n}"}
                                                    for n in range(first, first + count)])


def test_a_drain_delivers_every_record_put_before_it(kinesis):
    function = Function()
    poller = StreamPoller(kinesis, STREAM, function, window=30.0)  # a window no reader should wait for
    put(kinesis, 0, 25)

    assert poller.drain() == 25
    assert len(function.seen) == 25
    assert poller.drain() == 0


def test_concurrent_drains_and_the_background_loop_deliver_each_record_once(kinesis):
    function = Function()
    poller = StreamPoller(kinesis, STREAM, function, window=0.05)
    stop = threading.Event()

    def background():
        while not stop.is_set():
            poller.pump_once() or poller.idle(0.01)

    loop = threading.Thread(target=background)
    loop.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for n in range(10):
                put(kinesis, n * 10, 10)
                poller.wake()
                list(pool.map(lambda _: poller.drain(), range(8)))
                assert len(function.seen) == (n + 1) * 10  # every reader after the put sees all of it
    finally:
        stop.set()
        loop.join()
    assert len(set(function.seen)) == len(function.seen) == 100


def test_a_failed_delivery_is_retried_with_the_same_records(kinesis):
    calls = []

    def fails_once(event, context):
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            raise RuntimeError("batcher crashed")

    poller = StreamPoller(kinesis, STREAM, fails_once, window=0.0)
    put(kinesis, 0, 1)
    with pytest.raises(RuntimeError):
        poller.drain()
    assert poller.drain() == 1 and calls == [1, 1]


@pytest.mark.parametrize(("method", "path", "drains"), [
    ("GET", "/access-events", True), ("GET", "/access-events/", True), ("POST", "/exports", True),
    ("GET", "/exports/0193-x", True), ("GET", "/events/abc/proof", True),
    ("POST", "/access-events", False), ("GET", "/requests", False), ("GET", "/events/abc", False),
    ("GET", "/ledger/checkpoint", False), ("GET", "/health", False), ("GET", "/reports/metrics", False),
])
def test_the_routes_that_read_access_events_are_the_ones_drained_before(method, path, drains):
    assert reads_access_events(method, path) is drains
