"""Access events as rows of batch objects (issue 17): the rows accepted events become, and the object a stream
consumer writes from many such rows. The API only validates, tags and puts events on the stream (what makes them
durable); the envelopes, the costly part, are built here by the consumer, a column at a time.

An event's id is fixed by its producer key, so a producer's retry (even in another API batch, hours later) gets the
same ledger event id without any per-event lookup. Delivery is at least once, so two objects may hold the same
event; the sealer appends it once and search shows it once (both by `event_id`).

The records come from the stream, which only the validating API and CloudTrail functions can write (template.yaml),
so they are read as they are: no model per event, and what every event received at one moment shares (times, lock,
OCSF metadata, the categories of a label list) is worked out once per batch.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.config import Settings
from shared.ledger.canonical import canonical_json_bytes, sha256_hex
from shared.ledger.envelope import envelope_json
from shared.ledger.ids import nonce_hex, uuid7, uuid8
from shared.ledger.retention import minimum_retain_until, retain_until
from shared.models.access_batch import COLUMNS, AccessBatchRow, batch_key
from shared.models.access_stream import AcceptedAccess, AccessRecord
from shared.models.data_categories import Categorized, categorize
from shared.models.domain import EventType, RecordType
from shared.ports import EvidenceStore
from shared.services.access_ocsf import ocsf_body, ocsf_metadata
from shared.services.ledger_writer import Ledger
from shared.timefmt import parse_rfc3339, rfc3339

_DATA_ACCESS, _ACCESS_EVENT = EventType.DATA_ACCESS.value, RecordType.ACCESS_EVENT.value
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMES = ("occurred_at", "recorded_at")


def access_event_id(producer_key: str) -> str:
    """The ledger event id of the producer event with this key: the same for every retry, whatever else the retry
    says (a UUIDv8 from SHA-256 of the key; a time-ordered v7 would need the first receipt's time, i.e. a lookup)."""
    return uuid8("ccpa-audit/access-event-id/v1", producer_key)


@dataclass(frozen=True)
class AccessColumns:
    """A batch object's columns (shared/models/access_batch.py COLUMNS; times in epoch milliseconds), each event
    once, and the latest retain-until their envelopes carry."""

    columns: dict[str, list[Any]]
    retain_until: datetime | None


@dataclass(frozen=True)
class _Receipt:
    """What every event received at one moment shares."""

    text: str
    ms: int
    retain_until: datetime
    retain_text: str
    metadata: dict[str, Any]


def access_columns(settings: Settings, records: Iterable[AccessRecord]) -> AccessColumns:
    """The columns of these records' events, the first copy of each. Each envelope is a ledger v1 envelope, exactly
    a single-event object's bytes; the other columns are derived from it, for search."""
    event_ids: list[str] = []
    producer_keys: list[str] = []
    consumer_tags: list[str] = []
    actor_tags: list[str] = []
    actions: list[str] = []
    services: list[str] = []
    occurred: list[int] = []
    recorded: list[int] = []
    request_ids: list[str | None] = []
    hashes: list[str] = []
    envelopes: list[str] = []
    seen: set[str] = set()
    receipts: dict[str, _Receipt] = {}
    labels: dict[tuple[str, ...], Categorized] = {}
    table = settings.data_category_map
    for record in records:
        key = record["producer_key"]
        if key in seen:  # the first copy of each event wins
            continue
        seen.add(key)
        event, producer = record["event"], record["producer"]
        receipt = receipts.get(record["received_at"]) or receipts.setdefault(
            record["received_at"], _receipt(record["received_at"], settings))
        given = tuple(event["data_categories"])
        categorized = labels.get(given) or labels.setdefault(given, categorize(list(given), table))
        details = ocsf_body(event, parse_rfc3339(event["occurred_at"]), receipt.metadata, categorized)
        event_id = record.get("event_id") or access_event_id(key)  # the API's, or older records' derived again
        data = canonical_json_bytes(envelope_json(
            event_id=event_id, type=_DATA_ACCESS,
            actor={"type": producer["type"], "id": producer.get("id"), "role": producer.get("role")},
            occurred_at=details["time_dt"], recorded_at=receipt.text, record_type=_ACCESS_EVENT,
            retain_until=receipt.retain_text, details=details, nonce=record.get("nonce") or nonce_hex(),
            consumer_tag=record["consumer_tag"]))
        event_ids.append(event_id)
        producer_keys.append(key)
        consumer_tags.append(record["consumer_tag"])
        actor_tags.append(record["actor_tag"])
        actions.append(event["action"])
        services.append(event["source"]["service"])
        occurred.append(details["time"])
        recorded.append(receipt.ms)
        request_ids.append(event.get("request_id"))
        hashes.append(sha256_hex(data))
        envelopes.append(data.decode("utf-8"))
    columns = {"event_id": event_ids, "producer_key": producer_keys, "consumer_tag": consumer_tags,
               "actor_tag": actor_tags, "action": actions, "service": services, "occurred_at": occurred,
               "recorded_at": recorded, "request_id": request_ids, "event_hash": hashes, "envelope": envelopes}
    return AccessColumns(columns, max((r.retain_until for r in receipts.values()), default=None))


def _receipt(received_text: str, settings: Settings) -> _Receipt:
    received_at = parse_rfc3339(received_text)
    until = retain_until(RecordType.ACCESS_EVENT, received_at, settings)
    metadata = ocsf_metadata(received_at)
    return _Receipt(metadata["logged_time_dt"], metadata["logged_time"], until, rfc3339(until), metadata)


def write_access_batch(ledger: Ledger, records: Iterable[AccessRecord]) -> tuple[str, str, int] | None:
    """The stream consumer's work: the records' events as one locked batch object (each event once)."""
    built = access_columns(ledger.settings, records)
    return _put_batch(ledger.evidence, ledger.settings, built, ledger.now())


def access_row(ledger: Ledger, accepted: AcceptedAccess) -> AccessBatchRow:
    """The row an accepted event becomes, as the consumer writes it from the event's stream record."""
    record: AccessRecord = {
        "event": accepted.event.model_dump(mode="json", exclude_none=True),
        "producer": accepted.producer.model_dump(mode="json"), "consumer_tag": accepted.consumer_tag,
        "actor_tag": accepted.actor_tag, "producer_key": accepted.producer_key,
        "received_at": rfc3339(accepted.received_at), "nonce": accepted.nonce}
    return _rows(access_columns(ledger.settings, [record]).columns)[0]


def write_batch_object(evidence: EvidenceStore, settings: Settings, rows: Sequence[AccessBatchRow],
                       now: datetime) -> tuple[str, str, int] | None:
    """One batch object of rows made elsewhere (each event once, the first copy)."""
    unique = list({row.event_id: row for row in reversed(rows)}.values())
    columns = {name: [getattr(row, name) for row in unique] for name in COLUMNS}
    until = max((parse_rfc3339(_retain_until(row)) for row in unique), default=None)
    return _put_batch(evidence, settings, AccessColumns(columns, until), now)


def _put_batch(evidence: EvidenceStore, settings: Settings, built: AccessColumns,
               now: datetime) -> tuple[str, str, int] | None:
    """One create-only, COMPLIANCE-locked batch object; (key, version, rows). Locked until the latest retain-until
    its events carry, never less than the access-event retention from now."""
    count = len(built.columns["event_id"])
    if not count:
        return None
    until = max(retain_until(RecordType.ACCESS_EVENT, now, settings), built.retain_until or now)
    from shared.ledger.parquet_batches import encode_columns  # pyarrow: only the stream consumer loads it

    key = batch_key(now.astimezone(UTC).date(), uuid7())
    version = evidence.put_new(key, encode_columns(built.columns), retain_until=until,
                               minimum_retain_until=minimum_retain_until(RecordType.ACCESS_EVENT, now),
                               content_type="application/vnd.apache.parquet")
    return key, version, count


def _rows(columns: dict[str, list[Any]]) -> list[AccessBatchRow]:
    times = {name: [_EPOCH + timedelta(milliseconds=ms) for ms in columns[name]] for name in _TIMES}
    return [AccessBatchRow(*values) for values in zip(*(times.get(name, columns[name]) for name in COLUMNS),
                                                       strict=True)]


def _retain_until(row: AccessBatchRow) -> str:
    # The envelope is canonical JSON; its retain_until is RFC 3339 with a Z.
    marker = row.envelope.index('"retain_until":"') + len('"retain_until":"')
    return row.envelope[marker:row.envelope.index('"', marker)]
