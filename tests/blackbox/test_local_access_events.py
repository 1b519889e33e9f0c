"""Read-your-writes for batched access events against `ccpa-audit local`, over HTTP only: an event accepted with
202 is found by the next search, has a 409 `not_sealed` proof until `POST /_local/seal`, then a proof, and is in
the consumer's bundle, which `ccpa-audit verify` accepts."""

import json
import subprocess
import sys
import urllib.request
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.blackbox.local_process import start_local
from tests.blackbox.test_local_cli import call

CLI = Path(sys.executable).parent / "ccpa-audit"
CONSUMER = "reader@example.com"


@pytest.fixture(scope="module")
def local_stack():
    # No scheduled seal during the test: the proof must stay unsealed until the test seals.
    base, _, process = start_local(settings={"LOCAL_SEAL_EVERY": "3600"})
    yield base
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def access_event(number: int) -> dict:
    return {"event_id": f"bb-{number}",
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
            "actor": {"id": "agent-3", "type": "user", "role": "support"}, "action": "read",
            "source": {"service": "helpdesk"}, "consumer": {"email": CONSUMER},
            "data_categories": ["identifiers"], "purpose": "ticket 12", "resource": f"helpdesk/tickets/{number}"}


def test_a_posted_access_event_is_searchable_provable_after_sealing_and_exported_at_once(local_stack, tmp_path):
    base = local_stack
    status, out = call(base, "POST", "/access-events", {"events": [access_event(n) for n in range(3)]},
                       token="local-service")
    assert status == 202, out
    ids = out["event_ids"]

    status, page = call(base, "GET", f"/access-events?consumer_email={CONSUMER}", token="local-auditor")
    assert status == 200, page
    assert {item["event_id"] for item in page["items"]} >= set(ids)  # no wait for the stream's window

    status, proof = call(base, "GET", f"/events/{ids[0]}/proof", token="local-auditor")
    assert (status, proof["error"]) == (409, "not_sealed"), proof
    assert call(base, "GET", "/events/no-such-event/proof", token="local-auditor")[0] == 404

    status, sealed = call(base, "POST", "/_local/seal")
    assert status == 200 and sealed["sealed"] >= len(ids), sealed
    status, proof = call(base, "GET", f"/events/{ids[0]}/proof", token="local-auditor")
    assert status == 200 and proof["tree_size"] <= sealed["tree_size"], proof

    status, export = call(base, "POST", "/exports", {"consumer_email": CONSUMER}, token="local-auditor")
    assert status == 201 and export["status"] == "ready", export
    bundle = tmp_path / "bundle.zip"
    with urllib.request.urlopen(export["url"], timeout=30) as response:  # noqa: S310  the local emulator's URL
        bundle.write_bytes(response.read())
    with zipfile.ZipFile(bundle) as archive:
        exported = {json.loads(line)["event_id"] for line in archive.read("events.jsonl").splitlines()}
    assert set(ids) <= exported
    verified = subprocess.run([str(CLI), "verify", str(bundle)], capture_output=True, text=True, timeout=60)  # noqa: S603
    assert verified.returncode == 0, verified.stdout
