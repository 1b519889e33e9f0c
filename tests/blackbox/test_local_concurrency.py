"""`ccpa-audit local` under a burst of clients and retries, and its stop, as a load test meets them."""

import json
import signal
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.blackbox.local_process import start_local

pytestmark = pytest.mark.slow


def start_stack():
    base, _, process = start_local()
    return base, process


def post(base, path, body, headers=None, token=None):
    all_headers = {"content-type": "application/json", **(headers or {})}
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def stack():
    base, process = start_stack()
    yield base
    process.kill()


def test_two_hundred_parallel_clients_half_retrying_one_key_each_get_one_request_per_key(stack):
    def client(n):
        key = f"burst-{n // 2}"  # clients 2k and 2k+1 send the same body with the same key, at the same time
        return key, post(stack, "/requests", {"type": "delete", "channel": "web_form",
                                              "consumer": {"email": f"burst-{n // 2}@example.com"}},
                         headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(200) as clients:
        answers = list(clients.map(client, range(200)))

    assert Counter(status for _, (status, _) in answers) == {201: 100, 200: 100}
    ids = {}
    for key, (_, body) in answers:
        ids.setdefault(key, set()).add(body["request_id"])
    assert len(ids) == 100 and all(len(found) == 1 for found in ids.values())
    page = {"items": [], "cursor": "start"}
    seen = []
    while page["cursor"]:
        query = "" if page["cursor"] == "start" else f"&cursor={page['cursor']}"
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        request = urllib.request.Request(f"{stack}/requests?type=delete&from={since}{query}",
                                         headers={"authorization": "Bearer local-auditor"})
        with urllib.request.urlopen(request, timeout=300) as response:
            page = json.loads(response.read())
        seen += [item["request_id"] for item in page["items"]]
    assert sorted(seen) == sorted(found.pop() for found in ids.values())  # exactly one stored per key, none lost


def test_health_is_answered_while_other_invocations_are_in_flight(stack):
    with ThreadPoolExecutor(8) as clients:
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        searches = [clients.submit(post, stack, "/exports", {"from": since}, token="local-auditor")
                    for _ in range(3)]
        with urllib.request.urlopen(f"{stack}/health", timeout=300) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        assert all(f.result()[0] in (201, 202) for f in searches)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_stack_stops_within_five_seconds_with_fan_outs_waiting(signum):
    base, process = start_stack()
    try:
        for n in range(20):
            assert post(base, "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                            "consumer": {"email": f"stop-{n}@example.com"}})[0] == 201
        process.send_signal(signum)
        process.wait(timeout=5)  # the demo's manual system keeps 20 fan-outs waiting for a person
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_the_stack_stops_within_five_seconds_when_nobody_reads_its_console():
    base, process = start_stack()
    try:
        assert post(base, "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                        "consumer": {"email": "no-console@example.com"}})[0] == 201
        process.stdout.close()  # the terminal or pipe that started it is gone: its last lines cannot be printed
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=5)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
