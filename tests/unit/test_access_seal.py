"""Sealing batch objects of access events (services/access_seal.py) over in-memory ports: one leaf per event bound
to its object's version, copies appended once, whole objects per run, crashes finished by the next run, and the
listing cursor never passing an object that may still be unmarked."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import Settings
from shared.errors import EventNotFoundError, LedgerInconsistentError
from shared.ledger.leaf_paths import decode_paths, paths_key
from shared.ledger.retention import retain_until
from shared.models.domain import RecordType
from shared.ledger import merkle
from shared.ledger.envelope import Actor
from shared.models.access_batch import AcceptedAccess
from shared.models.access_events import AccessEventIn
from shared.services import ledger_proofs
from shared.services.access_batches import access_event_id, access_row, write_batch_object
from shared.services.access_ocsf import producer_key
from shared.services.access_seal import LISTING_GRACE, AccessBatchQueue, routed_marks, seal_everything
from shared.services.merkle_log import MerkleLog
from shared.services.sealed_access import sealed_access_events
from tests.fakes import FakeAccessLeaves, FakeBatchObjects, FakeLogState, FakeSigner, FakeUnsealedEvents
from tests.unit.test_seal_log import add_events

PRODUCER = Actor(type="service", id="crm-producer", role="service")
AUDITOR = Actor(type="staff", id="u9", role="auditor")


def event(number: int, clock) -> AccessEventIn:
    return AccessEventIn.model_validate({
        "event_id": f"crm-{number}", "occurred_at": (clock.moment - timedelta(minutes=1)).isoformat(),
        "actor": {"id": f"agent-{number % 3}", "type": "user"}, "action": "read", "source": {"service": "crm"},
        "consumer": {"email": f"c{number % 4}@example.com"}, "data_categories": ["identifiers"],
        "purpose": "support"})


def rows(ledger, clock, numbers):
    out = []
    for n in numbers:
        item = event(n, clock)
        key = producer_key(item, PRODUCER.id)
        out.append(access_row(ledger, AcceptedAccess(item, PRODUCER, "ab" * 32, "cd" * 32, key, clock.moment)))
    return out


def test_a_redelivered_stream_record_builds_the_very_same_row(ledger, clock):
    """The stream delivers at least once: a second delivery of a record must not make a second, different
    envelope, or search (earliest copy) and the sealer (first object) could show different copies of one event."""
    from shared.adapters.kinesis_access_stream import accepted_of, record_data

    item = event(7, clock)
    record = record_data(AcceptedAccess(item, PRODUCER, "ab" * 32, "cd" * 32, producer_key(item, PRODUCER.id),
                                        clock.moment))
    first, second = access_row(ledger, accepted_of(record)), access_row(ledger, accepted_of(record))
    assert first == second
    assert first.envelope.count(accepted_of(record).nonce) == 1


@pytest.fixture
def leaves():
    return FakeAccessLeaves()


@pytest.fixture
def log(ledger, leaves):
    return MerkleLog(objects=ledger.evidence, queue=FakeUnsealedEvents(ledger.index), state=FakeLogState(),
                     signer=FakeSigner(), settings=Settings(), access_leaves=leaves)


def queue(ledger, leaves, now=None):
    return AccessBatchQueue(FakeBatchObjects(ledger.evidence), ledger.evidence, leaves,
                            now or datetime.now(UTC), ledger.settings)


def write(ledger, batch):
    return write_batch_object(ledger.evidence, ledger.settings, batch, ledger.now())


def test_each_event_of_each_object_is_one_leaf_bound_to_its_objects_version(ledger, clock, log, leaves):
    first = write(ledger, rows(ledger, clock, range(10)))
    second = write(ledger, rows(ledger, clock, range(5, 15)))  # 5-9 delivered again in another object
    result = seal_everything(log, queue(ledger, leaves), clock.moment)
    assert result.sealed == 15 and result.tree_size == 15
    assert set(leaves.marks) == {first[0], second[0]}
    sealed = sealed_access_events(leaves, ledger.evidence, dict.fromkeys(r.event_id for r in rows(ledger, clock,
                                                                                                   range(15))))
    assert {stored.s3_key for stored in sealed.values()} == {first[0], second[0]}
    for key, version, _ in (first, second):
        for stored in [e for e in sealed.values() if e.s3_key == key]:
            assert stored.batch_version == version == stored.s3_version_id
    proof = ledger_proofs.event_proof(ledger, log, rows(ledger, clock, [7])[0].event_id, AUDITOR)
    data = bytes.fromhex(proof.leaf_data)
    assert data.startswith(merkle.BATCH_LEAF_LABEL)
    assert merkle.verify_inclusion(merkle.leaf_hash(data), proof.leaf_index, proof.tree_size,
                                   [bytes.fromhex(h) for h in proof.inclusion_path], bytes.fromhex(proof.root))
    assert seal_everything(log, queue(ledger, leaves), clock.moment).sealed == 1  # only the proof's audit_read


def test_an_object_of_events_already_sealed_is_marked_without_a_leaf(ledger, clock, log, leaves):
    write(ledger, rows(ledger, clock, range(4)))
    seal_everything(log, queue(ledger, leaves), clock.moment)
    again = write(ledger, rows(ledger, clock, range(4)))
    assert seal_everything(log, queue(ledger, leaves), clock.moment).sealed == 0
    assert again[0] in leaves.marks and leaves.marks[again[0]].sealed_size is None
    assert paths_key(again[0]) not in ledger.evidence.objects  # its events' leaves name the first object


def test_ordinary_events_and_batch_objects_are_appended_by_separate_runs(ledger, clock, log, leaves):
    ordinary = add_events(ledger, clock, 3)
    write(ledger, rows(ledger, clock, range(4)))
    result = seal_everything(log, queue(ledger, leaves), clock.moment)
    assert result.sealed == 7 and log.state.get().size == 7
    assert sorted(ledger.index.events[e.event_id].leaf_index for e in ordinary) == [0, 1, 2]
    assert sorted(leaf.leaf_index for leaf in leaves.leaves.values()) == [3, 4, 5, 6]


def test_whole_objects_only_the_first_even_beyond_the_batch_size(ledger, clock, leaves):
    log = MerkleLog(objects=ledger.evidence, queue=FakeUnsealedEvents(ledger.index), state=FakeLogState(),
                    signer=FakeSigner(), settings=Settings(seal_batch_size=5), access_leaves=leaves)
    write(ledger, rows(ledger, clock, range(8)))
    write(ledger, rows(ledger, clock, range(8, 10)))
    assert seal_everything(log, queue(ledger, leaves), clock.moment).sealed == 8
    assert seal_everything(log, queue(ledger, leaves), clock.moment).sealed == 2


def test_a_crash_before_the_marker_is_finished_by_the_next_run_without_appending_again(ledger, clock, log,
                                                                                        leaves, monkeypatch):
    key, _, _ = write(ledger, rows(ledger, clock, range(6)))

    def crash(objects):
        raise RuntimeError("crashed before the sealed-batch marker")

    monkeypatch.setattr(leaves, "mark", crash)
    with pytest.raises(RuntimeError):
        seal_everything(log, queue(ledger, leaves), clock.moment)
    assert log.state.get().size == 6 and not log.state.get().marked and key not in leaves.marks
    monkeypatch.undo()
    add_events(ledger, clock, 2)  # the next run takes ordinary events first, yet finishes the batched marks
    result = seal_everything(log, queue(ledger, leaves), clock.moment)
    assert result.sealed == 2 and result.tree_size == 8
    assert key in leaves.marks and sorted(e.leaf_index for e in leaves.leaves.values()) == list(range(6))


def test_a_plain_seal_run_such_as_an_exports_finishes_a_crashed_access_run(ledger, clock, log, leaves,
                                                                            monkeypatch):
    from dataclasses import replace

    from shared.services.seal_log import seal_log

    key, _, _ = write(ledger, rows(ledger, clock, range(3)))
    monkeypatch.setattr(leaves, "put", lambda events: (_ for _ in ()).throw(RuntimeError("crashed")))
    with pytest.raises(RuntimeError):
        seal_everything(log, queue(ledger, leaves), clock.moment)
    monkeypatch.undo()
    exporting = replace(log, queue=routed_marks(log.queue, queue(ledger, leaves)))
    assert seal_log(exporting, clock.moment).sealed == 0
    assert key in leaves.marks and len(leaves.leaves) == 3 and log.state.get().marked


def test_the_cursor_passes_only_marked_objects_minted_before_the_grace(ledger, clock, log, leaves):
    first, _, _ = write(ledger, rows(ledger, clock, range(3)))
    seal_everything(log, queue(ledger, leaves), clock.moment)
    queue(ledger, leaves).oldest(10)  # minted just now: a writer still running could land a key before it
    assert leaves.cursor() == ""
    later = datetime.now(UTC) + LISTING_GRACE + timedelta(seconds=1)
    second, _, _ = write(ledger, rows(ledger, clock, range(3, 5)))
    assert [leaf.event_id for leaf in queue(ledger, leaves, later).oldest(10)] != []  # the unmarked one is offered
    assert leaves.cursor() == first  # ... and the cursor stops before it


def test_an_events_id_depends_on_its_producer_key_only():
    assert access_event_id("k" * 64) == access_event_id("k" * 64) != access_event_id("j" * 64)


def test_the_batched_leaf_binds_the_version():
    event_hash, tag = "11" * 32, "22" * 32
    one, other = merkle.leaf_data(event_hash, tag, "v1"), merkle.leaf_data(event_hash, tag, "v2")
    assert one != other and one.endswith(bytes.fromhex(event_hash)) and len(one) == 24 + 96
    assert merkle.leaf_data(event_hash, tag) == merkle.LEAF_LABEL + bytes.fromhex(tag + event_hash)  # v1 unchanged
    with pytest.raises(ValueError):
        merkle.leaf_data(event_hash, tag, "")


def test_each_batched_event_keeps_its_path_against_the_checkpoint_that_sealed_it(ledger, clock, log, leaves):
    add_events(ledger, clock, 3)
    write(ledger, rows(ledger, clock, range(6)))
    seal_everything(log, queue(ledger, leaves), clock.moment)
    root = bytes.fromhex(log.state.get().root)

    for stored in sealed_access_events(leaves, ledger.evidence, dict.fromkeys(leaves.leaves)).values():
        path = [stored.inclusion_path[i:i + 32] for i in range(0, len(stored.inclusion_path), 32)]
        leaf = merkle.leaf_hash(merkle.leaf_data(stored.event_hash, stored.consumer_tag, stored.batch_version))
        assert stored.sealed_size == 9 and merkle.verify_inclusion(leaf, stored.leaf_index, 9, path, root)


def test_leaf_items_hold_only_where_to_find_the_event(ledger, clock, log, leaves):
    key, _, _ = write(ledger, rows(ledger, clock, range(4)))
    seal_everything(log, queue(ledger, leaves), clock.moment)
    assert {type(leaf).__name__ for leaf in leaves.leaves.values()} == {"AccessLeaf"}
    assert {(leaf.batch_key, leaf.record) for leaf in leaves.leaves.values()} == {(key, n) for n in range(4)}
    marker = leaves.marks[key]
    assert marker.sealed_size == 4 and marker.paths_version == ledger.evidence.objects[paths_key(key)][1]


def test_the_paths_object_is_written_before_the_leaf_items_and_locked_as_the_batch(ledger, clock, log, leaves,
                                                                                  monkeypatch):
    key, _, _ = write(ledger, rows(ledger, clock, range(5)))
    monkeypatch.setattr(leaves, "put", lambda events: (_ for _ in ()).throw(RuntimeError("crashed")))
    crashing = queue(ledger, leaves)
    with pytest.raises(RuntimeError):
        seal_everything(log, crashing, clock.moment)
    body, version, until = ledger.evidence.objects[paths_key(key)]
    assert not leaves.leaves and not leaves.marks
    assert until == retain_until(RecordType.ACCESS_EVENT, crashing.now, ledger.settings)
    assert until >= ledger.evidence.objects[key][2]
    monkeypatch.undo()
    assert seal_everything(log, queue(ledger, leaves), clock.moment).sealed == 0  # finishes marking the batch
    assert ledger.evidence.objects[paths_key(key)][:2] == (body, version)  # found, the same bytes
    assert leaves.marks[key].paths_version == version and len(leaves.leaves) == 5
    assert decode_paths(body)[0] == 5


def test_a_paths_object_holding_other_bytes_stops_the_marking(ledger, clock, log, leaves):
    key, _, _ = write(ledger, rows(ledger, clock, range(3)))
    ledger.evidence.put_new(paths_key(key), b"other", retain_until=clock.moment + timedelta(days=800),
                            minimum_retain_until=clock.moment)
    with pytest.raises(LedgerInconsistentError):
        seal_everything(log, queue(ledger, leaves), clock.moment)
    assert not leaves.leaves and key not in leaves.marks and not log.state.get().marked


def test_a_leaf_whose_object_is_not_marked_yet_is_not_sealed_until_the_next_run(ledger, clock, log, leaves,
                                                                               monkeypatch):
    [row] = rows(ledger, clock, [1])
    write(ledger, [row])
    monkeypatch.setattr(leaves, "mark", lambda markers: (_ for _ in ()).throw(RuntimeError("crashed")))
    with pytest.raises(RuntimeError):
        seal_everything(log, queue(ledger, leaves), clock.moment)
    monkeypatch.undo()
    assert row.event_id in leaves.leaves and sealed_access_events(leaves, ledger.evidence, {row.event_id: None}) == {}
    with pytest.raises(EventNotFoundError):
        ledger_proofs.event_proof(ledger, log, row.event_id, AUDITOR)
    seal_everything(log, queue(ledger, leaves), clock.moment)
    assert ledger_proofs.event_proof(ledger, log, row.event_id, AUDITOR).leaf_index == 0


def test_a_search_copy_is_kept_only_when_it_is_the_sealed_one(ledger, clock, log, leaves, monkeypatch):
    from shared.models.access_search import BATCH_PREFIX, AccessRow
    from shared.services.access_log import stored_from_row

    first = rows(ledger, clock, range(3))
    key, version, _ = write(ledger, first)
    seal_everything(log, queue(ledger, leaves), clock.moment)
    retried = rows(ledger, clock, [2])[0]  # a producer's retry: the same id, another nonce, so another hash
    assert retried.event_id == first[2].event_id and retried.event_hash != first[2].event_hash
    held = {row.event_id: stored_from_row(AccessRow(row.event_id, row.recorded_at, row.action, row.service,
                                                    row.event_hash, row.envelope), BATCH_PREFIX)
            for row in (first[0], retried)}
    batch_reads = []
    monkeypatch.setattr(ledger.evidence, "get_version",
                        lambda k, v, read=ledger.evidence.get_version: batch_reads.append(k) or read(k, v))

    found = sealed_access_events(leaves, ledger.evidence, held)

    # the retried copy's sealed row only: the search's copy that is the sealed one is kept as it is
    assert [k for k in batch_reads if k.endswith(".parquet")] == [key]
    assert found[first[0].event_id].access_action == held[first[0].event_id].access_action
    assert found[retried.event_id].event_hash == first[2].event_hash  # the copy the leaf binds
    assert {e.batch_version for e in found.values()} == {version} and all(e.inclusion_path for e in found.values())


def test_items_written_before_slim_items_are_read_as_they_are(ledger, clock, log, leaves):
    from shared.models.records import StoredEvent

    [row] = rows(ledger, clock, [4])
    write(ledger, [row])
    seal_everything(log, queue(ledger, leaves), clock.moment)
    whole = sealed_access_events(leaves, ledger.evidence, {row.event_id: None})[row.event_id]
    leaves.leaves[row.event_id] = StoredEvent.model_validate_json(whole.model_dump_json()).model_copy(
        update={"inclusion_path": whole.inclusion_path})  # as the adapter reads an item of the old format
    leaves.marks.clear()  # old ledgers' markers named no paths object
    assert sealed_access_events(leaves, ledger.evidence, {row.event_id: None}) == {row.event_id: whole}
    proof = ledger_proofs.event_proof(ledger, log, row.event_id, AUDITOR)
    assert proof.leaf_index == whole.leaf_index and proof.event_hash == row.event_hash
