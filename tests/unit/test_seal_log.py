import hashlib
import json
from datetime import timedelta

import pytest

from shared.config import Settings
from shared.errors import (
    CheckpointNotFoundError,
    EventNotFoundError,
    LedgerInconsistentError,
    NotSealedError,
    ValidationError,
)
from shared.ledger import checkpoint, merkle
from shared.ledger.envelope import Actor
from shared.models.records import StoredEvent
from shared.services import ledger_proofs
from shared.services.merkle_log import MerkleLog, public_key_pem
from shared.services.seal_log import seal_log
from tests.fakes import FakeLogState, FakeSigner, FakeUnsealedEvents

AUDITOR = Actor(type="staff", id="u9", role="auditor")


@pytest.fixture
def log(ledger):
    return MerkleLog(objects=ledger.evidence, queue=FakeUnsealedEvents(ledger.index), state=FakeLogState(),
                     signer=FakeSigner(), settings=Settings())


def add_events(ledger, clock, count, *, same_time=False):
    """Index `count` events (every third without a consumer); returns them in the order the log must hold them."""
    added = []
    for _ in range(count):
        n = len(ledger.index.events)
        if not same_time:
            clock.moment += timedelta(milliseconds=7)
        event = StoredEvent(
            event_id=f"evt-{hashlib.sha256(str(n).encode()).hexdigest()[:12]}", type="data_access", request_id=None,
            seq=None, event_hash=hashlib.sha256(f"event {n}".encode()).hexdigest(), prev_event_hash=None,
            consumer_tag=None if n % 3 == 0 else hashlib.sha256(f"consumer {n % 5}".encode()).hexdigest(),
            occurred_at=clock.moment, recorded_at=clock.moment, record_type="access_event", actor_type="service",
            actor_role="service", s3_key=f"events/{n}", s3_version_id="v1")
        ledger.index.events[event.event_id] = event
        added.append(event)
    return sorted(added, key=lambda e: (e.recorded_at, e.event_id))


def leaf_hashes(events):
    return [merkle.leaf_hash(merkle.leaf_data(e.event_hash, e.consumer_tag)) for e in events]


def ledger_objects(ledger):
    return {key: body for key, (body, _, _) in ledger.evidence.objects.items() if key.startswith("ledger/")}


def test_seal_appends_waiting_events_in_recorded_order_and_signs_the_root(ledger, clock, log):
    events = add_events(ledger, clock, 4) + add_events(ledger, clock, 3, same_time=True)
    events.sort(key=lambda e: (e.recorded_at, e.event_id))  # the last four share a time: the id decides

    result = seal_log(log, clock.moment)

    assert (result.tree_size, result.sealed) == (7, 7)
    assert [ledger.index.events[e.event_id].leaf_index for e in events] == list(range(7))
    state = log.state.get()
    assert state.marked and state.root == merkle.root(leaf_hashes(events)).hex()
    pem = public_key_pem(log.signer.public_key_der()).encode()
    assert checkpoint.open_signed_checkpoint(state.checkpoint, log.key_name, pem) == (
        log.key_name, 7, bytes.fromhex(state.root))
    assert ledger_objects(ledger)["ledger/checkpoints/00000000000000000007"].decode() == state.checkpoint


def test_a_second_seal_appends_only_new_events_and_its_tiles_match_the_whole_tree(ledger, clock, log):
    first = add_events(ledger, clock, 300)  # crosses a full 256-leaf tile
    assert seal_log(log, clock.moment).sealed == 300
    root_300 = bytes.fromhex(log.state.get().root)
    second = add_events(ledger, clock, 250)

    result = seal_log(log, clock.moment)

    assert (result.tree_size, result.sealed) == (550, 250)
    everything = leaf_hashes(first + second)
    assert log.state.get().root == merkle.root(everything).hex()
    stored = ledger_objects(ledger)
    for tile, data in merkle.tile_contents(everything).items():
        assert stored["ledger/" + tile.path] == data
    assert "ledger/tile/0/001.p/44" in stored  # the partial tile of size 300 stays, beside its successor
    proof = ledger_proofs.consistency(log, 300, 550)
    assert merkle.verify_consistency(300, 550, root_300, merkle.root(everything),
                                     [bytes.fromhex(h) for h in proof.proof])


def test_seal_drains_a_backlog_in_bounded_batches_when_more_events_wait(ledger, clock, log):
    events = add_events(ledger, clock, 10)
    log.settings = Settings(seal_batch_size=4)

    sizes = [seal_log(log, clock.moment).tree_size for _ in range(4)]

    assert sizes == [4, 8, 10, 10]
    assert log.state.get().root == merkle.root(leaf_hashes(events)).hex()


