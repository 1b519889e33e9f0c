"""The README's quick-start walk-through, run as written (bash and curl) against `ccpa-audit local`."""

import re
import subprocess
import time

from ccpa_audit.local.resources import REPO_ROOT
from tests.blackbox.test_local_cli import call, local_stack  # noqa: F401 - the running stack fixture


def _quick_start_block(containing):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", section, re.DOTALL) if containing in b]
    return block


STAFF = '"channel": "toll_free"'
GPC = "localhost:3000/gpc "


def test_the_staff_example_computes_its_receipt_time_instead_of_hard_coding_a_date():
    staff = _quick_start_block(STAFF)
    assert "received_at" in staff
    assert not re.search(r'"received_at": "\d{4}-', staff)
    assert "$(date -u -d '2 days ago'" in staff and "-v-2d" in staff  # GNU date, and the macOS/BSD form


def test_the_walk_through_files_a_staff_request_and_honors_the_gpc_opt_out_it_confirms(local_stack):  # noqa: F811
    base, _, _ = local_stack
    first, downstream = _quick_start_block(STAFF), _quick_start_block(GPC)
    # The record lookups with a <request_id> placeholder are for the reader to fill in.
    script = "\n".join(line for line in (first + downstream).splitlines() if "<request_id>" not in line)
    script = script.replace("localhost:3000", base.removeprefix("http://"))

    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,  # noqa: S603, S607
                         timeout=120, check=False, cwd=REPO_ROOT)

    assert run.returncode == 0, run.stderr
    refusals = re.findall(r'\{"error":\s*"[^"]+"[^}]*', run.stdout)  # the API's error shape, not "error": null
    assert refusals == []
    status, page = call(base, "GET", "/requests?consumer_email=bo@example.com", token="local-auditor")
    assert status == 200 and [item["channel"] for item in page["items"]] == ["toll_free"]
    deadline = time.monotonic() + 30
    while (gpc := call(base, "GET", "/gpc/status?device_id=d-1")[1])["honored"] is not True:
        assert time.monotonic() < deadline, gpc
        time.sleep(0.5)
    assert gpc["display"] == "Opt-Out Request Honored"
    status, record = call(base, "GET", f"/requests/{gpc['request_id']}", token="local-analyst")
    confirmed = [e["details"] for e in record["timeline"] if e["type"] == "confirmation_received"]
    assert {"system_id": "demo-vendor", "via": "manual"}.items() <= next(
        c for c in confirmed if c["system_id"] == "demo-vendor").items()
