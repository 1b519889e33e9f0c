"""Evidence exports: what is in a bundle, as the bundle's builders and renderers see it (no AWS here)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.ledger.envelope import Actor, Envelope
from shared.models.records import RequestRecord, StoredEvent


@dataclass(frozen=True)
class ExportedEvent:
    stored: StoredEvent
    envelope: Envelope

    @property
    def sealed(self) -> bool:
        """False when the event is not in the Merkle log yet: the bundle lists it as unsealed, never drops it."""
        return self.stored.leaf_index is not None


@dataclass(frozen=True)
class ExportedRequest:
    """A request in scope with its whole chain (seq order), so the bundle proves the chain complete."""

    record: RequestRecord
    events: list[ExportedEvent]


@dataclass(frozen=True)
class MetricsRow:
    """11 CCR 7102(a) figures for one request type and calendar year."""

    request_type: str
    received: int
    complied_in_whole_or_in_part: int
    denied: int
    pending: int  # received in the year, not yet answered (neither complied with nor denied)
    median_days_to_respond: float | None
    mean_days_to_respond: float | None


@dataclass(frozen=True)
class MetricsReport:
    year: int
    time_zone: str
    generated_at: datetime
    rows: list[MetricsRow]


@dataclass(frozen=True)
class ExportContents:
    """Everything a bundle shows, ready for rendering: requests with complete chains, then events outside any
    request chain (GPC signals, access events, reads of the ledger, registry changes) that fall in scope."""

    export_id: str
    scope: dict[str, Any]  # as written in the manifest (consumer tag, never the email)
    requested_by: Actor
    requested_at: datetime
    requests: list[ExportedRequest]
    standalone: list[ExportedEvent]
    tree_size: int | None  # size of the checkpoint every inclusion proof is against
    metrics: MetricsReport | None = None
    notes: list[str] = field(default_factory=list)

    def all_events(self) -> list[ExportedEvent]:
        return [event for request in self.requests for event in request.events] + list(self.standalone)
