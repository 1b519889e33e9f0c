"""The ingest path's output pinned byte for byte: stream records, envelopes, rows and Parquet objects for 300
generated items (tests/access_samples.py: non-NFC and astral text, escapes, long digit strings, offsets, every
resource class) equal what the model-based path wrote before the columnar consumer replaced it
(tests/fixtures/access_batch_golden.jsonl). The ledger's hashes are over these bytes: any change here would make
copies of one event differ between old and new objects."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared import wiring
from shared.config import Settings
from shared.ledger.envelope import Actor
from shared.ledger.parquet_batches import decode_batch
from shared.models.access_batch import AcceptedAccess
from shared.models.access_events import validate_batch
from shared.services.access_ocsf import producer_keys
from shared.services.ledger_writer import Ledger
from tests.fakes import FakeEvidenceStore, FakeLedgerIndex, FakeTagger

GOLDEN = Path(__file__).parent.parent / "fixtures" / "access_batch_golden.jsonl"
SETTINGS = Settings(data_category_map={"widget färg": "commercial_information", "unknown/label": "inferences"})


def golden_batches() -> list[dict]:
    batches: list[dict] = []
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if "item" in entry:
            batches[entry["batch"]]["events"].append(entry)
        else:
            batches.append({**entry, "events": []})
    return batches


def records_of(batch: dict) -> list[bytes]:
    """The batch's stream records as the API writes them, with the tags and nonces the fixture was made with."""
    from shared.adapters.kinesis_access_stream import records_data

    received_at = datetime.fromisoformat(batch["received_at"])
    producer = Actor.model_validate(batch["producer"])
    events = validate_batch({"events": [entry["item"] for entry in batch["events"]]}, now=received_at)
    keys = producer_keys(events, producer.id or producer.type)
    seed = batch["batch"] + 1
    return records_data([AcceptedAccess(event, producer, _hex(seed, n, "consumer"), _hex(seed, n, "actor"), key,
                                        received_at, _hex(seed, n, "nonce"))
                         for n, (event, key) in enumerate(zip(events, keys, strict=True))])


def _hex(seed: int, number: int, what: str) -> str:
    return hashlib.sha256(f"{seed}/{number}/{what}".encode()).hexdigest()


def kinesis_event(records: list[bytes]) -> dict:
    return {"Records": [{"eventSource": "aws:kinesis", "eventID": f"shardId-000:{n}", "eventName": "aws:kinesis:record",
                         "kinesis": {"data": base64.b64encode(data).decode(), "partitionKey": "k",
                                     "sequenceNumber": str(n), "kinesisSchemaVersion": "1.0"}}
                        for n, data in enumerate(records)]}


@pytest.fixture
def stored(monkeypatch, clock):
    ledger = Ledger(evidence=FakeEvidenceStore(), index=FakeLedgerIndex(), tagger=FakeTagger(), settings=SETTINGS,
                    now=clock)
    monkeypatch.setattr(wiring, "ledger", lambda: ledger)
    return ledger.evidence


@pytest.mark.parametrize("batch", golden_batches(), ids=lambda batch: f"batch{batch['batch']}")
def test_records_envelopes_rows_and_objects_are_byte_identical_to_the_model_based_path(batch, stored):
    from functions.access_batcher import app
    from ccpa_audit.local.gateway import LambdaContext

    records = records_of(batch)
    assert [hashlib.sha256(data).hexdigest() for data in records] == [e["record_sha256"] for e in batch["events"]]

    # A redelivered copy of each record (at-least-once) changes nothing.
    out = app.lambda_handler(kinesis_event(records + records[:7]), LambdaContext("access_batcher", "golden"))
    body = stored.get_current(out["key"])[0]
    assert hashlib.sha256(body).hexdigest() == batch["parquet_sha256"]

    seed = batch["batch"] + 1
    expected = {e["row"]["event_id"]: (n, e["row"]) for n, e in enumerate(batch["events"])}
    rows = decode_batch(body)
    assert len(rows) == len(expected) == out["events"]
    for row in rows:
        number, want = expected[row.event_id]
        assert hashlib.sha256(row.envelope.encode()).hexdigest() == row.event_hash == want["event_hash"]
        assert (row.consumer_tag, row.actor_tag) == (_hex(seed, number, "consumer"), _hex(seed, number, "actor"))
        assert (row.producer_key, row.action, row.service, row.request_id) == (
            want["producer_key"], want["action"], want["service"], want["request_id"])
        assert (_ms(row.occurred_at), _ms(row.recorded_at)) == (want["occurred_at"], want["recorded_at"])


def _ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def test_a_record_delivered_again_in_another_invocation_gives_the_very_same_rows(stored):
    """The stream delivers at least once: a second delivery must not make a second, different envelope, or search
    (earliest copy) and the sealer (first object) could show different copies of one event."""
    from functions.access_batcher import app
    from ccpa_audit.local.gateway import LambdaContext

    records = records_of(golden_batches()[0])[:20]
    first = app.lambda_handler(kinesis_event(records), LambdaContext("access_batcher", "one"))
    second = app.lambda_handler(kinesis_event(records[::-1]), LambdaContext("access_batcher", "two"))
    assert first["key"] != second["key"]
    rows = [sorted(decode_batch(stored.get_current(out["key"])[0]), key=lambda row: row.event_id)
            for out in (first, second)]
    assert rows[0] == rows[1] and len(rows[0]) == 20


def test_a_record_from_before_nonces_were_carried_gets_a_fresh_one(stored):
    from functions.access_batcher import app
    from ccpa_audit.local.gateway import LambdaContext

    older = [data.replace(b'"nonce":"', b'"unused":"') for data in records_of(golden_batches()[1])[:2]]
    out = app.lambda_handler(kinesis_event(older), LambdaContext("access_batcher", "old"))
    nonces = [json.loads(row.envelope)["nonce"] for row in decode_batch(stored.get_current(out["key"])[0])]
    assert len(set(nonces)) == 2 and all(len(nonce) == 64 and int(nonce, 16) >= 0 for nonce in nonces)


def test_a_batch_of_nonces_is_as_many_distinct_32_byte_values():
    from shared.ledger.ids import nonce_hexes

    nonces = nonce_hexes(500)
    assert len(set(nonces)) == 500 and {len(bytes.fromhex(nonce)) for nonce in nonces} == {32}
    assert nonce_hexes(0) == []
