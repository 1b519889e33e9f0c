"""Domain records of the Merkle log: a leaf waiting to be sealed, a sealed batch, and the log's state item."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.ledger import merkle


class LogLeaf(BaseModel):
    """One event as the log sees it: its leaf hash, and where the index keeps the event. The leaf's data (with the
    consumer tag) stays in the index, so the batch objects that record leaves hold no identifiers of people."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    leaf_hash: str  # lowercase hex
    recorded_at: datetime
    index_key: tuple[str, str]  # the event's item in the index; opaque to services

    @classmethod
    def of_event(cls, event_id: str, event_hash: str, consumer_tag: str | None, recorded_at: datetime,
                 index_key: tuple[str, str], batch_version: str | None = None) -> "LogLeaf":
        leaf_hash = merkle.leaf_hash(merkle.leaf_data(event_hash, consumer_tag, batch_version)).hex()
        return cls(event_id=event_id, leaf_hash=leaf_hash, recorded_at=recorded_at, index_key=index_key)

    def sort_key(self) -> tuple[datetime, str]:
        return self.recorded_at, self.event_id


class LogBatch(BaseModel):
    """The leaves appended to the tree of size `start`, in leaf order; fixed once by a create-only object."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    leaves: list[LogLeaf]
    # Each leaf's inclusion path against the checkpoint at `end` (concatenated hashes, leaf order): computed by the
    # sealer for the marks, never part of the stored batch object. An empty list default is copied for each
    # instance, as `default_factory=list` would be, without pydantic reading `list`'s signature at the class build
    # (a tokenizer run: about 2 ms of every cold start that builds these models).
    paths: list[bytes] = Field(default=[], exclude=True, repr=False)

    @property
    def end(self) -> int:
        return self.start + len(self.leaves)


class LogState(BaseModel):
    """The log's single state item: the latest signed checkpoint, and whether its batch's events are marked yet."""

    model_config = ConfigDict(frozen=True)

    size: int = Field(ge=1)
    root: str  # lowercase hex
    checkpoint: str  # the signed note
    checkpoint_key: str
    checkpoint_version: str
    key_id: str  # signed-note key ID (hex) of the key that signed the checkpoint
    batch_key: str  # the object holding the batch that produced this size
    marked: bool  # every event of that batch carries its leaf index
    # The hashes of merkle.edge_nodes(size) (hex): the tree's right edge, which every proof to this size ends in,
    # so readers need not open the partial tiles of each level for it. Empty in states written before it was kept.
    edge: list[str] = Field(default=[])  # copied for each instance (see LogBatch.paths)
