"""An accepted access event as it waits on the access stream, before a batch object holds it
(shared/models/access_batch.py): only the access API, the CloudTrail function and the batcher load these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from shared.ledger.ids import nonce_hex

if TYPE_CHECKING:  # the batcher reads records as they are and never loads the access API's input models
    from shared.ledger.envelope import Actor
    from shared.models.access_events import AccessEventIn


@dataclass(frozen=True)
class AcceptedAccess:
    """An accepted event as it waits on the access stream: the validated input, who sent it, its tags and producer
    key, and when it was received. Its envelope and row are built by the stream's consumer, off the producer's
    request (shared/services/access_batches.py)."""

    event: AccessEventIn
    producer: Actor
    consumer_tag: str
    actor_tag: str
    producer_key: str
    received_at: datetime
    # Drawn at acceptance and carried on the stream, so a redelivered record builds the very same envelope (the
    # same hash in every copy) while the hash stays unguessable from the event's known content.
    nonce: str = field(default_factory=nonce_hex)
    # The ledger event id the API answered with (access_event_id of the key), carried so the consumer need not
    # derive it again; None leaves it to the consumer.
    event_id: str | None = None


class AccessRecord(TypedDict, total=False):
    """An accepted event as its stream record carries it (the JSON of AcceptedAccess): `event` is the validated
    AccessEventIn's JSON (None fields left out), `producer` the Actor's, `received_at` RFC 3339. Only the API and the
    CloudTrail function, which validate every event, may put records on the stream (template.yaml), so the batcher
    reads records as they are. Records from before nonces (or event ids) were carried have none."""

    event: dict[str, Any]
    producer: dict[str, Any]
    consumer_tag: str
    actor_tag: str
    producer_key: str
    received_at: str
    nonce: str
    event_id: str
