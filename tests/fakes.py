"""Dictionary-backed ports for unit tests of services (no moto, no sockets)."""

import hashlib
import hmac
from datetime import datetime
from functools import lru_cache

from shared.errors import (
    ChainConflictError,
    ConflictError,
    EvidenceExistsError,
    EvidenceMissingError,
    LedgerInconsistentError,
    RetentionTooShortError,
)
from shared.models.merkle_log import LogBatch, LogLeaf, LogState
from shared.models.records import OpenClock, RequestRecord, StoredEvent
from shared.models.search import RequestSearch, SearchPage


class FakeEvidenceStore:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, datetime]] = {}
        self.fail_next_put = False
        self.reads: list[str] = []

    def put_new(self, key: str, body: bytes, *, retain_until: datetime, minimum_retain_until: datetime,
                content_type: str = "application/json") -> str:
        if retain_until < minimum_retain_until:
            raise RetentionTooShortError(key)
        if key in self.objects:
            raise EvidenceExistsError(key)
        version = hashlib.sha256(key.encode() + body).hexdigest()[:16]
        self.objects[key] = (body, version, retain_until)
        return version

    def get_version(self, key: str, version_id: str) -> bytes:
        body, version, _ = self.objects.get(key, (b"", None, None))
        if version != version_id:
            raise EvidenceMissingError(key)
        return body

    def get_range(self, key: str, version_id: str, start: int, length: int) -> bytes:
        self.reads.append(key)
        return self.get_version(key, version_id)[start:start + length]

    def get_current(self, key: str) -> tuple[bytes, str]:
        self.reads.append(key)
        body, version, _ = self.objects[key]
        return body, version

    def find_current(self, key: str) -> bytes | None:
        self.reads.append(key)
        return self.objects[key][0] if key in self.objects else None

    def retained_until(self, key: str, version_id: str) -> datetime:
        return self.objects[key][2]

    def extend_retention(self, key: str, version_id: str, retain_until: datetime) -> tuple[datetime, datetime]:
        body, version, current = self.objects[key]
        if current >= retain_until:
            return current, current
        self.objects[key] = (body, version, retain_until)
        return current, retain_until


class FakeLedgerIndex:
    def __init__(self) -> None:
        self.requests: dict[str, RequestRecord] = {}
        self.events: dict[str, StoredEvent] = {}
        self.fail_writes = 0  # the next N index writes raise, as if DynamoDB were down
        self.outbox: dict = {}

    def _maybe_fail(self) -> None:
        if self.fail_writes:
            self.fail_writes -= 1
            raise RuntimeError("index unavailable")

    def create_request(self, request: RequestRecord, event: StoredEvent) -> None:
        self._maybe_fail()
        if request.request_id in self.requests:
            raise ConflictError(request.request_id)
        self.requests[request.request_id] = request
        self.events[event.event_id] = event

    def append_event(self, request: RequestRecord, event: StoredEvent, expected_seq: int, outbox=()) -> None:
        self._maybe_fail()
        if self.requests[request.request_id].chain_seq != expected_seq:
            raise ChainConflictError(request.request_id)
        self.requests[request.request_id] = request
        self.events[event.event_id] = event
        self.outbox.update({alert.alert_id: alert for alert in outbox})

    def pending_alerts(self):
        return list(self.outbox.values())

    def alert_sent(self, alert_id: str) -> None:
        self.outbox.pop(alert_id, None)

    def put_standalone_event(self, event: StoredEvent) -> None:
        self._maybe_fail()
        self.events[event.event_id] = event

    def find_event(self, event_id: str) -> StoredEvent | None:
        return self.events.get(event_id)

    def get_request(self, request_id: str) -> RequestRecord | None:
        return self.requests.get(request_id)

    def request_events(self, request_id: str) -> list[StoredEvent]:
        found = [e for e in self.events.values() if e.request_id == request_id and e.seq is not None]
        return sorted(found, key=lambda e: e.seq or 0)

    def search_requests(self, search: RequestSearch) -> SearchPage:
        found = [
            r
            for r in self.requests.values()
            if (search.consumer_tag is None or r.consumer_tag == search.consumer_tag)
            and (search.type is None or r.type == search.type)
            and (search.status is None or r.status == search.status)
        ]
        found.sort(key=lambda r: r.received_at, reverse=True)
        return SearchPage(items=found[: search.limit], cursor=None)

    def open_clocks(self, last_due=None, *, after=None, limit=None):
        found = self._open(last_due, with_records=False)
        found = [clock for clock in found if after is None or clock.position > after]
        return found if limit is None else found[:limit]

    def stream_open_clocks(self, last_due, *, page_size=100):
        yield from self._open(last_due, with_records=True)

    def count_open_clocks(self, due_after):
        return sum(clock.due > due_after for clock in self._open(None, with_records=False))

    def _open(self, last_due, *, with_records):
        return sorted(
            OpenClock(due=clock.due.isoformat(), request_id=record.request_id, clock=name.value,
                      request_type=record.type.value, alerted=clock.alerted, record=record if with_records else None)
            for record in self.requests.values()
            for name, clock in record.clocks.items()
            if clock.satisfied_at is None and (last_due is None or clock.due.isoformat() <= last_due)
        )


