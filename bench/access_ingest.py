"""Accepted access events per second through POST /access-events: the real handler with AWS replaced by in-memory
ports, and the whole local stack (HTTP front door, moto in server mode) as `make run` serves it."""

import contextlib
import io
import json
import os
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from itertools import count

from ccpa_audit.local.gateway import LambdaContext, http_api_event

BATCHES = (1, 100, 500)
STUB_EVENTS = 5_000  # per batch size
LOCAL_EVENTS = 1_000
_ids = count()


def _batch(size: int) -> bytes:
    when = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return json.dumps({"events": [{
        "event_id": f"bench-{next(_ids)}", "occurred_at": when,
        "actor": {"id": f"agent-{n % 20}", "type": "user", "role": "support"}, "action": "read",
        "source": {"service": "crm", "ip": "203.0.113.9"}, "consumer": {"email": f"c{n % 300}@example.com"},
        "data_categories": ["identifiers"], "purpose": "support", "resource": "crm/contacts",
    } for n in range(size)]}).encode()


def run() -> list[str]:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    return _stubbed() + _local()


def _stubbed() -> list[str]:
    from functions.intake import app
    from shared import wiring
    from shared.config import get_settings
    from shared.services.ledger_writer import Ledger
    from tests.fakes import FakeEvidenceStore, FakeLedgerIndex, FakeTagger

    wiring.reset()
    original = wiring.ledger
    context = LambdaContext(function_name="intake", aws_request_id="bench")
    headers = {"content-type": "application/json", "authorization": "Bearer local-service"}
    os.environ["AUTH_MODE"] = "local"
    lines = []
    try:
        for size in BATCHES:
            stub = Ledger(evidence=FakeEvidenceStore(), index=FakeLedgerIndex(), tagger=FakeTagger(),
                          settings=get_settings())
            wiring.ledger = lambda stub=stub: stub  # type: ignore[assignment]
            events = [http_api_event("POST", "/access-events", headers, _batch(size), "127.0.0.1")
                      for _ in range(max(1, STUB_EVENTS // size))]
            with contextlib.redirect_stdout(io.StringIO()):  # EMF metrics lines
                start = time.perf_counter()
                for event in events:
                    assert app.lambda_handler(event, context)["statusCode"] == 202
                took = time.perf_counter() - start
            total = size * len(events)
            lines.append(f"POST /access-events, AWS stubbed, batches of {size}: {total / took:,.0f} events/s "
                         f"({total:,} events, {took * 1000 / len(events):.2f} ms per call)")
    finally:
        wiring.ledger = original  # type: ignore[assignment]
        os.environ.pop("AUTH_MODE", None)
        wiring.reset()
    return lines


def _local() -> list[str]:
    from ccpa_audit.local.runtime import free_port, start

    port = free_port()
    with contextlib.redirect_stdout(io.StringIO()):
        runtime = start(port=port, sweep_every=3600, seal_every=3600, demo_systems=False)
    lines = []
    try:
        for size in BATCHES:
            calls = max(1, LOCAL_EVENTS // size)
            bodies = [_batch(size) for _ in range(calls)]
            start_time = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the in-process handlers' metrics lines
                _post_all(port, bodies)
            took = time.perf_counter() - start_time
            lines.append(f"POST /access-events, local emulator (HTTP, moto server), batches of {size}: "
                         f"{size * calls / took:,.0f} events/s ({size * calls:,} events)")
    finally:
        runtime.stop()
    return lines


def _post_all(port: int, bodies: list[bytes]) -> None:
    for body in bodies:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/access-events", data=body, method="POST",
                                         headers={"content-type": "application/json",
                                                  "authorization": "Bearer local-service"})
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310  the local stack
            assert response.status == 202
