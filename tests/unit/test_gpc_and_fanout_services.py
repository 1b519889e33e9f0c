"""GPC and fan-out start as services over in-memory ports (no moto, sockets blocked)."""

from datetime import UTC, datetime

import pytest

from shared.config import Settings
from shared.models.downstream import GpcSignalBody
from shared.models.systems import DownstreamSystem
from shared.services.ledger_writer import Ledger
from shared.services.record_gpc_signal import gpc_status, record_gpc_signal
from shared.services.start_fanout import start_fanout
from tests.fakes import FakeEvidenceStore, FakeLedgerIndex, FakeTagger, fake_downstream

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


@pytest.fixture
def ports():
    ledger = Ledger(evidence=FakeEvidenceStore(), index=FakeLedgerIndex(), tagger=FakeTagger(), settings=Settings(),
                    now=lambda: NOW)
    downstream = fake_downstream()
    for system_id, applies in (("ads", ["opt_out_sale_sharing"]), ("crm", ["delete"])):
        downstream.registry.save(DownstreamSystem(
            system_id=system_id, name=system_id, kind="ad_platform", applies_to=applies, connector_type="manual",
            sla_hours=0.5, identifiers=["email"], retry_backoff_seconds=[1, 2], created_at=NOW, updated_at=NOW),
            None)
    return ledger, downstream


def signal(ports, device, email=None, header="1"):
    body = GpcSignalBody.model_validate({"device_id": device, **({"consumer": {"email": email}} if email else {})})
    return record_gpc_signal(*ports, header, body)


def test_gpc_opt_out_starts_one_execution_over_the_systems_that_apply(ports):
    ledger, downstream = ports
    out = signal(ports, "d1")
    assert out.gpc and out.status == "in_progress"
    payload = downstream.workflow.started[out.request_id]
    assert [(s["system_id"], s["sla_seconds"], s["max_retries"]) for s in payload["systems"]] == [("ads", 1800, 2)]
    record = ledger.index.get_request(out.request_id)
    assert record.channel == "gpc" and record.fanout == out.request_id


def test_repeated_signal_writes_nothing(ports):
    ledger, _ = ports
    first = signal(ports, "d1")
    objects = dict(ledger.evidence.objects)
    assert signal(ports, "d1").request_id == first.request_id
    assert ledger.evidence.objects == objects


def test_absent_signal_writes_nothing_and_status_says_not_opted_out(ports):
    ledger, _ = ports
    assert signal(ports, "d2", header=None).gpc is False
    assert ledger.evidence.objects == {}
    assert gpc_status(*ports, "d2").opted_out is False


def test_start_is_recorded_once_when_started_twice(ports):
    ledger, downstream = ports
    out = signal(ports, "d3")
    start_fanout(ledger, downstream, out.request_id)
    events = ledger.index.request_events(out.request_id)
    assert [e.type for e in events] == ["request_received", "suppression_started"]
