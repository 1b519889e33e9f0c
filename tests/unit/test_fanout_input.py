"""The fan-out start writes the execution's input directly: it must be FanoutInput's dump (key order included),
and `suppression_started` must hold the same facts whether the starter or finalize (from FanoutInput) writes it."""

import json
from datetime import UTC, datetime

import pytest

from shared.config import Settings
from shared.ledger.envelope import Actor
from shared.models.api import SubmitRequestBody
from shared.models.downstream import FanoutInput, SystemTask
from shared.models.systems import DownstreamSystem
from shared.services.ledger_writer import Ledger, load_current, request_event_key
from shared.services.start_fanout import fanout_input, record_started, start_fanout
from shared.services.submit_request import Submission, submit_request
from tests.fakes import FakeEvidenceStore, FakeLedgerIndex, FakeTagger, fake_downstream

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def _system(system_id, sla_hours, backoff, connector="webhook"):
    return DownstreamSystem(system_id=system_id, name=system_id, kind="ad_platform", applies_to=["opt_out_sale_sharing"],
                            connector_type=connector, url="https://example.com/hook" if connector == "webhook" else None,
                            sla_hours=sla_hours, identifiers=["email"], retry_backoff_seconds=backoff, created_at=NOW,
                            updated_at=NOW)


SYSTEM_SETS = [
    [],
    [_system("ads", 0.5, [1, 2])],
    [_system("ads", 0.0001, []), _system("crm", 48.25, [60, 300, 3600], "manual"), _system("zeta", 1, [5])],
]


def _through_model(request_id, request_type, due, systems):
    tasks = [SystemTask(system_id=s.system_id, connector=s.connector_type, sla_seconds=s.sla_seconds,
                        retry_backoff_seconds=s.retry_backoff_seconds, max_retries=len(s.retry_backoff_seconds))
             for s in systems]
    return FanoutInput(request_id=request_id, request_type=request_type, due=due, systems=tasks)


@pytest.mark.parametrize("systems", SYSTEM_SETS)
def test_the_execution_input_is_the_models_dump(systems):
    got = fanout_input("r-1", "opt_out_sale_sharing", "2026-12-14", systems)
    expected = _through_model("r-1", "opt_out_sale_sharing", "2026-12-14", systems).model_dump(mode="json")
    assert json.dumps(got) == json.dumps(expected)  # same keys, order and values: the same execution input


def _ports(systems):
    ledger = Ledger(evidence=FakeEvidenceStore(), index=FakeLedgerIndex(), tagger=FakeTagger(), settings=Settings(),
                    now=lambda: NOW)
    downstream = fake_downstream()
    for system in systems:
        downstream.registry.save(system, None)
    body = SubmitRequestBody.model_validate({"type": "opt_out_sale_sharing", "channel": "web_form",
                                             "consumer": {"email": "ana@example.com"}})
    return ledger, downstream, submit_request(ledger, Submission(body, Actor(type="consumer"))).record


@pytest.mark.parametrize("systems", SYSTEM_SETS)
def test_suppression_started_holds_the_same_details_from_the_starter_and_from_finalize(systems):
    ledger, downstream, record = _ports(systems)
    started = start_fanout(ledger, downstream, record.request_id, record)
    execution = f"arn:aws:states:us-east-1:123456789012:execution:fake:{record.request_id}"
    by_starter, _ = load_current(ledger, request_event_key(record.request_id, 2))

    other, other_downstream, other_record = _ports(systems)
    payload = FanoutInput.model_validate(downstream.workflow.started[record.request_id])
    finalized = record_started(other, payload.model_copy(update={"request_id": other_record.request_id}), execution)
    by_finalize, _ = load_current(other, request_event_key(other_record.request_id, 2))

    assert by_starter.details == {**by_finalize.details, "execution": record.request_id}
    assert json.dumps(by_starter.details["systems"]) == json.dumps(by_finalize.details["systems"])
    assert started.downstream == finalized.downstream and started.fanout == record.request_id
