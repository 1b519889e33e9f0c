"""Domain records: a consumer request as the index holds it, and a stored event's index entry."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.models.domain import Channel, ClockName, RequestStatus, RequestType
from shared.timefmt import rfc3339


class ClockRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    due: date
    satisfied_at: datetime | None = None
    extended: bool = False
    alerted: str | None = None  # last alert level the sweeper recorded: at_risk | overdue


class DownstreamState(BaseModel):
    """One downstream system's progress on a request (a fold over its instruction and confirmation events)."""

    model_config = ConfigDict(frozen=True)

    status: str = "pending"  # pending | instructed | confirmed | failed | timed_out
    connector: str | None = None
    instruction_id: str | None = None
    attempts: int = 0
    instruction_sent_at: datetime | None = None
    confirmed_at: datetime | None = None
    last_error: str | None = None
    outcome_for: str | None = None  # the instruction whose outcome (confirmed/failed/timed out) is recorded


class RequestRecord(BaseModel):
    """The index's view of a request: derived entirely from its ledger events (see services/projection.py)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    type: RequestType
    channel: Channel
    status: RequestStatus
    received_at: datetime
    recorded_at: datetime
    consumer_tag: str | None
    clocks: dict[ClockName, ClockRecord]
    chain_seq: int
    chain_head: str
    response_date: datetime | None = None
    response_nature: str | None = None
    denial_basis: str | None = None
    scope: str | None = None  # know requests: categories | specific_pieces (downgraded when unverifiable)
    # Identifiers stay in the evidence object; the index keeps where to find it.
    intake_key: str
    intake_version: str
    fanout: str | None = None  # name of the suppression execution once started
    downstream: dict[str, DownstreamState] = Field(default_factory=dict)  # a `{}` default is deep-copied per record

    def identity_fields(self) -> dict[str, str]:
        """Id, kind, state and times as JSON text: the API's summary and the index item both start from these."""
        return {
            "request_id": self.request_id,
            "type": self.type.value,
            "channel": self.channel.value,
            "status": self.status.value,
            "received_at": rfc3339(self.received_at),
            "recorded_at": rfc3339(self.recorded_at),
        }

    @property
    def closed(self) -> bool:
        if self.status == RequestStatus.HONORED:
            return self.type.is_opt_out
        return self.status.closed


class StoredEvent(BaseModel):
    """Where an event's locked object lives and the facts the index needs to find and seal it."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    type: str
    request_id: str | None
    seq: int | None
    event_hash: str
    prev_event_hash: str | None
    consumer_tag: str | None
    occurred_at: datetime
    recorded_at: datetime
    record_type: str
    actor_type: str
    actor_role: str | None
    s3_key: str
    s3_version_id: str
    leaf_index: int | None = None
    sealed_size: int | None = None  # size of the first checkpoint whose tree holds the event
    # The event's inclusion path against that checkpoint (32-byte hashes, deepest first), recorded by the sealer;
    # None for events sealed before it recorded paths (their proofs are built from tiles).
    inclusion_path: bytes | None = Field(default=None, exclude=True, repr=False)
    # Set for an access event stored in a batch object (s3_key/s3_version_id name the object): its leaf binds it.
    batch_version: str | None = None
    # Access-log keys (access events, reads of the ledger, exports): who (HMAC tag), what, from which service.
    actor_tag: str | None = None
    access_action: str | None = None
    access_service: str | None = None


class OpenClock(BaseModel):
    """An unsatisfied clock as the sparse OpenClocks index holds it (all the sweeper needs, no request read)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    due: str
    request_id: str
    clock: str
    request_type: str
    alerted: str | None = None
    # The request as of the clock item's last write, when read with it (`stream_open_clocks`): the index is
    # eventually consistent, so it may be behind; a writer using it still appends only on the chain head it names.
    record: RequestRecord | None = None

    @property
    def position(self) -> str:
        """Its sort key in the sparse OpenClocks index (due first), usable as an `after` bound."""
        return f"{self.due}#{self.request_id}#{self.clock}"

    def __lt__(self, other: "OpenClock") -> bool:
        return (self.due, self.request_id, self.clock) < (other.due, other.request_id, other.clock)