def test_seal_writes_nothing_when_no_event_waits(ledger, clock, log):
    result = seal_log(log, clock.moment)

    assert (result.tree_size, result.sealed) == (0, 0) and not ledger_objects(ledger) and log.state.get() is None


def test_every_log_object_is_locked_for_the_longest_retention_when_written(ledger, clock, log):
    add_events(ledger, clock, 3)
    seal_log(log, clock.moment)

    locks = [until for key, (_, _, until) in ledger.evidence.objects.items() if key.startswith("ledger/")]
    assert len(locks) == 3  # the batch, one partial tile and the checkpoint
    assert min(locks) >= clock.moment + timedelta(days=730)
    batch = json.loads(ledger.evidence.objects["ledger/batches/00000000000000000000.json"][0])
    assert set(batch["leaves"][0]) == {"event_id", "leaf_hash", "recorded_at", "index_key"}  # no consumer tag


def test_a_crash_after_the_swap_is_repaired_by_the_next_run_without_appending_again(ledger, clock, log):
    events = add_events(ledger, clock, 5)
    log.queue.crash_after = 2
    with pytest.raises(RuntimeError):
        seal_log(log, clock.moment)
    assert log.state.get().size == 5 and not log.state.get().marked
    later = add_events(ledger, clock, 2)
    log.queue.crash_after = None

    result = seal_log(log, clock.moment)

    assert (result.tree_size, result.sealed) == (7, 2)
    assert [ledger.index.events[e.event_id].leaf_index for e in events + later] == list(range(7))


def test_a_crash_before_the_swap_is_finished_with_the_same_batch_by_the_next_run(ledger, clock, log):
    events = add_events(ledger, clock, 5)
    log.signer.fail_next_sign = True  # the batch and tiles are stored, the checkpoint is not
    with pytest.raises(RuntimeError):
        seal_log(log, clock.moment)
    later = add_events(ledger, clock, 3)

    assert seal_log(log, clock.moment).tree_size == 5  # the stored batch wins; new events wait for the next run
    assert seal_log(log, clock.moment).tree_size == 8
    assert log.state.get().root == merkle.root(leaf_hashes(events + later)).hex()


def test_a_sealer_holding_a_stale_state_loses_the_swap_and_writes_nothing_new(ledger, clock, log):
    add_events(ledger, clock, 3)
    seal_log(log, clock.moment)
    stale = log.state.get()
    add_events(ledger, clock, 2)
    seal_log(log, clock.moment)
    current = log.state.get()
    waiting = add_events(ledger, clock, 4)
    before = dict(ledger.evidence.objects)
    answers = iter([stale])  # read just before the other sealer advanced the log
    log.state.get = lambda real=log.state.get: next(answers, None) or real()

    loser = seal_log(log, clock.moment)

    assert (loser.tree_size, loser.sealed, log.state.state) == (5, 0, current)
    assert ledger.evidence.objects == before  # it met the winner's batch, tiles and checkpoint
    assert all(ledger.index.events[e.event_id].leaf_index is None for e in waiting)
    assert seal_log(log, clock.moment).tree_size == 9


def test_seal_stops_when_a_stored_tile_no_longer_gives_the_checkpointed_root(ledger, clock, log):
    add_events(ledger, clock, 5)
    seal_log(log, clock.moment)
    body, version, until = ledger.evidence.objects["ledger/tile/0/000.p/5"]
    ledger.evidence.objects["ledger/tile/0/000.p/5"] = (bytes(32) + body[32:], version, until)
    add_events(ledger, clock, 1)

    with pytest.raises(LedgerInconsistentError):
        seal_log(log, clock.moment)


def test_an_event_proof_verifies_and_reads_only_a_few_tiles_when_the_log_is_large(ledger, clock, log):
    events = add_events(ledger, clock, 5000)
    seal_log(log, clock.moment)
    target = events[1234]
    ledger.evidence.reads.clear()

    proof = ledger_proofs.event_proof(ledger, log, target.event_id, AUDITOR)

    assert len(ledger.evidence.reads) <= 3  # the leaf's tile, the level-1 tile, the right edge
    assert (proof.leaf_index, proof.tree_size) == (1234, 5000)
    assert bytes.fromhex(proof.leaf_data).endswith(bytes.fromhex(target.event_hash))
    assert merkle.verify_inclusion(bytes.fromhex(proof.leaf_hash), 1234, 5000,
                                   [bytes.fromhex(h) for h in proof.inclusion_path], bytes.fromhex(proof.root))
    reads = [e for e in ledger.index.events.values() if e.type == "audit_read"]
    assert len(reads) == 1 and reads[0].consumer_tag == target.consumer_tag


