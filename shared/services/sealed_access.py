"""Sealed batched access events as proofs and exports need them (services/access_seal.py seals them).

An event's slim leaf item names its leaf and its batch object; the object's sealed-batch marker names the version
the leaf binds and the checkpoint that sealed it; the event itself is the object's row, and its inclusion path
against that checkpoint is one record of the object's paths object (shared/ledger/leaf_paths.py). Items written
before slim items hold the whole event and are used as they are. An item whose object has no marker yet is a run
that crashed between the two writes: the event counts as unsealed until the next run finishes marking.
"""

import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from shared.errors import LedgerInconsistentError
from shared.ledger import leaf_paths, merkle
from shared.models.access_batch import AccessBatchRow
from shared.models.access_leaves import AccessLeaf, BatchMarker
from shared.models.domain import EventType, RecordType
from shared.models.records import StoredEvent
from shared.ports import AccessLeaves, EvidenceStore

READERS = 16


def sealed_access_event(leaves: AccessLeaves, evidence: EvidenceStore, event_id: str) -> StoredEvent | None:
    """The sealed event as its batch object's row gives it, without its path (a proof is built against the latest
    checkpoint, not the sealing one)."""
    return sealed_access_events(leaves, evidence, {event_id: None}, paths=False).get(event_id)


def sealed_access_events(leaves: AccessLeaves, evidence: EvidenceStore, events: Mapping[str, StoredEvent | None],
                         paths: bool = True) -> dict[str, StoredEvent]:
    """The sealed ones among `events` (id -> the event as the caller has it, e.g. from a search row, or None),
    each with its leaf, its batch object and version, and (`paths`) its path against the checkpoint that sealed it.
    A caller's event is kept when its path record shows it is the sealed copy; otherwise the sealed copy's row is
    read."""
    found = leaves.find(list(events))
    legacy = {event_id: leaf for event_id, leaf in found.items() if isinstance(leaf, StoredEvent)}
    slim = [leaf for leaf in found.values() if isinstance(leaf, AccessLeaf)]
    markers = leaves.markers(sorted({leaf.batch_key for leaf in slim}))
    ready = [leaf for leaf in slim if _marked_with_paths(markers.get(leaf.batch_key))]
    records = _path_records(evidence, ready, markers) if paths else {}
    # The record's leaf hash tells whether the caller's copy is the one sealed (without records: never assumed).
    held = {leaf.event_id: event for leaf in ready if (event := events.get(leaf.event_id)) is not None
            and leaf.event_id in records
            and _leaf_hash(event, markers[leaf.batch_key].version) == records[leaf.event_id].leaf_hash}
    rows = _sealed_rows(evidence, [leaf for leaf in ready if leaf.event_id not in held], markers)
    out: dict[str, StoredEvent] = dict(legacy)
    for leaf in ready:
        marker = markers[leaf.batch_key]
        event = held.get(leaf.event_id) or _stored(rows[leaf.event_id], leaf.batch_key, marker.version)
        record = records.get(leaf.event_id)
        out[leaf.event_id] = event.model_copy(update={
            "s3_key": leaf.batch_key, "s3_version_id": marker.version, "batch_version": marker.version,
            "leaf_index": leaf.leaf_index, "sealed_size": marker.sealed_size,
            "inclusion_path": record.path if record is not None else None})
    return out


def _marked_with_paths(marker: BatchMarker | None) -> bool:
    return marker is not None and marker.sealed_size is not None and marker.paths_version is not None


def _path_records(evidence: EvidenceStore, ready: list[AccessLeaf],
                  markers: Mapping[str, BatchMarker]) -> dict[str, leaf_paths.PathRecord]:
    """Each event's record: one ranged GET of its object's paths object, checked to be about its leaf."""

    def read(leaf: AccessLeaf) -> tuple[str, leaf_paths.PathRecord]:
        marker = markers[leaf.batch_key]
        size = marker.sealed_size or 0
        start, length = leaf_paths.record_range(size, leaf.record)
        data = evidence.get_range(leaf_paths.paths_key(leaf.batch_key), marker.paths_version or "", start, length)
        try:
            record = leaf_paths.decode_record(size, data)
        except ValueError as error:
            raise LedgerInconsistentError(f"the path record of event {leaf.event_id}: {error}") from error
        if record.leaf_index != leaf.leaf_index:
            raise LedgerInconsistentError(f"the path record of event {leaf.event_id} is about leaf "
                                          f"{record.leaf_index}, its item says {leaf.leaf_index}")
        return leaf.event_id, record

    if len(ready) <= 1:
        return dict(map(read, ready))
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        return dict(pool.map(read, ready))


def _sealed_rows(evidence: EvidenceStore, wanted: Iterable[AccessLeaf],
                 markers: Mapping[str, BatchMarker]) -> dict[str, AccessBatchRow]:
    """The sealed copies' rows, each batch object read once at the version its marker names."""
    from shared.ledger.parquet_batches import rows_by_event_id  # pyarrow: only readers of batched events load it

    by_object: dict[str, list[str]] = {}
    for leaf in wanted:
        by_object.setdefault(leaf.batch_key, []).append(leaf.event_id)
    rows: dict[str, AccessBatchRow] = {}
    for key, event_ids in by_object.items():
        held = rows_by_event_id(evidence.get_version(key, markers[key].version))
        missing = [event_id for event_id in event_ids if event_id not in held]
        if missing:
            raise LedgerInconsistentError(f"batch object {key} holds no row for sealed events {missing[:3]}")
        rows.update((event_id, held[event_id]) for event_id in event_ids)
    return rows


def _leaf_hash(event: StoredEvent, version: str) -> bytes:
    return merkle.leaf_hash(merkle.leaf_data(event.event_hash, event.consumer_tag, version))


def _stored(row: AccessBatchRow, key: str, version: str) -> StoredEvent:
    actor = json.loads(row.envelope)["actor"]
    return StoredEvent(
        event_id=row.event_id, type=EventType.DATA_ACCESS, request_id=None, seq=None, event_hash=row.event_hash,
        prev_event_hash=None, consumer_tag=row.consumer_tag, occurred_at=row.occurred_at,
        recorded_at=row.recorded_at, record_type=RecordType.ACCESS_EVENT, actor_type=actor["type"],
        actor_role=actor.get("role"), s3_key=key, s3_version_id=version, batch_version=version,
        actor_tag=row.actor_tag, access_action=row.action, access_service=row.service)

