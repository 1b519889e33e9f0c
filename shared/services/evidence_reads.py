"""Reading an event's locked body: at the version the index pinned, checked against the hash the index recorded.

A body that is gone or altered is never shown, exported or sent on: the read fails with a named error
(`evidence_missing` / `evidence_altered`, naming the event), and the damage is reported (an integrity alert to
people and systems, and a metric) before the error reaches the caller.
"""

import hashlib

from shared.errors import EvidenceAlteredError, EvidenceIntegrityError, EvidenceMissingError
from shared.ledger.ids import uuid8
from shared.models.alerts import IntegrityAlert
from shared.models.records import StoredEvent
from shared.services.ledger_writer import Ledger
from shared.timefmt import rfc3339


def read_event_body(ledger: Ledger, event: StoredEvent) -> bytes:
    try:
        body = ledger.evidence.get_version(event.s3_key, event.s3_version_id)
    except EvidenceMissingError:
        raise _reported(ledger, event, EvidenceMissingError, "its locked evidence object is missing") from None
    if event.batch_version is not None:  # an access event inside a batch object: its row's envelope
        body = _batched_envelope(body, event.event_id)
    return checked_body(ledger, event, body)


def checked_body(ledger: Ledger, event: StoredEvent, body: bytes) -> bytes:
    """`body` if it hashes to what was recorded for the event; an announced integrity error otherwise."""
    if hashlib.sha256(body).hexdigest() != event.event_hash:
        raise _reported(ledger, event, EvidenceAlteredError,
                        "its evidence object does not match the hash the index recorded")
    return body


def _reported(ledger: Ledger, event: StoredEvent, kind: type[EvidenceIntegrityError],
              what: str) -> EvidenceIntegrityError:
    alert = IntegrityAlert(alert_id=uuid8("ccpa-audit/integrity-alert/v1", f"{event.event_id}|{kind.code}"),
                           kind=kind.code, event_id=event.event_id, request_id=event.request_id,
                           s3_key=event.s3_key, s3_version_id=event.s3_version_id, detected_at=rfc3339(ledger.now()))
    if ledger.integrity is not None:
        try:
            ledger.integrity.report(alert)
        except Exception:  # noqa: BLE001, S110  the named error below must reach the caller even if alerting fails
            pass
    detail = {"event_id": event.event_id, "request_id": event.request_id, "issue": what}
    return kind(f"Event {event.event_id}: {what}.", [detail])


def _batched_envelope(data: bytes, event_id: str) -> bytes:
    from shared.ledger.parquet_batches import decode_batch  # pyarrow: only readers of batched events load it

    try:
        rows = decode_batch(data)
    except ValueError:
        return data  # not a batch object any more: the hash check names it altered
    return next((row.envelope.encode("utf-8") for row in rows if row.event_id == event_id), b"")
