"""Sealing batched access events: every event of every batch object becomes one leaf of the Merkle log.

The sealer (seal_log.py) is unchanged: it appends what a queue offers and marks it once the checkpoint is
signed, and it is safe to crash anywhere. AccessBatchQueue offers the events of batch objects not yet marked
sealed, whole objects at a time and each event once (copies delivered twice, in one object or in two, are
skipped by event id), with leaves that bind each event's hash to its object's version. Marking writes each
object's paths object (its events' inclusion paths, shared/ledger/leaf_paths.py), then each event's slim leaf item
(for proofs, exports and de-duplication: services/sealed_access.py reads them) and then the object's sealed-batch
marker, so an object whose delivery happened but whose sealing crashed is simply offered again by the next run:
nothing accepted is lost.

New objects are found by listing keys after a cursor. Keys sort by received day and UUIDv7 (minted just before the
write), so a key can appear below keys already listed only while its writer is still running: the cursor
therefore stops at marked keys minted more than LISTING_GRACE ago.
"""

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from shared.config import Settings
from shared.errors import EvidenceExistsError, LedgerInconsistentError
from shared.ledger.leaf_paths import PathRecord, encode_paths, paths_key
from shared.ledger.retention import minimum_retain_until, retain_until
from shared.models.access_batch import AccessBatchRow, is_batch_key
from shared.models.access_leaves import AccessLeaf, BatchMarker
from shared.models.domain import RecordType
from shared.models.merkle_log import LogBatch, LogLeaf
from shared.ports import AccessLeaves, BatchObjects, EvidenceStore, UnsealedEvents
from shared.services.merkle_log import MerkleLog
from shared.services.seal_log import SealResult, seal_log

LISTING_GRACE = timedelta(minutes=20)  # longer than the stream consumer's timeout (template.yaml)
LISTED_PER_RUN = 5000


@dataclass
class AccessBatchQueue:
    objects: BatchObjects
    evidence: EvidenceStore
    leaves: AccessLeaves
    now: datetime
    settings: Settings
    _rows: dict[tuple[str, str], dict[str, AccessBatchRow]] = field(default_factory=dict)

    def oldest(self, limit: int) -> list[LogLeaf]:
        cursor = self.leaves.cursor()
        listed = self.objects.list_after(cursor, LISTED_PER_RUN)
        marked = self.leaves.marked([key for key, _ in listed])
        self._advance(cursor, listed, marked)
        offered: list[LogLeaf] = []
        seen: set[str] = set()
        for key, version in (item for item in listed if item[0] not in marked):
            fresh = [row for event_id, row in self._read(key, version).items() if event_id not in seen]
            done = self.leaves.sealed([row.event_id for row in fresh])
            new = [_leaf(row, key, version) for row in fresh if row.event_id not in done]
            if offered and len(offered) + len(new) > limit:
                break  # whole objects only; the first one is taken whatever its size
            if not new:  # every event of it is sealed already (a second delivery)
                self.leaves.mark([BatchMarker(key=key, version=version)])
                continue
            offered += new
            seen.update(leaf.event_id for leaf in new)
        return offered

    def mark_sealed(self, batch: LogBatch) -> None:
        """Each object's paths object, then the events' leaf items, then the objects' markers: a crash anywhere
        leaves the objects unmarked, and the run that finishes them writes (or finds) the very same paths bytes,
        fixed by the batch and the checkpoint."""
        if len(batch.paths) != len(batch.leaves):
            raise ValueError("marking batched events needs every leaf's inclusion path")
        objects: dict[tuple[str, str], list[PathRecord]] = {}
        leaves: list[AccessLeaf] = []
        for index, leaf, path in zip(range(batch.start, batch.end), batch.leaves, batch.paths, strict=True):
            records = objects.setdefault(leaf.index_key, [])
            leaves.append(AccessLeaf(event_id=leaf.event_id, leaf_index=index, batch_key=leaf.index_key[0],
                                     record=len(records)))
            records.append(PathRecord(index, bytes.fromhex(leaf.leaf_hash), path))
        markers = [BatchMarker(key=key, version=version, sealed_size=batch.end,
                               paths_version=self._store_paths(key, encode_paths(batch.end, records)))
                   for (key, version), records in objects.items()]
        self.leaves.put(leaves)
        self.leaves.mark(markers)
        self._rows.clear()  # a queue may live as long as its container

    def _store_paths(self, batch_key: str, body: bytes) -> str:
        """Create-only and locked as the batch objects are; the version of the bytes at the key, which must be these."""
        key = paths_key(batch_key)
        try:
            return self.evidence.put_new(key, body, retain_until=retain_until(RecordType.ACCESS_EVENT, self.now,
                                                                              self.settings),
                                         minimum_retain_until=minimum_retain_until(RecordType.ACCESS_EVENT, self.now),
                                         content_type="application/octet-stream")
        except EvidenceExistsError:
            stored, version = self.evidence.get_current(key)
            if stored != body:
                raise LedgerInconsistentError(f"{key} already holds other paths") from None
            return version

    def _read(self, key: str, version: str) -> dict[str, AccessBatchRow]:
        """The object's rows by event id (the first copy of an event it holds twice)."""
        from shared.ledger.parquet_batches import rows_by_event_id  # pyarrow: loaded by the sealer only

        if (key, version) not in self._rows:
            self._rows[key, version] = rows_by_event_id(self.evidence.get_version(key, version))
        return self._rows[key, version]

    def _advance(self, cursor: str, listed: list[tuple[str, str]], marked: set[str]) -> None:
        settled = self.now - LISTING_GRACE
        last = cursor
        for key, _ in listed:
            if key not in marked or _minted_at(key) > settled:
                break
            last = key
        if last != cursor:
            self.leaves.set_cursor(last)


