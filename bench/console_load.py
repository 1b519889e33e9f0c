"""The staff console in headless Chromium against the local stack holding 1,000 open requests: time from
navigation until the request list is usable (its first request link on screen), and the bytes the first page
ships, gzip-compressed file by file (the static files it loads; the API's JSON reported apart).

The 1,000 requests are written straight into the index (request items and their open clocks, as the intake
would index them), like the sweep bench does: the list reads only those, and creating them one by one through
the API would take the shared machine many minutes. They go into the in-process moto server's table directly,
which takes a second where 140 BatchWriteItem calls over HTTP took 15 to 20 on the loaded machine."""

import contextlib
import gzip
import io
import json
import os
import statistics
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

OPEN_REQUESTS = 1_000
RUNS = 5
WEB_ROOT = Path(__file__).resolve().parents[1] / "web"
CHROMIUM = "/usr/bin/chromium"
SESSION = {"token": "local-analyst", "roles": ["analyst"], "mode": "local", "name": "local-analyst"}
# Signed in already (sessionStorage, as after the sign-in form), and a mark when the first request link appears.
INIT = f"""
sessionStorage.setItem("ccpa-console.session", {json.dumps(json.dumps(SESSION))});
new MutationObserver((_, watcher) => {{
  if (document.querySelector("main ol a[href^='#/requests/']")) {{
    window.usableAt = performance.now();
    watcher.disconnect();
  }}
}}).observe(document, {{ subtree: true, childList: true }});
"""


def run() -> list[str]:
    from ccpa_audit.local.runtime import free_port, start

    port = free_port()
    with contextlib.redirect_stdout(io.StringIO()):
        runtime = start(port=port, sweep_every=3600, seal_every=3600, demo_systems=False)
    base = f"http://127.0.0.1:{port}"
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the in-process handlers' metrics lines
            _fill()
            times, shipped, api_bytes = _measure(base)
    finally:
        runtime.stop()
    static_raw = sum(raw for raw, _ in shipped.values())
    static_gzip = sum(packed for _, packed in shipped.values())
    return [
        f"Console request list usable ({OPEN_REQUESTS:,} open requests, local stack, headless Chromium, fresh "
        f"profile): median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms over {len(times)} loads",
        f"Console first page: {len(shipped)} files, {static_gzip / 1024:.1f} KB gzip-compressed "
        f"({static_raw / 1024:.1f} KB raw); its API answers {api_bytes / 1024:.1f} KB gzip-compressed",
    ]


def _fill() -> None:
    """1,000 deletion, access and correction requests received over the last 44 days, every clock still open."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from shared.adapters import index_items
    from shared.adapters.dynamo_ledger_index import _av
    from shared.clocks.engine import ClockRules, clocks_for
    from shared.config import get_settings
    from shared.models.domain import Channel, RequestStatus, RequestType
    from shared.models.records import ClockRecord, RequestRecord

    settings = get_settings()
    rules = ClockRules.from_settings(settings)
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].get_table(settings.index_table)
    now = datetime.now(UTC)
    items = []
    for number in range(OPEN_REQUESTS):
        kind = (RequestType.DELETE, RequestType.KNOW, RequestType.CORRECT)[number % 3]
        received = now - timedelta(minutes=5 + number * 63)
        record = RequestRecord(
            request_id=str(uuid.uuid4()), type=kind, channel=Channel.EMAIL, status=RequestStatus.RECEIVED,
            received_at=received, recorded_at=received, consumer_tag=f"{number:064x}",
            clocks={name: ClockRecord(due=due) for name, due in clocks_for(kind, received, rules).items()},
            chain_seq=1, chain_head="0" * 64, intake_key="bench", intake_version="bench")
        items += [index_items.request_item(record, settings.index_shards),
                  *index_items.clock_items(record, settings.index_shards)]
    for item in items:
        table.put_item(_av(item))


def _measure(base: str) -> tuple[list[float], dict[str, tuple[int, int]], int]:
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    shipped: dict[str, tuple[int, int]] = {}
    api_bytes = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        for attempt in range(RUNS + 1):  # the first load warms the stack's own caches and is not counted
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
            context.add_init_script(INIT)
            page = context.new_page()
            responses = []
            page.on("response", lambda response, seen=responses: seen.append(response))
            page.goto("/console/#/requests")
            page.wait_for_function("() => window.usableAt !== undefined", timeout=60_000)
            if attempt:
                times.append(page.evaluate("() => window.usableAt"))
            # The attention counts follow the list; the local API answers one call at a time, so the next load
            # starts only once this one is quiet.
            page.wait_for_load_state("networkidle")
            if attempt == 1:
                for response in responses:
                    path = urlsplit(response.url).path
                    local = _static_file(path)
                    if local is not None:
                        data = local.read_bytes()
                        shipped[path] = (len(data), len(gzip.compress(data, 9)))
                    elif response.ok and response.request.resource_type in ("fetch", "xhr"):
                        api_bytes += len(gzip.compress(response.body(), 9))
            context.close()
        browser.close()
    return times, shipped, api_bytes


def _static_file(path: str) -> Path | None:
    if path.endswith("/"):
        path += "index.html"
    candidate = WEB_ROOT / path.lstrip("/")
    return candidate if path.startswith(("/console/", "/shared/")) and candidate.is_file() else None
