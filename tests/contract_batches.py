"""Batch objects for search and export tests, written with the product's own Parquet writer
(shared/ledger/parquet_batches.py) from rows the tests choose: generated rows, or real envelopes of posted-style
items (`ledger_rows`), put straight into the evidence bucket, locked."""

import uuid
from datetime import UTC, date, datetime

from shared.ledger.parquet_batches import encode_batch as parquet_bytes
from shared.ledger.envelope import Envelope
from shared.models.access_batch import AccessBatchRow as ContractRow
from shared.models.access_search import batch_key
from shared.timefmt import parse_rfc3339


def row_of(envelope: Envelope, *, producer_key: str, actor_tag: str, action: str, service: str) -> ContractRow:
    return ContractRow(envelope.event_id, producer_key, envelope.consumer_tag or "", actor_tag, action, service,
                       parse_rfc3339(envelope.occurred_at), parse_rfc3339(envelope.recorded_at),
                       envelope.details.get("unmapped", {}).get("request_id"), envelope.hash(),
                       envelope.canonical().decode())


def put_contract_batch(s3, bucket: str, rows: list[ContractRow], *, day: date | None = None,
                       retain_until: datetime | None = None) -> str:
    """One locked batch object; returns its key."""
    day = day or max(row.recorded_at for row in rows).astimezone(UTC).date()
    key = batch_key(day, str(uuid.uuid4()))
    retain = retain_until or datetime(day.year + 2, day.month, 28, tzinfo=UTC)
    s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(rows), ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=retain)
    return key


def synthetic_rows(count: int, *, consumers: int, start: datetime, seed: int = 7,
                   span_seconds: int = 30 * 86400) -> list[ContractRow]:
    """Rows with random tags and times for searches and benches; `envelope` is a small stand-in text (engines
    return it as stored and never parse it)."""
    import hashlib
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    tag = [consumer_tag_of(n) for n in range(consumers)]
    actors = [hashlib.sha256(f"actor-{n}".encode()).hexdigest() for n in range(20)]
    rows = []
    for number in range(count):
        recorded = start + timedelta(milliseconds=rng.randrange(span_seconds * 1000))
        event_id = str(uuid.UUID(int=rng.getrandbits(128)))
        rows.append(ContractRow(event_id, f"pk-{number}", rng.choice(tag), rng.choice(actors),
                                rng.choice(("read", "update", "export", "share")),
                                rng.choice(("crm", "billing", "helpdesk")), recorded - timedelta(seconds=5),
                                recorded, None, hashlib.sha256(event_id.encode()).hexdigest(),
                                f'{{"event_id":"{event_id}"}}'))
    return rows


def consumer_tag_of(number: int) -> str:
    import hashlib

    return hashlib.sha256(f"consumer-{number}".encode()).hexdigest()


def ledger_rows(ledger, items: list[dict], received_at: datetime, producer_id: str = "local-service") -> list[ContractRow]:
    """Rows for posted-style access items as the ingest side stores them: the real envelope (OCSF body, tags,
    retention) of each item, received at `received_at`."""
    from shared.ledger.envelope import Actor, build_envelope
    from shared.ledger.identity import account_subject, actor_subject, email_subject
    from shared.ledger.ids import uuid7
    from shared.ledger.retention import retain_until
    from shared.models.access_events import validate_batch
    from shared.models.domain import EventType, RecordType
    from shared.services.access_ocsf import ocsf_details, producer_key
    from shared.services.ledger_writer import tag_of

    producer = Actor(type="service", id=producer_id, role="service")
    rows = []
    for event in validate_batch({"events": items}, now=received_at):
        subject = (email_subject(event.consumer.email) if event.consumer.email
                   else account_subject(event.source.service, event.consumer.id or ""))
        envelope = build_envelope(
            event_id=uuid7(int(received_at.timestamp() * 1000)), type=EventType.DATA_ACCESS, actor=producer,
            occurred_at=event.occurred_at, recorded_at=received_at, record_type=RecordType.ACCESS_EVENT,
            retain_until=retain_until(RecordType.ACCESS_EVENT, received_at, ledger.settings),
            consumer_tag=tag_of(ledger, subject),
            details=ocsf_details(event, received_at, ledger.settings.data_category_map))
        rows.append(row_of(envelope, producer_key=producer_key(event, producer_id),
                           actor_tag=tag_of(ledger, actor_subject(event.actor.id)), action=event.action,
                           service=event.source.service))
    return rows
