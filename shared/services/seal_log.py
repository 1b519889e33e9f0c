"""seal_log: append unsealed events to the Merkle log and sign a checkpoint, without ever forking the log."""

from dataclasses import dataclass
from datetime import datetime

from shared.errors import EvidenceExistsError, LedgerInconsistentError
from shared.ledger import checkpoint, merkle
from shared.models.merkle_log import LogBatch, LogLeaf, LogState
from shared.services.merkle_log import (
    MerkleLog,
    batch_key,
    checkpoint_key,
    edge_of,
    lock_until,
    public_key_pem,
    store_consistency,
    stored_hash_at,
    tile_key,
)


@dataclass(frozen=True)
class SealResult:
    tree_size: int
    sealed: int


def seal_log(log: MerkleLog, now: datetime) -> SealResult:
    """One sealer run; safe to crash anywhere and to run twice at once.

    1. A run that crashed after advancing the log left its batch unmarked: finish marking it first.
    2. The batch extending the current size is fixed by a create-only object; a batch already there (from a
       concurrent or crashed run) wins, so every run extending this size computes the same tiles.
    3. Tiles and the signed checkpoint are written create-only; identical bytes already there are adopted.
    4. The state item advances by compare-and-swap on the previous size. A loser stops here: the batch, tiles
       and checkpoint objects it met or wrote are the very ones the winner's state names.
    5. Each event of the batch gets its leaf index and its inclusion path against the new checkpoint (the tree is
       in hand here, so exports and proofs never read tiles for it), and leaves the unsealed queue.
    """
    state = log.state.get()
    if state is not None and not state.marked:
        _finish_marking(log, state)
    size = state.size if state is not None else 0
    waiting = log.queue.oldest(log.settings.seal_batch_size)
    if not waiting:
        return SealResult(size, 0)
    batch = _claim_batch(log, LogBatch(start=size, leaves=sorted(waiting, key=LogLeaf.sort_key)), now)
    old = stored_hash_at(log, size)
    if state is not None and merkle.root_at(size, old).hex() != state.root:
        raise LedgerInconsistentError(f"the stored tiles of tree size {size} do not give the checkpointed root")
    new_leaves = [bytes.fromhex(leaf.leaf_hash) for leaf in batch.leaves]
    hash_at = _extended(old, size, new_leaves)
    _write_tiles(log, size, batch.end, hash_at, now)
    root = merkle.root_at(batch.end, hash_at)
    note, version = _write_checkpoint(log, batch.end, root, now)
    if state is not None:
        # The tree and the previous note are in hand: that pair costs no read here, and exports reuse it whole.
        store_consistency(log, size, batch.end, merkle.consistency_proof(size, batch.end, hash_at), state.checkpoint,
                          now)
    advanced = LogState(size=batch.end, root=root.hex(), checkpoint=note, checkpoint_key=checkpoint_key(batch.end),
                        checkpoint_version=version, key_id=log.key_id(), batch_key=batch_key(size), marked=False,
                        edge=edge_of(batch.end, hash_at))
    if not log.state.advance(advanced, expected_size=size):
        current = log.state.get()
        return SealResult(current.size if current is not None else size, 0)
    log.queue.mark_sealed(batch.model_copy(update={"paths": merkle.inclusion_paths(size, batch.end, hash_at, new_leaves)}))
    log.state.mark_done(batch.end)
    return SealResult(batch.end, len(batch.leaves))


def _finish_marking(log: MerkleLog, state: LogState) -> None:
    batch = LogBatch.model_validate_json(log.objects.get_current(state.batch_key)[0])
    if batch.end != state.size:
        raise LedgerInconsistentError(f"{state.batch_key} ends at {batch.end}, the log state at {state.size}")
    paths = merkle.inclusion_paths(batch.start, batch.end, stored_hash_at(log, batch.end))
    log.queue.mark_sealed(batch.model_copy(update={"paths": paths}))
    log.state.mark_done(state.size)


def _claim_batch(log: MerkleLog, proposed: LogBatch, now: datetime) -> LogBatch:
    stored, _ = _create_or_read(log, batch_key(proposed.start), proposed.model_dump_json().encode(),
                                "application/json", now)
    return LogBatch.model_validate_json(stored)


def _write_tiles(log: MerkleLog, old_size: int, new_size: int, hash_at: merkle.HashAt, now: datetime) -> None:
    for tile in merkle.tiles_between(old_size, new_size):
        data = merkle.tile_data(tile, hash_at)
        if _create_or_read(log, tile_key(tile), data, "application/octet-stream", now)[0] != data:
            raise LedgerInconsistentError(f"{tile_key(tile)} already holds other hashes")


def _write_checkpoint(log: MerkleLog, size: int, root: bytes, now: datetime) -> tuple[str, str]:
    """The signed note for (size, root) and its version; a note already stored for this size must say the same."""
    body = checkpoint.checkpoint_body(log.key_name, size, root)
    der = log.signer.public_key_der()
    note = checkpoint.signed_note(body, log.key_name, checkpoint.key_hash(log.key_name, der), log.signer.sign(body))
    stored, version = _create_or_read(log, checkpoint_key(size), note.encode(), "text/plain; charset=utf-8", now)
    try:
        said = checkpoint.open_signed_checkpoint(stored, log.key_name, public_key_pem(der).encode())
    except ValueError as error:
        raise LedgerInconsistentError(f"{checkpoint_key(size)} does not verify: {error}") from error
    if said != (log.key_name, size, root):
        raise LedgerInconsistentError(f"{checkpoint_key(size)} commits to another tree")
    return stored.decode(), version


def _create_or_read(log: MerkleLog, key: str, body: bytes, content_type: str, now: datetime) -> tuple[bytes, str]:
    """Create-only write; when the key is taken, the bytes already there (and their version) are returned."""
    until, floor = lock_until(log.settings, now)
    try:
        return body, log.objects.put_new(key, body, retain_until=until, minimum_retain_until=floor,
                                         content_type=content_type)
    except EvidenceExistsError:
        return log.objects.get_current(key)


def _extended(old: merkle.HashAt, old_size: int, new_leaves: list[bytes]) -> merkle.HashAt:
    """Subtree hashes of the grown tree: complete old subtrees come from the stored tiles, the rest is hashed
    from the new leaves (each node once), so a run reads O(log n) tiles and hashes O(batch) nodes."""
    computed: dict[tuple[int, int], bytes] = {}

    def hash_at(level: int, index: int) -> bytes:
        if (index + 1) << level <= old_size:
            return old(level, index)
        if level == 0:
            return new_leaves[index - old_size]
        if (level, index) not in computed:
            computed[level, index] = merkle.node_hash(hash_at(level - 1, 2 * index), hash_at(level - 1, 2 * index + 1))
        return computed[level, index]

    return hash_at
