"""The emulator's server keeps connections open between calls (as boto3's pools expect of AWS), without letting one
request's bytes run into the next, and stopping it closes every connection, idle ones included."""

import http.client
import io
import json
import socket

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ccpa_audit.local import emulator_fixes
from ccpa_audit.local.emulator_server import EmulatorServer
from ccpa_audit.local.runtime import free_port


@pytest.fixture
def server():
    emulator_fixes.apply()
    emulator = EmulatorServer("127.0.0.1", free_port())
    emulator.start()
    yield emulator
    emulator.stop()


def connect(server: EmulatorServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)


def exchange(connection: http.client.HTTPConnection, method: str, path: str,
             body: bytes | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    connection.request(method, path, body=body)
    response = connection.getresponse()
    return response, response.read()


def test_one_connection_carries_many_requests_bodies_heads_and_unread_bodies(server):
    connection = connect(server)
    exchange(connection, "GET", "/moto-api/config")
    opened = connection.sock

    answers = [exchange(connection, "POST", "/moto-api/config", json.dumps({"batch": {"use_docker": False}}).encode()),
               exchange(connection, "POST", "/moto-api/reset", b"x" * 70_000),  # moto never reads this body
               exchange(connection, "HEAD", "/moto-api/config"),
               exchange(connection, "GET", "/moto-api/config")]

    assert connection.sock is opened  # never closed and reopened
    assert [response.status for response, _ in answers] == [201, 200, 201, 201]
    assert all(response.getheader("Connection") is None for response, _ in answers)
    head, config = answers[2], answers[3]
    assert head[1] == b"" and head[0].getheader("Content-Length") == config[0].getheader("Content-Length")
    assert json.loads(config[1])["batch"] == {"use_docker": False}


def test_boto3_calls_share_one_pooled_connection_and_read_back_exactly(server):
    s3 = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="local",
                      aws_secret_access_key="local", config=Config(max_pool_connections=1))
    s3.create_bucket(Bucket="kept-alive")
    body = bytes(range(256)) * 40
    s3.put_object(Bucket="kept-alive", Key="streamed", Body=io.BytesIO(body))  # a file body: Expect 100-continue
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket="kept-alive", Key="absent")  # a HEAD error: no body follows its headers

    assert missing.value.response["Error"]["Code"] == "404"
    assert s3.head_object(Bucket="kept-alive", Key="streamed")["ContentLength"] == len(body)
    assert s3.get_object(Bucket="kept-alive", Key="streamed")["Body"].read() == body
    assert len(server._server.connections) == 1


def test_a_chunked_upload_is_stored_and_its_connection_closed(server):
    s3 = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="local",
                      aws_secret_access_key="local")
    s3.create_bucket(Bucket="chunked")
    connection = connect(server)
    connection.request("PUT", "/chunked/body", body=iter([b"first ", b"second"]), encode_chunked=True)
    response = connection.getresponse()
    response.read()

    assert response.status == 200 and response.getheader("Connection") == "close"
    assert s3.get_object(Bucket="chunked", Key="body")["Body"].read() == b"first second"


def test_stopping_closes_idle_connections_and_refuses_new_ones(server):
    idle = [connect(server) for _ in range(3)]
    for connection in idle:
        exchange(connection, "GET", "/moto-api/config")

    server.stop()

    for connection in idle:
        assert connection.sock.recv(1) == b""  # closed by the server, not left waiting
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=5)
