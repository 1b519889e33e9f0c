"""Starts `ccpa-audit local` as a user would (`make run`) and drives it over HTTP only."""

import json
from datetime import date, timedelta
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.blackbox.local_process import start_local

CLI = Path(sys.executable).parent / "ccpa-audit"


def call(base, method, path, body=None, token=None, headers=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def local_stack():
    base, line, process = start_local()
    yield base, line, process
    if process.poll() is None:
        process.kill()


def test_ready_line_names_the_url_and_the_local_tokens_when_started(local_stack):
    base, line, _ = local_stack
    assert base in line


def test_the_stack_runs_under_glibc_malloc_so_freed_pages_go_back_when_started(local_stack):
    _, _, process = local_stack
    environ = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
    assert b"PYTHONMALLOC=malloc" in environ  # the started pid itself, restarted in place


def test_a_newcomer_can_file_and_read_back_a_request_when_using_only_http(local_stack):
    base, _, _ = local_stack
    assert call(base, "GET", "/health") == (200, {"status": "ok"})
    status, created = call(base, "POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                                       "consumer": {"email": "new@example.com"}},
                           headers={"Idempotency-Key": "bb-1"})
    assert status == 201 and "honor_by" in created["clocks"]
    again = call(base, "POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                             "consumer": {"email": "new@example.com"}},
                 headers={"Idempotency-Key": "bb-1"})
    assert again[0] == 200 and again[1]["request_id"] == created["request_id"]
    status, record = call(base, "GET", f"/requests/{created['request_id']}", token="local-analyst")
    assert status == 200 and record["timeline"][0]["type"] == "request_received"
    status, page = call(base, "GET", "/requests?consumer_email=new@example.com", token="local-auditor")
    assert status == 200 and [i["request_id"] for i in page["items"]] == [created["request_id"]]
    assert call(base, "GET", "/requests", token="local-agent")[0] == 403
    assert call(base, "GET", "/requests")[0] == 401
    assert call(base, "POST", "/requests", {"type": "delete"})[0] == 422
    status, spec = call(base, "GET", "/openapi.json")
    assert status == 200 and "/requests" in spec["paths"]


def test_an_opt_out_reaches_honored_through_the_demo_systems_when_the_manual_one_is_confirmed(local_stack):
    base, _, _ = local_stack
    status, created = call(base, "POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                                       "consumer": {"email": "walk@example.com"}})
    assert status == 201
    rid = created["request_id"]

    def record():
        return call(base, "GET", f"/requests/{rid}", token="local-analyst")[1]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # demo-email answers at once, demo-ads calls back after a few seconds
        systems = {d["system_id"]: d["status"] for d in record()["downstream"]}
        if systems == {"demo-email": "confirmed", "demo-ads": "confirmed", "demo-vendor": "instructed"}:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"downstream never reached the waiting state: {systems}")
    assert record()["status"] == "in_progress"
    status, _ = call(base, "POST", f"/requests/{rid}/actions", {"action": "confirm_system", "system_id": "demo-vendor",
                                                               "evidence": "Vendor ticket 4411: suppressed"},
                     token="local-analyst")
    assert status == 200
    while time.monotonic() < deadline + 15 and (current := record())["status"] != "honored":
        time.sleep(0.5)
    assert current["status"] == "honored" and current["clocks"]["honor_by"]["met"] is True
    assert current["timeline"][-1]["type"] == "request_honored"


def test_gpc_signal_is_honored_and_shown_on_the_status_endpoint(local_stack):
    base, _, _ = local_stack
    assert call(base, "GET", "/.well-known/gpc.json")[1]["gpc"] is True
    status, out = call(base, "POST", "/gpc", {"device_id": "walk-device"}, headers={"Sec-GPC": "1"})
    assert status == 200 and out["gpc"] is True
    shown = call(base, "GET", "/gpc/status?device_id=walk-device")[1]
    assert shown["opted_out"] is True and shown["request_id"] == out["request_id"]


def test_local_sweep_runs_the_sweeper_as_if_at_a_given_time_when_posted(local_stack):
    base, _, process = local_stack
    status, created = call(base, "POST", "/requests", {"type": "limit_sensitive_pi", "channel": "web_form",
                                                       "consumer": {"email": "late@example.com"}})
    assert status == 201
    due = date.fromisoformat(created["clocks"]["honor_by"]["due"])
    on_due_day = f"{due}T23:00:00Z"  # 15:00 in Los Angeles: still the due day, so at risk, not overdue
    assert [a["level"] for a in call(base, "POST", "/_local/sweep", {"time": on_due_day})[1]["alerts"]
            if a["request_id"] == created["request_id"]] == ["at_risk"]
    day_after = f"{due + timedelta(days=1)}T20:00:00Z"
    status, result = call(base, "POST", "/_local/sweep", {"time": day_after})
    assert status == 200
    mine = [a for a in result["alerts"] if a["request_id"] == created["request_id"]]
    assert [(a["clock"], a["level"]) for a in mine] == [("honor_by", "overdue")]
    assert call(base, "POST", "/_local/sweep", {"time": day_after})[1]["alerts"] == []
    assert call(base, "POST", "/_local/sweep", {"time": "yesterday"})[0] == 422
    status, record = call(base, "GET", f"/requests/{created['request_id']}", token="local-analyst")
    assert "clock_overdue" in [event["type"] for event in record["timeline"]]  # fan-out events interleave


def test_local_seal_puts_an_event_in_the_log_and_its_proof_verifies_offline(local_stack):
    from shared.ledger import checkpoint, merkle

    base, _, _ = local_stack
    status, created = call(base, "POST", "/requests", {"type": "know", "channel": "web_form",
                                                       "consumer": {"email": "proof@example.com"}})
    assert status == 201
    event_id = call(base, "GET", f"/requests/{created['request_id']}", token="local-analyst")[1]["timeline"][0][
        "event_id"]
    status, sealed = call(base, "POST", "/_local/seal", {"time": "2026-12-01T12:00:00Z"})
    assert status == 200 and set(sealed) == {"tree_size", "sealed"} and sealed["tree_size"] >= 1
    status, proof = call(base, "GET", f"/events/{event_id}/proof", token="local-auditor")
    assert status == 200, proof
    (key,) = call(base, "GET", "/ledger/keys")[1]["keys"]
    body, ((_, _, signature),) = checkpoint.parse_signed_note(proof["checkpoint"])
    assert checkpoint.verify_checkpoint_signature(body, signature, key["public_key_pem"].encode())
    _, size, root = checkpoint.parse_checkpoint_body(body)
    assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], size,
                                   [bytes.fromhex(h) for h in proof["inclusion_path"]], root)


