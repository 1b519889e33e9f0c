"""Access events as rows of batch objects (issue 17): the row an accepted event becomes, and the object a stream
consumer writes from many such rows. The API only validates, tags and puts events on the stream (what makes them
durable); the envelopes, the costly part, are built here by the consumer.

An event's id is fixed by its producer key, so a producer's retry (even in another API batch, hours later) gets the
same ledger event id without any per-event lookup. Delivery is at least once, so two objects may hold the same
event; the sealer appends it once and search shows it once (both by `event_id`).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from shared.config import Settings
from shared.ledger.envelope import build_envelope
from shared.ledger.ids import uuid7, uuid8
from shared.ledger.retention import minimum_retain_until, retain_until
from shared.models.access_batch import AcceptedAccess, AccessBatchRow, batch_key
from shared.models.domain import EventType, RecordType
from shared.ports import EvidenceStore
from shared.services.access_ocsf import ocsf_details
from shared.services.ledger_writer import Ledger
from shared.timefmt import parse_rfc3339



def access_event_id(producer_key: str) -> str:
    """The ledger event id of the producer event with this key: the same for every retry, whatever else the retry
    says (a UUIDv8 from SHA-256 of the key; a time-ordered v7 would need the first receipt's time, i.e. a lookup)."""
    return uuid8("ccpa-audit/access-event-id/v1", producer_key)


def access_row(ledger: Ledger, accepted: AcceptedAccess) -> AccessBatchRow:
    """The row of one accepted event: its ledger v1 envelope (exactly a single-event object's bytes) and the
    search columns derived from it."""
    event, received_at = accepted.event, accepted.received_at
    details = ocsf_details(event, received_at, ledger.settings.data_category_map)
    envelope = build_envelope(
        event_id=access_event_id(accepted.producer_key), type=EventType.DATA_ACCESS, actor=accepted.producer,
        occurred_at=event.occurred_at, recorded_at=received_at, record_type=RecordType.ACCESS_EVENT,
        retain_until=retain_until(RecordType.ACCESS_EVENT, received_at, ledger.settings),
        consumer_tag=accepted.consumer_tag, details=details, nonce=accepted.nonce)
    return AccessBatchRow(
        event_id=envelope.event_id, producer_key=accepted.producer_key, consumer_tag=accepted.consumer_tag,
        actor_tag=accepted.actor_tag, action=event.action, service=event.source.service,
        occurred_at=_ms(event.occurred_at), recorded_at=_ms(received_at), request_id=event.request_id,
        event_hash=envelope.hash(), envelope=envelope.canonical().decode("utf-8"))


def write_access_batch(ledger: Ledger, accepted: Sequence[AcceptedAccess]) -> tuple[str, str, int] | None:
    """The stream consumer's work: the accepted events' rows as one locked batch object (each event once)."""
    unique = list({a.producer_key: a for a in reversed(accepted)}.values())  # the first copy of each event wins
    return write_batch_object(ledger.evidence, ledger.settings, [access_row(ledger, a) for a in unique],
                              ledger.now())


def write_batch_object(evidence: EvidenceStore, settings: Settings, rows: Sequence[AccessBatchRow],
                       now: datetime) -> tuple[str, str, int] | None:
    """One create-only, COMPLIANCE-locked batch object of these rows (each event once); (key, version, rows).
    Locked until the latest retain-until its events carry, never less than the access-event retention from now."""
    unique = list({row.event_id: row for row in reversed(rows)}.values())  # the first copy of each event wins
    if not unique:
        return None
    until = max([retain_until(RecordType.ACCESS_EVENT, now, settings),
                 *(parse_rfc3339(_retain_until(row)) for row in unique)])
    from shared.ledger.parquet_batches import encode_batch  # pyarrow: only the stream consumer loads it

    key = batch_key(now.astimezone(UTC).date(), uuid7())
    version = evidence.put_new(key, encode_batch(unique), retain_until=until,
                               minimum_retain_until=minimum_retain_until(RecordType.ACCESS_EVENT, now),
                               content_type="application/vnd.apache.parquet")
    return key, version, len(unique)


def _retain_until(row: AccessBatchRow) -> str:
    # The envelope is canonical JSON written by access_row; its retain_until is RFC 3339 with a Z.
    marker = row.envelope.index('"retain_until":"') + len('"retain_until":"')
    return row.envelope[marker:row.envelope.index('"', marker)]


def _ms(moment: datetime) -> datetime:
    """Parquet keeps milliseconds; the envelope's RFC 3339 text keeps what rfc3339() writes."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
