"""Ports: what services need from the outside world. Adapters implement them; tests use tests/fakes.py."""

from collections.abc import Sequence

from datetime import datetime
from typing import Protocol

from shared.models.alerts import ClockAlert
from shared.models.records import OpenClock, RequestRecord, StoredEvent
from shared.models.search import RequestSearch, SearchPage


class EvidenceStore(Protocol):
    def put_new(self, key: str, body: bytes, *, retain_until: datetime, minimum_retain_until: datetime) -> str:
        """Create-only, COMPLIANCE-locked write; returns the version id. EvidenceExistsError if the key is taken."""
        ...

    def get_version(self, key: str, version_id: str) -> bytes: ...

    def get_current(self, key: str) -> tuple[bytes, str]:
        """The only version of a create-only key, with its version id (used to adopt a stranded write)."""
        ...


class LedgerIndex(Protocol):
    def create_request(self, request: RequestRecord, event: StoredEvent) -> None:
        """Atomically index a new request and its first event; ConflictError if it is already indexed."""
        ...

    def append_event(self, request: RequestRecord, event: StoredEvent, expected_seq: int) -> None:
        """Atomically index an event and the request state after it; ChainConflictError if the chain moved."""
        ...

    def put_standalone_event(self, event: StoredEvent) -> None: ...

    def get_request(self, request_id: str) -> RequestRecord | None: ...

    def request_events(self, request_id: str) -> list[StoredEvent]: ...

    def search_requests(self, search: RequestSearch) -> SearchPage: ...

    def open_clocks(self, last_due: str | None = None) -> list[OpenClock]:
        """Unsatisfied clocks (due on or before `last_due` when given), soonest first, from the sparse index."""
        ...


class ConsumerTagger(Protocol):
    def tag(self, subject: str) -> str:
        """HMAC-SHA256 of a normalized identifier, lowercase hex; the index holds only these."""
        ...


class AlertPublisher(Protocol):
    def publish(self, alerts: Sequence[ClockAlert]) -> None:
        """Tell people and systems that a clock changed state (SNS for people, EventBridge for systems)."""
        ...
