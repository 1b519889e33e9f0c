"""KinesisAccessStream against a scripted client: PutRecords limits, refused records put again, and an error
(never a silent loss) when the stream keeps refusing."""

from datetime import UTC, datetime

import pytest

from shared.adapters.kinesis_access_stream import KinesisAccessStream, accepted_of, record_data
from shared.errors import StorageUnavailableError
from shared.ledger.envelope import Actor
from shared.models.access_batch import AcceptedAccess
from shared.models.access_events import AccessEventIn

T = datetime(2026, 11, 30, 12, 0, 0, 123000, tzinfo=UTC)


def row(n: int, purpose: str = "support") -> AcceptedAccess:
    event = AccessEventIn.model_validate({
        "event_id": f"e-{n}", "occurred_at": "2026-01-01T00:00:00Z", "actor": {"id": "a", "type": "user"},
        "action": "read", "source": {"service": "crm"}, "consumer": {"email": "ana@example.com"},
        "data_categories": ["identifiers"], "purpose": purpose[:200]})
    if len(purpose) > 200:  # only the record's size matters here: beyond what validation allows
        event = event.model_copy(update={"purpose": purpose})
    return AcceptedAccess(event=event, producer=Actor(type="service", id="p", role="service"),
                          consumer_tag="a" * 64, actor_tag="b" * 64, producer_key=f"{n:064x}", received_at=T)


class Scripted:
    def __init__(self, refuse: list[set[int]]) -> None:
        self.refuse = refuse  # per call: positions in that call's records to refuse
        self.sent: list[list[str]] = []

    def put_records(self, StreamName, Records):  # noqa: N803  boto3's names
        self.sent.append([r["PartitionKey"] for r in Records])
        refused = self.refuse.pop(0) if self.refuse else set()
        return {"FailedRecordCount": len(refused),
                "Records": [{"ErrorCode": "ProvisionedThroughputExceededException"} if i in refused
                            else {"SequenceNumber": "1", "ShardId": "s"} for i in range(len(Records))]}


def test_a_record_round_trips_with_its_nonce():
    accepted = row(1, "soporte técnico")
    assert accepted_of(record_data(accepted)) == accepted
    assert len(accepted.nonce) == 64 and row(1).nonce != accepted.nonce  # drawn per accepted event


def test_a_record_written_before_nonces_were_carried_gets_a_fresh_one():
    older = record_data(row(2)).replace(b'"nonce":"', b'"unused":"')
    first, second = accepted_of(older), accepted_of(older)
    assert len(first.nonce) == 64 and first.nonce != second.nonce
    assert first.event == row(2).event


def test_calls_hold_at_most_500_records_and_5_mib():
    client = Scripted([])
    KinesisAccessStream("s", client).put([row(n) for n in range(1200)])
    assert [len(call) for call in client.sent] == [500, 500, 200]
    client = Scripted([])
    KinesisAccessStream("s", client).put([row(n, "x" * 900_000) for n in range(12)])  # ~0.9 MB each
    assert [len(call) for call in client.sent] == [5, 5, 2]


def test_only_refused_records_are_put_again():
    client = Scripted([{1, 3}])
    KinesisAccessStream("s", client).put([row(n) for n in range(5)])
    assert client.sent[1] == [f"{1:064x}", f"{3:064x}"]


def test_a_stream_that_keeps_refusing_is_an_error():
    client = Scripted([{0}] * 10)
    with pytest.raises(StorageUnavailableError):
        KinesisAccessStream("s", client).put([row(0)])