@dataclass
class _Routed:
    """One queue to take from; marks go to whichever queue a leaf came from (a crashed run of either kind is
    finished by the next run, whatever it takes)."""

    take: UnsealedEvents
    events: UnsealedEvents
    batches: AccessBatchQueue

    def oldest(self, limit: int) -> list[LogLeaf]:
        return self.take.oldest(limit)

    def mark_sealed(self, batch: LogBatch) -> None:
        batched = [is_batch_key(leaf.index_key[0]) for leaf in batch.leaves]
        if any(batched) and not all(batched):
            raise ValueError("a log batch mixes batched access events with other events")
        (self.batches if all(batched) and batched else self.events).mark_sealed(batch)


def routed_marks(events: UnsealedEvents, batches: AccessBatchQueue) -> UnsealedEvents:
    """The index's queue, whose marks of a batched log batch (a crashed access run, finished by whichever run
    comes next, e.g. an export sealing first) go to the batch queue."""
    return _Routed(events, events, batches)


def seal_everything(log: MerkleLog, batches: AccessBatchQueue, now: datetime) -> SealResult:
    """Two appends per run: the events the index queues, then the access-event batch objects, so neither starves."""
    first = seal_log(replace(log, queue=_Routed(log.queue, log.queue, batches)), now)
    second = seal_log(replace(log, queue=_Routed(batches, log.queue, batches)), now)
    return SealResult(max(first.tree_size, second.tree_size), first.sealed + second.sealed)


def _leaf(row: AccessBatchRow, key: str, version: str) -> LogLeaf:
    return LogLeaf.of_event(row.event_id, row.event_hash, row.consumer_tag, row.recorded_at, (key, version),
                            batch_version=version)


def _minted_at(key: str) -> datetime:
    batch_id = key.rsplit("/", 1)[-1].removesuffix(".parquet")
    return datetime.fromtimestamp((uuid.UUID(batch_id).int >> 80) / 1000, tz=UTC)