def test_proof_and_checkpoint_reads_refuse_what_is_not_sealed_yet(ledger, clock, log):
    event = add_events(ledger, clock, 1)[0]
    with pytest.raises(NotSealedError):
        ledger_proofs.event_proof(ledger, log, event.event_id, AUDITOR)
    with pytest.raises(EventNotFoundError):
        ledger_proofs.event_proof(ledger, log, "no-such-event", AUDITOR)
    with pytest.raises(CheckpointNotFoundError):
        ledger_proofs.latest_checkpoint(log)
    seal_log(log, clock.moment)
    with pytest.raises(ValidationError):
        ledger_proofs.consistency(log, 0, 2)
    assert ledger_proofs.consistency(log, 0, 1).proof == []


def test_the_state_keeps_the_right_edge_so_a_proof_opens_no_edge_tile(ledger, clock, log):
    events = add_events(ledger, clock, 5000)
    seal_log(log, clock.moment)
    state = log.state.get()
    assert state is not None and len(state.edge) == bin(5000).count("1")
    ledger.evidence.reads.clear()

    proof = ledger_proofs.event_proof(ledger, log, events[1234].event_id, AUDITOR)

    # The leaf's tile and the level-1 tile: the partial level-0 tile at the edge (5000 = 19 * 256 + 136) is not read.
    assert sorted(ledger.evidence.reads) == ["ledger/tile/0/004", "ledger/tile/1/000.p/19"]
    assert merkle.verify_inclusion(bytes.fromhex(proof.leaf_hash), 1234, 5000,
                                   [bytes.fromhex(h) for h in proof.inclusion_path], bytes.fromhex(proof.root))


def test_an_edge_that_does_not_give_the_checkpointed_root_is_ignored_for_the_tiles(ledger, clock, log):
    events = add_events(ledger, clock, 600)
    seal_log(log, clock.moment)
    state = log.state.get()
    log.state.state = state.model_copy(update={"edge": [bytes(32).hex()] * len(state.edge)})
    ledger.evidence.reads.clear()

    proof = ledger_proofs.event_proof(ledger, log, events[5].event_id, AUDITOR)

    assert "ledger/tile/0/002.p/88" in ledger.evidence.reads
    assert merkle.verify_inclusion(bytes.fromhex(proof.leaf_hash), 5, 600,
                                   [bytes.fromhex(h) for h in proof.inclusion_path], bytes.fromhex(proof.root))


def test_the_sealer_keeps_the_previous_checkpoint_with_the_consistency_proof_it_stores(ledger, clock, log):
    add_events(ledger, clock, 5)
    seal_log(log, clock.moment)
    first_note = log.state.get().checkpoint
    add_events(ledger, clock, 3)
    seal_log(log, clock.moment)

    stored = json.loads(ledger.evidence.objects["ledger/consistency/00000000000000000005-00000000000000000008.json"][0])

    assert stored["from_checkpoint"] == first_note
    roots = [checkpoint.open_signed_checkpoint(note.encode(), log.key_name,
                                               public_key_pem(log.signer.public_key_der()).encode())[2]
             for note in (first_note, log.state.get().checkpoint)]
    assert merkle.verify_consistency(5, 8, *roots, [bytes.fromhex(h) for h in stored["proof"]])


def test_a_consistency_object_kept_before_it_held_its_checkpoint_still_serves_with_the_checkpoint_read(ledger, clock,
                                                                                                       log):
    from shared.services.merkle_log import cached_consistency, checkpoint_key, consistency_key

    add_events(ledger, clock, 5)
    seal_log(log, clock.moment)
    add_events(ledger, clock, 3)
    seal_log(log, clock.moment)
    key = consistency_key(5, 8)
    body, version, until = ledger.evidence.objects[key]
    ledger.evidence.objects[key] = (json.dumps({k: v for k, v in json.loads(body).items() if k != "from_checkpoint"})
                                    .encode(), version, until)
    ledger.evidence.reads.clear()

    proof, note = cached_consistency(log, 5, 8, lambda: pytest.fail("no tiles for a kept pair"), clock.moment)

    assert ledger.evidence.reads == [key, checkpoint_key(5)]
    assert note == ledger.evidence.objects[checkpoint_key(5)][0]
    assert proof == [bytes.fromhex(h) for h in json.loads(body)["proof"]]
