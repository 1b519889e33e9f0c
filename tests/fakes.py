"""Dictionary-backed ports for unit tests of services (no moto, no sockets)."""

import hashlib
import hmac
from datetime import datetime

from shared.errors import ChainConflictError, ConflictError, EvidenceExistsError, RetentionTooShortError
from shared.models.records import OpenClock, RequestRecord, StoredEvent
from shared.models.search import RequestSearch, SearchPage


class FakeEvidenceStore:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, datetime]] = {}
        self.fail_next_put = False

    def put_new(self, key: str, body: bytes, *, retain_until: datetime, minimum_retain_until: datetime) -> str:
        if retain_until < minimum_retain_until:
            raise RetentionTooShortError(key)
        if key in self.objects:
            raise EvidenceExistsError(key)
        version = hashlib.sha256(key.encode() + body).hexdigest()[:16]
        self.objects[key] = (body, version, retain_until)
        return version

    def get_version(self, key: str, version_id: str) -> bytes:
        body, version, _ = self.objects[key]
        assert version == version_id
        return body

    def get_current(self, key: str) -> tuple[bytes, str]:
        body, version, _ = self.objects[key]
        return body, version


class FakeLedgerIndex:
    def __init__(self) -> None:
        self.requests: dict[str, RequestRecord] = {}
        self.events: dict[str, StoredEvent] = {}
        self.fail_writes = 0  # the next N index writes raise, as if DynamoDB were down

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

    def append_event(self, request: RequestRecord, event: StoredEvent, expected_seq: int) -> None:
        self._maybe_fail()
        if self.requests[request.request_id].chain_seq != expected_seq:
            raise ChainConflictError(request.request_id)
        self.requests[request.request_id] = request
        self.events[event.event_id] = event

    def put_standalone_event(self, event: StoredEvent) -> None:
        self._maybe_fail()
        self.events[event.event_id] = event

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

    def open_clocks(self, last_due=None):
        return sorted(
            OpenClock(due=clock.due.isoformat(), request_id=record.request_id, clock=name.value,
                      request_type=record.type.value, alerted=clock.alerted)
            for record in self.requests.values()
            for name, clock in record.clocks.items()
            if clock.satisfied_at is None and (last_due is None or clock.due.isoformat() <= last_due)
        )

class FakeTagger:
    def tag(self, subject: str) -> str:
        return hmac.new(b"test-key", subject.encode(), hashlib.sha256).hexdigest()


class FakeAlerts:
    def __init__(self):
        self.sent = []

    def publish(self, alerts):
        self.sent.extend(alerts)


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
