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
