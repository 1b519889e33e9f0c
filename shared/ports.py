"""Ports: what services need from the outside world. Adapters implement them; tests use tests/fakes.py.

The models are named for type checkers only: a function loads the models its own routes use, not every port's."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from shared.models.access_stream import AcceptedAccess
    from shared.models.access_leaves import AccessLeaf, BatchMarker
    from shared.models.access_search import AccessQuery, AccessRow
    from shared.models.alerts import ClockAlert, IntegrityAlert
    from shared.models.consent import ConsentState
    from shared.models.notices import NoticeVersion
    from shared.models.export import ExportJob
    from shared.models.merkle_log import LogBatch, LogLeaf, LogState
    from shared.models.records import OpenClock, RequestRecord, StoredEvent
    from shared.models.search import RequestSearch, SearchPage
    from shared.models.systems import DownstreamSystem
    from shared.models.downstream import WebhookReply


class EvidenceStore(Protocol):
    def put_new(self, key: str, body: bytes, *, retain_until: datetime, minimum_retain_until: datetime,
                content_type: str = "application/json") -> str:
        """Create-only, COMPLIANCE-locked write; returns the version id. EvidenceExistsError if the key is taken."""
        ...

    def get_version(self, key: str, version_id: str) -> bytes: ...

    def get_range(self, key: str, version_id: str, start: int, length: int) -> bytes:
        """`length` bytes of the version from offset `start` (one ranged GET)."""
        ...

    def get_current(self, key: str) -> tuple[bytes, str]:
        """The only version of a create-only key, with its version id (used to adopt a stranded write)."""
        ...

    def find_current(self, key: str) -> bytes | None:
        """The body of a create-only key, or None when nothing is stored there yet (a cache lookup)."""
        ...

    def retained_until(self, key: str, version_id: str) -> datetime | None:
        """The version's current COMPLIANCE retain-until."""
        ...

    def extend_retention(self, key: str, version_id: str, retain_until: datetime) -> tuple[datetime | None, datetime]:
        """Extend a lock (never shorten it): returns the retain-until before and after."""
        ...


class AccessStream(Protocol):
    """Where accepted access events wait, durably, to become batch objects (Kinesis Data Streams on AWS)."""

    def put(self, events: Sequence[AcceptedAccess]) -> None:
        """Every event accepted, or StorageUnavailableError (some may still arrive: their ids are fixed)."""
        ...


class LedgerIndex(Protocol):
    def create_request(self, request: RequestRecord, event: StoredEvent) -> None:
        """Atomically index a new request and its first event; ConflictError if it is already indexed."""
        ...

    def append_event(self, request: RequestRecord, event: StoredEvent, expected_seq: int,
                     outbox: Sequence[ClockAlert] = ()) -> None:
        """Atomically index an event, the request state after it and the alerts it announces (the outbox);
        ChainConflictError if the chain moved."""
        ...

    def pending_alerts(self) -> list[ClockAlert]:
        """Alerts indexed with their event and not yet published."""
        ...

    def alert_sent(self, alert_id: str) -> None:
        """Clear a published alert from the outbox (repeatable)."""
        ...

    def put_standalone_event(self, event: StoredEvent) -> None: ...

    def find_event(self, event_id: str) -> StoredEvent | None:
        """Any event (request chain or standalone) by its id."""
        ...

    def get_request(self, request_id: str) -> RequestRecord | None: ...

    def request_events(self, request_id: str) -> list[StoredEvent]: ...

    def search_requests(self, search: RequestSearch) -> SearchPage: ...

    def open_clocks(self, last_due: str | None = None, *, after: str | None = None,
                    limit: int | None = None) -> list[OpenClock]:
        """Unsatisfied clocks (due on or before `last_due` when given), soonest first, from the sparse index; only
        those after the position `after`, and at most `limit` of them, when given."""
        ...

    def stream_open_clocks(self, last_due: str, *, page_size: int = 100) -> Iterator[OpenClock]:
        """Unsatisfied clocks due on or before `last_due`, each with the copy of its request the index holds
        (possibly behind the request itself), read a page of at most `page_size` at a time, so a caller holds one
        page however many are open. Not in due order (one shard after another)."""
        ...

    def count_open_clocks(self, due_after: str) -> int:
        """How many unsatisfied clocks are due after `due_after`, counted by the index without returning them."""
        ...


class UnsealedEvents(Protocol):
    """The sealer's queue: events not yet in the Merkle log (the sparse Unsealed index)."""

    def oldest(self, limit: int) -> list[LogLeaf]:
        """Up to `limit` unsealed events, oldest first, each confirmed still unsealed (an index can lag)."""
        ...

    def mark_sealed(self, batch: LogBatch) -> None:
        """Give each event its leaf index, the size of the checkpoint that sealed it and its inclusion path against
        that checkpoint (`batch.paths`), and take it off the queue; repeatable. LedgerInconsistentError when an
        event already carries another index."""
        ...


