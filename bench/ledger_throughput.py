"""Sealing throughput on one core: what the sealer computes per leaf, in memory. (Offline verify: verify_scale.py.)

Timed in CPU time (the work is single-threaded), so that other load on a shared machine does not count."""

import time

from bench.table import row

LEAVES = 1_000_000
BATCH = 10_000  # SEAL_BATCH_SIZE's default
SEAL_TARGET = 400_000


def run():
    line, rate = _seal()
    yield line
    yield row("seal, leaves/s (with inclusion paths)", f"{rate:,.0f}", f">= {SEAL_TARGET:,}", rate >= SEAL_TARGET)
    yield _mark_batched()


def _seal() -> tuple[str, float]:
    """Per leaf: leaf data, leaf hash, the tile hashes (levels 0, 1, 2 ...) and the leaf's inclusion path against
    the checkpoint being signed, which the sealer records in the event's index item."""
    import hashlib

    from shared.ledger import merkle

    hashes = [hashlib.sha256(i.to_bytes(8, "big")).hexdigest() for i in range(LEAVES)]
    tag = "ab" * 32
    start = time.process_time()
    leaves = [merkle.leaf_hash(merkle.leaf_data(h, tag)) for h in hashes]
    hashed = time.process_time()
    hash_at = merkle.hash_at_from_leaves(leaves)
    tiles = {tile: merkle.tile_data(tile, hash_at) for tile in merkle.tiles_for_size(LEAVES)}
    tiled = time.process_time()
    paths = 0
    for first in range(0, LEAVES, BATCH):  # as the sealer does, a batch at a time, each against its checkpoint
        paths += len(merkle.inclusion_paths(first, first + BATCH, hash_at, leaves[first:first + BATCH]))
    done = time.process_time()
    rate = LEAVES / (done - start)
    return (f"seal: {LEAVES:,} leaves into {len(tiles):,} in-memory tiles and {paths:,} inclusion paths (batches of "
            f"{BATCH:,}) in {done - start:.2f} s CPU = {rate:,.0f} leaves/s; leaf data + leaf hash "
            f"{hashed - start:.2f} s, tree and tiles {tiled - hashed:.2f} s, paths {done - tiled:.2f} s"), rate


def _mark_batched() -> str:
    """What marking adds per batched access event once the tree is computed (services/access_seal.py): its record
    in its batch object's paths object and its slim leaf item, over in-memory stores (the AWS writes are counted
    by access_ingest.py)."""
    import hashlib
    from datetime import UTC, datetime

    from shared.config import Settings
    from shared.ledger import merkle
    from shared.models.merkle_log import LogBatch, LogLeaf
    from shared.services.access_seal import AccessBatchQueue
    from tests.fakes import FakeAccessLeaves, FakeBatchObjects, FakeEvidenceStore

    now = datetime.now(UTC)
    size = LEAVES
    start = size - BATCH
    leaves = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(size)]
    hash_at = merkle.hash_at_from_leaves(leaves)
    objects = 10  # a seal run of 10,000 events from batch objects of about 1,000
    batch = LogBatch(start=start, leaves=[
        LogLeaf(event_id=f"e-{n}", leaf_hash=leaves[start + n].hex(), recorded_at=now,
                index_key=(f"access/batches/date=2026-11-30/{n % objects:08d}-0000-7000-8000-000000000000.parquet",
                           "v"))
        for n in range(BATCH)]).model_copy(update={"paths": merkle.inclusion_paths(start, size, hash_at)})
    evidence, marks = FakeEvidenceStore(), FakeAccessLeaves()
    queue = AccessBatchQueue(FakeBatchObjects(evidence), evidence, marks, now, Settings())
    began = time.process_time()
    queue.mark_sealed(batch)
    took = time.process_time() - began
    stored = sum(len(body) for key, (body, _, _) in evidence.objects.items() if key.startswith("ledger/"))
    return (f"marking {BATCH:,} batched access events of a {size:,}-leaf log ({objects} paths objects of "
            f"{stored / BATCH:,.0f} bytes an event, slim leaf items, in-memory stores): {took * 1000:.0f} ms CPU = "
            f"{BATCH / took:,.0f} events/s")
