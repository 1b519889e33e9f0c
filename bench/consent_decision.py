"""Warm GET /consents/decision through the real handler, AWS replaced by in-memory ports, for one consumer with
1,000 consent events (opt-ins and withdrawals) and an opt-out request: the decision reads one state item and the
consumer's requests, so its cost must not follow the number of events (nor the size of the ledger)."""

import os
from datetime import timedelta

from bench.table import row
from bench.warm_intake import ROUNDS, warm_timings
from ccpa_audit.local.gateway import http_api_event

EVENTS = 1000
DECISIONS = 1000  # per round (bench/warm_intake.py ROUNDS)
EMAIL = "bench-consent@example.com"


def run() -> list:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ["AUTH_MODE"] = "local"
    from functions.intake import app
    from shared import wiring

    wiring.reset()
    stub, consents = _seeded()
    original_ledger, original_consents = wiring.ledger, wiring.consents
    wiring.ledger = lambda: stub  # type: ignore[assignment]
    wiring.consents = lambda: consents  # type: ignore[assignment]
    event = http_api_event("GET", f"/consents/decision?consumer_email={EMAIL}&purpose=sale_sharing",
                           {"authorization": "Bearer local-service"}, b"", "127.0.0.1")
    try:
        median, p95, _ = warm_timings(app.lambda_handler, event, 200, DECISIONS)
    finally:
        wiring.ledger, wiring.consents = original_ledger, original_consents  # type: ignore[assignment]
        wiring.reset()
    return [f"warm GET /consents/decision ({EVENTS} consent events and an opt-out for the consumer; decision "
            f"audited), AWS stubbed ({ROUNDS} rounds of {DECISIONS} decisions; lowest round): median {median:.3f} ms, p95 {p95:.3f} ms "
            f"(target < 1 ms)",
            row(f"warm GET /consents/decision, {EVENTS:,} consent events, AWS stubbed, median", f"{median:.3f} ms",
                "< 1 ms", median < 1)]


class _JsonStateStore:
    """The in-memory consent store, keeping the state as JSON as the DynamoDB item does (so its parse is timed)."""

    def __init__(self, inner):
        self.inner = inner

    def state(self, consumer_tag):
        from shared.models.consent import ConsentState

        found = self.inner.state(consumer_tag)
        return ConsentState.model_validate_json(found.model_dump_json()) if found else None

    def append(self, state, event, expected_seq):
        self.inner.append(state, event, expected_seq)

    def events(self, consumer_tag):
        return self.inner.events(consumer_tag)


class _ChainIndex:
    """The in-memory index, with each request's chain kept apart as DynamoDB's partition keeps it (the plain fake
    filters every event of the ledger, which would time the fake, not the decision)."""

    def __init__(self, inner):
        self.inner = inner
        self.chains = {}

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def create_request(self, request, event):
        self.inner.create_request(request, event)
        self.chains[request.request_id] = [event]

    def request_events(self, request_id):
        return list(self.chains.get(request_id, []))


def _seeded():
    from shared.config import get_settings
    from shared.ledger.envelope import Actor
    from shared.models.api import SubmitRequestBody
    from shared.models.consent import ConsentBody, NoticeBody
    from shared.services.consents import Consents, record_consent
    from shared.services.ledger_writer import Ledger
    from shared.services.notices import publish_notice
    from shared.services.submit_request import Submission, submit_request
    from shared.timefmt import utc_now
    from tests.fakes import (
        FakeConsentStore,
        FakeEvidenceStore,
        FakeGpcIdentities,
        FakeLedgerIndex,
        FakeNoticeCatalog,
        FakeTagger,
    )

    index = _ChainIndex(FakeLedgerIndex())
    ledger = Ledger(evidence=FakeEvidenceStore(), index=index, tagger=FakeTagger(), settings=get_settings(),
                    notices=FakeNoticeCatalog(index.inner))
    consents = Consents(store=_JsonStateStore(FakeConsentStore(index.inner)), gpc=FakeGpcIdentities())
    start = utc_now() - timedelta(days=400)
    publish_notice(ledger, NoticeBody(notice_id="privacy-policy", version="1", title="Privacy", text="We sell.",
                                      url="https://example.com/privacy", effective_from=start),
                   Actor(type="staff", id="admin"))
    submit_request(ledger, Submission(SubmitRequestBody.model_validate(
        {"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": EMAIL}}),
        Actor(type="consumer")))
    agent = Actor(type="staff", id="agent", role="agent")
    for n in range(EVENTS):
        record_consent(ledger, consents, ConsentBody.model_validate({
            "consumer": {"email": EMAIL}, "purpose": ("sale_sharing", "sensitive_pi")[n // 2 % 2],
            "decision": ("opt_in", "withdraw")[n % 2], "initiated_by": "consumer", "age_band": "16_plus",
            "method": "web_form", "notice": {"notice_id": "privacy-policy", "version": "1"},
            "occurred_at": (start + timedelta(minutes=n)).isoformat()}), agent)
    return ledger, consents
