"""What a consumer's export adds for consent: the notice versions their consent records cite (selected with
them, so the bundle proves what they were shown), and `consents.json`, the records as ISO/IEC TS 27560-shaped
receipts beside the notice versions (with text when published with it, and its SHA-256)."""

import json

from shared.models.domain import EventType
from shared.models.export import ExportContents
from shared.models.records import StoredEvent
from shared.services.evidence_reads import read_event_body
from shared.services.ledger_writer import Ledger, parse_envelope

CONSENT_TYPES = (EventType.CONSENT_RECORDED, EventType.CONSENT_WITHDRAWN)


def cited_notices(ledger: Ledger, events: list[StoredEvent]) -> list[StoredEvent]:
    """The `notice_published` events cited by the consent events among `events` and not already in them."""
    cited: set[str] = set()
    for event in events:
        if event.type in CONSENT_TYPES:
            body = parse_envelope(read_event_body(ledger, event))
            cited.add(body.details["consent"]["notice"]["event_id"])
    have = {event.event_id for event in events}
    found = [ledger.index.find_event(event_id) for event_id in sorted(cited - have)]
    return [event for event in found if event is not None]


def consents_json(contents: ExportContents) -> bytes | None:
    """None when the export holds no consent record."""
    receipts = [{"event_id": e.envelope.event_id, "event_hash": e.stored.event_hash, **e.envelope.details["receipt"]}
                for e in contents.standalone if e.envelope.type in CONSENT_TYPES]
    if not receipts:
        return None
    notices = []
    for e in contents.standalone:
        if e.envelope.type == EventType.NOTICE_PUBLISHED:
            notice = e.envelope.details["notice"]
            notices.append({"event_id": e.envelope.event_id, "event_hash": e.stored.event_hash, **notice})
    return json.dumps({"receipts": receipts, "notices": notices}, indent=1, ensure_ascii=False).encode()
