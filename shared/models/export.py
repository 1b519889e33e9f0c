"""Evidence exports: what is in a bundle, as the bundle's builders and renderers see it (no AWS here)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.ledger.envelope import Actor, Envelope
from shared.models.records import RequestRecord, StoredEvent
from shared.timefmt import parse_rfc3339, rfc3339


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


class ExportScope(BaseModel):
    """A resolved scope: the consumer is held as its HMAC tag and the dates as UTC instants (both inclusive)."""

    model_config = ConfigDict(frozen=True)

    request_id: str | None = None
    consumer_tag: str | None = None
    action_type: str | None = None
    from_: datetime | None = None
    to: datetime | None = None
    metrics_year: int | None = None

    def as_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "request_id": self.request_id,
            "consumer_tag": self.consumer_tag,
            "action_type": self.action_type,
            "from": rfc3339(self.from_) if self.from_ else None,
            "to": rfc3339(self.to) if self.to else None,
            "metrics_year": self.metrics_year,
        }
        return {key: value for key, value in out.items() if value is not None}

    @classmethod
    def from_manifest(cls, data: dict[str, Any]) -> "ExportScope":
        times = {name: parse_rfc3339(data[key]) for name, key in (("from_", "from"), ("to", "to")) if data.get(key)}
        return cls(request_id=data.get("request_id"), consumer_tag=data.get("consumer_tag"),
                   action_type=data.get("action_type"), metrics_year=data.get("metrics_year"), **times)


class ExportJob(BaseModel):
    """An export's state in the index (`EXP#<id>`): what was asked, by whom, and where the bundle went."""

    model_config = ConfigDict(frozen=True)

    export_id: str
    status: str  # building | ready | failed
    scope: ExportScope
    requested_by: Actor
    requested_at: datetime
    progress_done: int = 0
    progress_total: int = 0
    event_count: int | None = None
    unsealed_count: int | None = None
    bundle_key: str | None = None
    bundle_version: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    completed_at: datetime | None = None
    error: str | None = None
