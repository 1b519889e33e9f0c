"""Stream records carry the ledger event id the API answered with, so the consumer does not derive it again. The
objects must not change: records with the id give the golden bytes, as the golden test's records (written without
it, as older records are) do."""

import hashlib
import json

import pytest

from shared.adapters.kinesis_access_stream import accepted_of, records_data
from shared.services.access_batches import access_event_id
from tests.unit.test_access_batch_golden import golden_batches, kinesis_event, records_of, stored  # noqa: F401


@pytest.mark.parametrize("batch", golden_batches()[:3], ids=lambda batch: f"batch{batch['batch']}")
def test_records_with_the_event_id_give_the_golden_objects(batch, stored):  # noqa: F811  the fixture
    from ccpa_audit.local.gateway import LambdaContext
    from functions.access_batcher import app

    older = records_of(batch)
    records = records_data([_with_id(accepted_of(data)) for data in older])
    assert all(json.loads(data)["event_id"] == access_event_id(json.loads(data)["producer_key"]) for data in records)
    assert [json.loads(data) | {"event_id": None} for data in records] == \
        [json.loads(data) | {"event_id": None} for data in older]  # nothing else differs
    mixed = [new if number % 2 else old for number, (new, old) in enumerate(zip(records, older, strict=True))]
    for delivered in (records, mixed):
        out = app.lambda_handler(kinesis_event(delivered + delivered[:7]), LambdaContext("access_batcher", "ids"))
        assert hashlib.sha256(stored.get_current(out["key"])[0]).hexdigest() == batch["parquet_sha256"]


def _with_id(accepted):
    from dataclasses import replace

    return replace(accepted, event_id=access_event_id(accepted.producer_key))
