"""The local front door answers at the edge as API Gateway's HTTP API does, and hands each request to its function
as a v2 event; a burst of clients is queued, not reset."""

import base64
import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ccpa_audit.local.gateway import LocalGateway
from ccpa_audit.local.runtime import free_port


class Recorder:
    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def __call__(self, function, event):
        with self.lock:
            self.events.append((function, event))
        return {"statusCode": 200, "headers": {"content-type": "application/json"},
                "body": json.dumps({"function": function, "path": event["rawPath"]})}


@pytest.fixture
def gateway():
    recorder = Recorder()
    port = free_port()
    front = LocalGateway([("/local/", lambda event, context: {"statusCode": 204, "body": ""}),
                          ("/exports", "export"), ("/", "intake")], recorder, "127.0.0.1", port)
    threading.Thread(target=front.server.serve_forever, daemon=True).start()
    yield port, recorder
    front.server.shutdown()
    front.server.server_close()


def request(port, method, path, body=None, headers=()):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    connection.putheader("content-length", str(len(body or b"")))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def test_head_answers_like_get_without_a_body(gateway):
    port, recorder = gateway
    status, headers, data = request(port, "HEAD", "/health")

    assert status == 200 and data == b""
    assert int(headers["content-length"]) > 0
    assert recorder.events[-1][1]["requestContext"]["http"]["method"] == "GET"


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "CONNECT", "PROPFIND"])
def test_methods_no_route_takes_get_405_with_the_error_shape(gateway, method):
    port, recorder = gateway
    status, headers, data = request(port, method, "/requests")

    assert status == 405
    assert json.loads(data)["error"] == "method_not_allowed"
    assert "GET" in headers["allow"]
    assert recorder.events == []


def test_repeated_headers_reach_the_function_joined_with_commas(gateway):
    port, recorder = gateway
    request(port, "GET", "/requests", headers=[("Authorization", "Bearer local-auditor"),
                                               ("Authorization", "Bearer local-admin")])

    assert recorder.events[-1][1]["headers"]["authorization"] == "Bearer local-auditor,Bearer local-admin"


def test_a_body_that_is_not_utf8_reaches_the_function_base64_encoded(gateway):
    port, recorder = gateway
    raw = b'{"name": "\xff\xfe"}'
    request(port, "POST", "/requests", raw, headers=[("content-type", "application/json")])

    event = recorder.events[-1][1]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == raw


def test_paths_go_to_the_function_that_owns_them(gateway):
    port, recorder = gateway
    assert json.loads(request(port, "POST", "/exports")[2])["function"] == "export"
    assert json.loads(request(port, "GET", "/requests?x=1")[2])["function"] == "intake"
    assert request(port, "POST", "/local/seal")[0] == 204
    assert [f for f, _ in recorder.events] == ["export", "intake"]


def test_two_hundred_parallel_clients_are_all_answered(gateway):
    port, _ = gateway
    with ThreadPoolExecutor(200) as clients:
        statuses = list(clients.map(lambda i: request(port, "GET", f"/health?i={i}")[0], range(200)))

    assert statuses == [200] * 200
