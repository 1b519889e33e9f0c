"""moto's server finds each host's service once: the same answers as moto's own routing, without listing its
package directory again."""

import os

import boto3
import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer

from ccpa_audit.local import emulator_fixes
from ccpa_audit.local.runtime import free_port

HOSTS = ("dynamodb.us-east-1.amazonaws.com", "s3.amazonaws.com", "bucket.s3.us-east-1.amazonaws.com",
         "sqs.us-east-1.amazonaws.com", "kinesis.us-east-1.amazonaws.com", "kms.us-east-1.amazonaws.com",
         "states.us-east-1.amazonaws.com", "moto_api", "dynamodb", None)


def test_every_host_is_routed_as_moto_routes_it_and_the_directory_is_listed_once(monkeypatch):
    emulator_fixes.apply()
    moto_routing = DomainDispatcherApplication.get_backend_for_host.__wrapped__
    app = DomainDispatcherApplication(lambda service: None)
    expected = {host: moto_routing(app, host) for host in HOSTS}
    listings = []
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: listings.append(path) or real_listdir(path))

    first = {host: app.get_backend_for_host(host) for host in HOSTS}
    listed = len(listings)
    again = {host: app.get_backend_for_host(host) for host in HOSTS}

    assert first == again == expected
    assert expected["dynamodb.us-east-1.amazonaws.com"] == "dynamodb" and expected[None] is None
    assert len(listings) == listed  # the second round never touched the file system
    assert listed <= len(HOSTS)


@pytest.fixture
def server():
    emulator_fixes.apply()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    yield f"http://{host}:{port}"
    moto.stop()


def test_a_server_still_routes_each_service_to_its_own_backend(server):
    settings = {"endpoint_url": server, "region_name": "us-east-1", "aws_access_key_id": "local",
                "aws_secret_access_key": "local"}
    sqs, kinesis = boto3.client("sqs", **settings), boto3.client("kinesis", **settings)

    url = sqs.create_queue(QueueName="routed")["QueueUrl"]
    kinesis.create_stream(StreamName="routed", ShardCount=1)

    assert sqs.list_queues()["QueueUrls"] == [url]
    assert kinesis.list_streams()["StreamNames"] == ["routed"]


def test_each_response_class_lists_the_methods_moto_lists(server):
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.responses import SQSResponse

    for handler in (DynamoHandler, SQSResponse):
        assert responses.method_names_from_class(handler) == responses.method_names_from_class.__wrapped__(handler)
    settings = {"endpoint_url": server, "region_name": "us-east-1", "aws_access_key_id": "local",
                "aws_secret_access_key": "local"}
    assert boto3.client("dynamodb", **settings).list_tables()["TableNames"] == []


def test_the_access_log_line_is_formatted_only_when_werkzeug_would_print_it(monkeypatch):
    import logging

    from werkzeug.serving import WSGIRequestHandler

    emulator_fixes.apply()
    formatted = []
    monkeypatch.setattr(WSGIRequestHandler.log_request, "__wrapped__", lambda *args: formatted.append(args))
    logger = logging.getLogger("werkzeug")
    level = logger.level
    try:
        logger.setLevel(logging.ERROR)
        WSGIRequestHandler.log_request("handler", 200)
        assert formatted == []
        logger.setLevel(logging.INFO)
        WSGIRequestHandler.log_request("handler", 200)
        assert formatted == [("handler", 200)]
    finally:
        logger.setLevel(level)