class FakeUnsealedEvents:
    """The sealer's queue over FakeLedgerIndex: events without a leaf index. `crash_after` marks, it raises."""

    def __init__(self, index: FakeLedgerIndex) -> None:
        self.index = index
        self.crash_after: int | None = None

    def oldest(self, limit: int) -> list[LogLeaf]:
        waiting = sorted((e for e in self.index.events.values() if e.leaf_index is None),
                         key=lambda e: (e.recorded_at, e.event_id))
        return [LogLeaf.of_event(e.event_id, e.event_hash, e.consumer_tag, e.recorded_at, ("EVT", e.event_id))
                for e in waiting[:limit]]

    def mark_sealed(self, batch: LogBatch) -> None:
        for leaf_index, (leaf, path) in enumerate(zip(batch.leaves, batch.paths, strict=True), start=batch.start):
            if self.crash_after is not None and leaf_index - batch.start >= self.crash_after:
                raise RuntimeError("sealer crashed while marking")
            event = self.index.events[leaf.event_id]
            if event.leaf_index not in (None, leaf_index):
                raise LedgerInconsistentError(leaf.event_id)
            self.index.events[leaf.event_id] = event.model_copy(
                update={"leaf_index": leaf_index, "sealed_size": batch.end, "inclusion_path": path})


class FakeLogState:
    def __init__(self) -> None:
        self.state: LogState | None = None

    def get(self) -> LogState | None:
        return self.state

    def advance(self, state: LogState, expected_size: int) -> bool:
        current = self.state
        if (current.size if current else 0) != expected_size or (current is not None and not current.marked):
            return False
        self.state = state
        return True

    def mark_done(self, size: int) -> None:
        if self.state is not None and self.state.size == size:
            self.state = self.state.model_copy(update={"marked": True})


class FakeSigner:
    """A real P-256 key held in memory, standing in for the KMS key."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.fail_next_sign = False

    def public_key_der(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        if self.fail_next_sign:
            self.fail_next_sign = False
            raise RuntimeError("KMS unavailable")
        return self.key.sign(message, ec.ECDSA(hashes.SHA256()))


class FakeTagger:
    """HMAC with a fixed key; remembers subjects as KmsConsumerTagger does (a repeated consumer costs no MAC)."""

    def __init__(self) -> None:
        self.tag = lru_cache(maxsize=4096)(self._mac)  # type: ignore[method-assign]

    @staticmethod
    def _mac(subject: str) -> str:
        return hmac.new(b"test-key", subject.encode(), hashlib.sha256).hexdigest()


class FakeAlerts:
    def __init__(self):
        self.sent = []
        self.integrity = []

    def publish(self, alerts):
        self.sent.extend(alerts)

    def report(self, alert):
        self.integrity.append(alert)


class FakeRegistry:
    def __init__(self) -> None:
        self.systems: dict = {}

    def get(self, system_id):
        return self.systems.get(system_id)

    def save(self, system, expected_version) -> None:
        current = self.systems.get(system.system_id)
        if (current.version if current else None) != expected_version:
            raise ConflictError(system.system_id)
        self.systems[system.system_id] = system

    def remove(self, system_id, expected_version, removed_at) -> None:
        self.systems.pop(system_id, None)

    def list(self):
        return sorted(self.systems.values(), key=lambda s: s.system_id)


class FakeWorkflow:
    def __init__(self) -> None:
        self.started: dict[str, dict] = {}
        self.answers: list[tuple] = []

    def start(self, name, payload):
        self.started.setdefault(name, payload)
        return f"arn:aws:states:us-east-1:123456789012:execution:fake:{name}"

    def succeed(self, task_token, output):
        self.answers.append(("success", task_token, output))
        return True

    def fail(self, task_token, error, cause):
        self.answers.append(("failure", task_token, error))
        return True


class FakeSecrets:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def put(self, name, secret) -> None:
        self.values[name] = secret

    def get(self, name):
        return self.values.get(name)


class FakeTaskTokens:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def put(self, request_id, system_id, task_token, instruction_id) -> None:
        self.values[(request_id, system_id)] = task_token

    def get(self, request_id, system_id):
        return self.values.get((request_id, system_id))


class FakeReplayGuard:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first_use(self, key, expires_at) -> bool:
        fresh = key not in self.seen
        self.seen.add(key)
        return fresh


class FakeGpcIdentities:
    def __init__(self) -> None:
        self.links: dict[str, str] = {}

    def find(self, tags):
        return {tag: self.links[tag] for tag in tags if tag in self.links}

    def link(self, tag, request_id) -> bool:
        return self.links.setdefault(tag, request_id) == request_id


def fake_downstream():
    from shared.services.downstream import Downstream

    return Downstream(registry=FakeRegistry(), secrets=FakeSecrets(), workflow=FakeWorkflow(), tokens=FakeTaskTokens(),
                      webhooks=None, replays=FakeReplayGuard(), gpc=FakeGpcIdentities())


class FakeNoticeCatalog:
    def __init__(self, index: FakeLedgerIndex) -> None:
        self.index = index
        self.items: list = []

    def versions(self, notice_id=None):
        found = [v for v in self.items if notice_id is None or v.notice_id == notice_id]
        return sorted(found, key=lambda v: (v.notice_id, v.seq))

    def add(self, version, event: StoredEvent) -> None:
        if any((v.notice_id, v.seq) == (version.notice_id, version.seq) for v in self.items):
            raise ConflictError(version.notice_id)
        self.items.append(version)
        self.index.events[event.event_id] = event


class FakeConsentStore:
    def __init__(self, index: FakeLedgerIndex) -> None:
        self.index = index
        self.states: dict = {}
        self.logs: dict[str, list[StoredEvent]] = {}

    def state(self, consumer_tag):
        return self.states.get(consumer_tag)

    def append(self, state, event: StoredEvent, expected_seq: int) -> None:
        current = self.states.get(state.consumer_tag)
        if (current.seq if current else 0) != expected_seq:
            raise ChainConflictError(state.consumer_tag)
        self.states[state.consumer_tag] = state
        self.logs.setdefault(state.consumer_tag, []).append(event)
        self.index.events[event.event_id] = event

    def events(self, consumer_tag):
        return list(self.logs.get(consumer_tag, []))


class FakeBatchObjects:
    """Listing FakeEvidenceStore's batch objects in key order."""

    def __init__(self, evidence: FakeEvidenceStore) -> None:
        self.evidence = evidence

    def list_after(self, start_after: str, limit: int) -> list[tuple[str, str]]:
        from shared.models.access_batch import is_batch_key

        keys = sorted(k for k in self.evidence.objects if is_batch_key(k) and k > start_after)
        return [(k, self.evidence.objects[k][1]) for k in keys[:limit]]