class BatchObjects(Protocol):
    """The access-event batch objects of the evidence bucket, in key order (received day, then UUIDv7)."""

    def list_after(self, start_after: str, limit: int) -> list[tuple[str, str]]:
        """Up to `limit` (key, version id) pairs of batch objects whose key sorts after `start_after`."""
        ...


class PrefixObjects(Protocol):
    """Objects of the evidence bucket under a prefix, in key order (compaction reads a day's partition)."""

    def under(self, prefix: str) -> list[tuple[str, str]]:
        """Every (key, version id) of a create-only object whose key starts with `prefix`."""
        ...

    def first_after(self, prefix: str) -> str | None:
        """The first key under `prefix`, or None."""
        ...


class CompactionState(Protocol):
    """The compaction watermark: every access-log day before it reads from its compacted copy."""

    def compacted_before(self) -> date | None:
        """None until a first day is compacted."""
        ...

    def advance(self, expected: date | None, to: date) -> bool:
        """Move the watermark from `expected` to `to`; False (nothing written) when it is no longer `expected`."""
        ...


class AccessLeaves(Protocol):
    """What the sealer records of batched access events: one sealed-batch marker per object, and per sealed event
    a slim leaf item (the id -> leaf lookup that proofs, exports and de-duplication need), plus the listing
    cursor (shared/models/access_leaves.py)."""

    def marked(self, keys: Sequence[str]) -> set[str]:
        """The keys among these whose objects are wholly sealed."""
        ...

    def mark(self, markers: Sequence[BatchMarker]) -> None:
        """Record these objects as wholly sealed; repeatable."""
        ...

    def markers(self, keys: Sequence[str]) -> dict[str, BatchMarker]:
        """The markers of those of these keys that are marked."""
        ...

    def sealed(self, event_ids: Sequence[str]) -> set[str]:
        """The ids among these that already have a leaf."""
        ...

    def put(self, leaves: Sequence[AccessLeaf]) -> None:
        """Record sealed events; repeatable."""
        ...

    def find(self, event_ids: Sequence[str]) -> dict[str, AccessLeaf | StoredEvent]:
        """The leaf items of those of these ids that have one: a StoredEvent (with its path when recorded) for an
        item written before slim items, which held the whole event."""
        ...

    def cursor(self) -> str:
        """Every batch key up to this one is marked ("" at first)."""
        ...

    def set_cursor(self, key: str) -> None: ...


class LogStateStore(Protocol):
    """The Merkle log's single state item: the latest checkpoint and whether its batch is marked."""

    def get(self) -> LogState | None: ...

    def advance(self, state: LogState, expected_size: int) -> bool:
        """Compare-and-swap from the state at `expected_size` (0: none yet), which must be marked; False when
        another sealer moved the log first."""
        ...

    def mark_done(self, size: int) -> None:
        """Record that the batch of the state at `size` is marked (nothing happens if the log moved on)."""
        ...


class CheckpointSigner(Protocol):
    def public_key_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo of the ECDSA P-256 signing key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """DER ECDSA P-256 / SHA-256 signature over the raw message."""
        ...


class ConsumerTagger(Protocol):
    def tag(self, subject: str) -> str:
        """HMAC-SHA256 of a normalized identifier, lowercase hex; the index holds only these."""
        ...


class AlertPublisher(Protocol):
    def publish(self, alerts: Sequence[ClockAlert]) -> None:
        """Tell people and systems that a clock changed state (SNS for people, EventBridge for systems)."""
        ...

    def report(self, alert: IntegrityAlert) -> None:
        """The same for a locked evidence object found missing or altered, counted (EvidenceIntegrityFailures)."""
        ...


class IntegrityAlerts(Protocol):
    """What the readers of evidence need of the alert publisher (see AlertPublisher.report)."""

    def report(self, alert: IntegrityAlert) -> None: ...


class SystemRegistry(Protocol):
    def get(self, system_id: str) -> DownstreamSystem | None: ...

    def save(self, system: DownstreamSystem, expected_version: int | None) -> None:
        """Create (expected_version None) or replace that version; ConflictError if someone changed it first."""
        ...

    def remove(self, system_id: str, expected_version: int, removed_at: datetime) -> None: ...

    def list(self) -> list[DownstreamSystem]: ...


class SecretStore(Protocol):
    def put(self, name: str, secret: str) -> None: ...

    def get(self, name: str) -> str | None: ...