def test_a_newcomer_downloads_an_export_with_curl_and_verifies_it_offline(local_stack, tmp_path):
    base, _, _ = local_stack
    status, created = call(base, "POST", "/requests", {"type": "delete", "channel": "web_form",
                                                       "consumer": {"email": "exporter@example.com"}})
    assert status == 201
    status, out = call(base, "POST", "/exports", {"request_id": created["request_id"]}, token="local-auditor")
    assert status == 201 and out["status"] == "ready", out
    assert out["url"].startswith("http://127.0.0.1:")  # the local emulator serves the presigned URL
    bundle = tmp_path / "bundle.zip"
    subprocess.run(["curl", "-sSf", "-o", str(bundle), out["url"]], check=True, timeout=30)  # noqa: S603, S607
    import hashlib

    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == out["sha256"]
    verified = subprocess.run([str(CLI), "verify", str(bundle)], capture_output=True, text=True, timeout=60)  # noqa: S603
    assert verified.returncode == 0, verified.stdout


def test_ccpa_audit_export_downloads_and_verifies_a_consumers_bundle(local_stack, tmp_path):
    base, _, _ = local_stack
    call(base, "POST", "/requests", {"type": "know", "channel": "web_form", "consumer": {"email": "cli@example.com"}})
    target = tmp_path / "cli.zip"
    done = subprocess.run([str(CLI), "export", "--api", base, "--token", "local-analyst", "--consumer-email",  # noqa: S603
                           "cli@example.com", "-o", str(target), "--verify", "--quiet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert target.exists() and "OK" in done.stdout


def test_sigterm_stops_the_stack_cleanly_when_sent(local_stack):
    base, _, process = local_stack
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    console = process.stdout.read()
    assert "stopping" in console
    assert "ALERT ccpa.clock.overdue" in console  # alerts show in the local console