class FakeAccessLeaves:
    def __init__(self) -> None:
        self.leaves: dict[str, object] = {}  # AccessLeaf, or a StoredEvent as items before slim items held
        self.marks: dict[str, object] = {}  # key -> BatchMarker
        self.position = ""

    def marked(self, keys) -> set[str]:
        return {k for k in keys if k in self.marks}

    def mark(self, markers) -> None:
        self.marks.update({marker.key: marker for marker in markers})

    def markers(self, keys) -> dict:
        return {k: self.marks[k] for k in keys if k in self.marks}

    def sealed(self, event_ids) -> set[str]:
        return {i for i in event_ids if i in self.leaves}

    def put(self, leaves) -> None:
        for leaf in leaves:
            if self.leaves.get(leaf.event_id, leaf).leaf_index != leaf.leaf_index:
                raise LedgerInconsistentError(leaf.event_id)
            self.leaves[leaf.event_id] = leaf

    def find(self, event_ids) -> dict:
        return {i: self.leaves[i] for i in event_ids if i in self.leaves}

    def cursor(self) -> str:
        return self.position

    def set_cursor(self, key: str) -> None:
        self.position = max(self.position, key)


class FakePrefixObjects:
    """FakeEvidenceStore's objects by prefix, in key order."""

    def __init__(self, evidence: FakeEvidenceStore) -> None:
        self.evidence = evidence

    def under(self, prefix: str) -> list[tuple[str, str]]:
        return [(k, self.evidence.objects[k][1]) for k in sorted(self.evidence.objects) if k.startswith(prefix)]

    def first_after(self, prefix: str) -> str | None:
        return next((k for k, _ in self.under(prefix)), None)


class FakeCompactionState:
    def __init__(self) -> None:
        self.watermark = None

    def compacted_before(self):
        return self.watermark

    def advance(self, expected, to) -> bool:
        if self.watermark != expected:
            return False
        self.watermark = to
        return True


class CrashingPuts:
    """Stands in for an evidence store's put_new: the first `allowed` writes go through, the next one raises, as if
    the function had stopped there."""

    def __init__(self, put_new, allowed: int) -> None:
        self.put_new = put_new
        self.allowed = allowed
        self.keys: list[str] = []

    def __call__(self, key, body, **kwargs):
        if len(self.keys) == self.allowed:
            raise RuntimeError("the function timed out")
        self.keys.append(key)
        return self.put_new(key, body, **kwargs)