class Workflow(Protocol):
    """The suppression state machine: start one execution per request, and answer the branches' task tokens."""

    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Start (or find, when it already exists) the execution called `name`; returns its id."""
        ...

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        """False when the task no longer waits (timed out, already answered)."""
        ...

    def fail(self, task_token: str, error: str, cause: str) -> bool: ...


class TaskTokens(Protocol):
    """Where a branch waits: the token that a callback or an analyst's confirmation completes."""

    def put(self, request_id: str, system_id: str, task_token: str, instruction_id: str) -> None: ...

    def get(self, request_id: str, system_id: str) -> str | None: ...


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> WebhookReply:
        """DownstreamUnavailableError when the system cannot be reached at all."""
        ...


class ReplayGuard(Protocol):
    def first_use(self, key: str, expires_at: datetime) -> bool:
        """True once per key (until it expires); False for every later use."""
        ...


class GpcIdentities(Protocol):
    """GPC identity (HMAC tag of a device or a consumer) -> its opt-out request."""

    def find(self, tags: Sequence[str]) -> dict[str, str]: ...

    def link(self, tag: str, request_id: str) -> bool:
        """False when the identity is already linked (to whichever request was first)."""
        ...


# A consumer's status link: the same tag -> request link, keyed by the HMAC of a status token.
StatusTokens = GpcIdentities


class ScopeIndex(Protocol):
    """Export selections: every method is a set of index Queries chosen by the narrowest scope given."""

    def requests(self, *, consumer_tag: str | None = None, request_type: str | None = None,
                 received_from: datetime | None = None, received_to: datetime | None = None) -> list[RequestRecord]:
        ...

    def events(self, *, consumer_tag: str | None = None, event_type: str | None = None,
               recorded_from: datetime | None = None, recorded_to: datetime | None = None,
               standalone_only: bool = False) -> list[StoredEvent]:
        ...


    def access_events(self, *, consumer_tag: str | None = None, actor_tag: str | None = None,
                      action: str | None = None, service: str | None = None,
                      recorded_from: datetime | None = None, recorded_to: datetime | None = None,
                      limit: int = 50, cursor: str | None = None) -> tuple[list[StoredEvent], str | None]:
        """A newest-first page of the access log (access events, ledger reads, exports) and the next cursor."""
        ...


class AccessEngine(Protocol):
    """The analytics engine over the access log's batch objects (DuckDB locally, Athena on AWS)."""

    def search(self, query: AccessQuery) -> list[AccessRow]:
        """Up to `query.limit + 1` rows newest first after `query.before`, each event id once."""
        ...

    def holds(self, event_id: str, first_day: date, last_day: date) -> bool:
        """Whether a batch object received on one of these days (both inclusive) holds the event."""
        ...


class ExportJobs(Protocol):
    def create(self, job: ExportJob) -> None: ...

    def get(self, export_id: str) -> ExportJob | None: ...

    def progress(self, export_id: str, done: int, total: int) -> None: ...

    def finish(self, job: ExportJob) -> None:
        """Record the final state (ready or failed) once; a later call for a finished export changes nothing."""
        ...


class BundleStore(Protocol):
    def put_new(self, key: str, body: bytes, sha256_hex: str, retain_until: datetime) -> str:
        """Create-only, COMPLIANCE-locked write of a bundle; returns the version id. EvidenceExistsError if taken."""
        ...

    def find(self, key: str) -> tuple[str, str, int] | None:
        """(version id, sha256 hex, bytes) of the bundle already stored at `key`, if any."""
        ...

    def presign(self, key: str, version_id: str, expires_in: int) -> str: ...


class ExportQueue(Protocol):
    def send(self, export_id: str) -> None: ...


class NoticeCatalog(Protocol):
    """Published privacy-notice versions (the index's view of the `notice_published` events)."""

    def versions(self, notice_id: str | None = None) -> list[NoticeVersion]:
        """Every version (of one notice, or of all), by notice id then publication order."""
        ...

    def add(self, version: NoticeVersion, event: StoredEvent) -> None:
        """Index the version and its event at once; ConflictError if that position or version is taken."""
        ...


class ConsentStore(Protocol):
    """A consumer's consent log: their consent events in order, and the state folded from them."""

    def state(self, consumer_tag: str) -> ConsentState | None: ...

    def append(self, state: ConsentState, event: StoredEvent, expected_seq: int) -> None:
        """Index the event and the state after it; ChainConflictError if another writer moved the log first."""
        ...

    def events(self, consumer_tag: str) -> list[StoredEvent]:
        """The consumer's consent events, oldest first."""
        ...
