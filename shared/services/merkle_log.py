"""The Merkle log's storage layout in the evidence bucket, shared by the sealer and the proof readers.

Every object is create-only and COMPLIANCE-locked, so nothing here is ever rewritten:
`ledger/tile/<L>/<N>[.p/<W>]` (C2SP tlog-tiles; a partial tile of each width is its own key),
`ledger/checkpoints/<size:020d>` (signed notes), `ledger/batches/<start:020d>.json` (which events extend the
tree of size `start`, in leaf order) and `ledger/consistency/<m:020d>-<n:020d>.json` (a consistency proof with the
signed checkpoint of m: the sealer's from the previous checkpoint, and any other pair an export has needed, each
computed once), and `ledger/access-paths/date=YYYY-MM-DD/<batch_id>.paths` (the inclusion paths of a sealed batch
object's events: shared/ledger/leaf_paths.py). The latest checkpoint is named by the log state item in the index.
"""

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization

from shared.config import Settings
from shared.errors import EvidenceExistsError
from shared.ledger import checkpoint, merkle
from shared.ledger.retention import minimum_retain_until, retain_until
from shared.models.domain import RecordType
from shared.models.merkle_log import LogState
from shared.ports import AccessLeaves, CheckpointSigner, EvidenceStore, LogStateStore, UnsealedEvents

PREFIX = "ledger/"
TILE_READERS = 16


@dataclass
class MerkleLog:
    """The ports of the log, built once per container by the composition root."""

    objects: EvidenceStore
    queue: UnsealedEvents
    state: LogStateStore
    signer: CheckpointSigner
    settings: Settings
    access_leaves: AccessLeaves | None = None  # sealed access events of batch objects (services/access_seal.py)

    @property
    def key_name(self) -> str:
        """Checkpoints are signed under the log's origin, as C2SP checkpoints conventionally are."""
        return self.settings.ledger_origin

    def key_id(self) -> str:
        return checkpoint.key_hash(self.key_name, self.signer.public_key_der()).hex()


def tile_key(tile: merkle.Tile) -> str:
    return PREFIX + tile.path


def checkpoint_key(size: int) -> str:
    return f"{PREFIX}checkpoints/{size:020d}"


def batch_key(start: int) -> str:
    return f"{PREFIX}batches/{start:020d}.json"


def lock_until(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """(retain-until, floor) for log objects: as long as the longest-kept event they cover."""
    until = max(retain_until(record_type, now, settings) for record_type in RecordType)
    floor = max(minimum_retain_until(record_type, now) for record_type in RecordType)
    return until, floor


def stored_hash_at(log: MerkleLog, size: int, leaves: Iterable[int] = (), state: LogState | None = None) -> merkle.HashAt:
    """Subtree hashes of the tree of `size` leaves read from its tiles; each tile is fetched at most once. The
    level-0 tiles of `leaves` (proofs about to be built for scattered events) are fetched up front, in parallel.
    `state`, when it is the latest state of this size, gives the tree's right edge without its partial tiles (one
    per level), once its hashes are seen to give the checkpointed root."""
    tiles: dict[merkle.Tile, bytes] = {}

    def read_tile(tile: merkle.Tile) -> bytes:
        if tile not in tiles:
            tiles[tile] = log.objects.get_current(tile_key(tile))[0]
        return tiles[tile]

    full = size // merkle.TILE_WIDTH
    wanted = {merkle.Tile(0, leaf // merkle.TILE_WIDTH,
                          merkle.TILE_WIDTH if leaf // merkle.TILE_WIDTH < full else size % merkle.TILE_WIDTH)
              for leaf in leaves}
    if wanted:
        with ThreadPoolExecutor(max_workers=TILE_READERS) as pool:
            list(pool.map(read_tile, wanted))
    from_tiles = merkle.hash_at_from_tiles(size, read_tile)
    edge = _edge(state, size)
    if not edge:
        return from_tiles
    return lambda level, index: edge.get((level, index)) or from_tiles(level, index)


def _edge(state: LogState | None, size: int) -> dict[tuple[int, int], bytes]:
    """The right edge the state records for this size, if it gives the state's root (else tiles serve it)."""
    if state is None or state.size != size:
        return {}
    nodes = merkle.edge_nodes(size)
    try:
        hashes = [bytes.fromhex(h) for h in state.edge]
    except ValueError:
        return {}
    if len(hashes) != len(nodes) or any(len(h) != merkle.HASH_SIZE for h in hashes):
        return {}
    edge = dict(zip(nodes, hashes, strict=True))
    return edge if merkle.root_at(size, lambda level, index: edge[level, index]).hex() == state.root else {}


def edge_of(size: int, hash_at: merkle.HashAt) -> list[str]:
    """What LogState.edge records for a tree of `size` leaves."""
    return [hash_at(level, index).hex() for level, index in merkle.edge_nodes(size)]


def consistency_key(old_size: int, new_size: int) -> str:
    return f"{PREFIX}consistency/{old_size:020d}-{new_size:020d}.json"


def cached_consistency(log: MerkleLog, old_size: int, new_size: int, hash_at: Callable[[], merkle.HashAt],
                       now: datetime) -> tuple[list[bytes], bytes]:
    """(PROOF(old_size, D[new_size]), the signed checkpoint of old_size). The pair is kept as one create-only
    object, written by the sealer for the previous checkpoint and by the first export that needs any other, so
    later exports against the same checkpoint read that one object: no tiles, no checkpoint object (a proof
    between two sizes of one log never changes). Callers check both against the signed roots."""
    key = consistency_key(old_size, new_size)
    cached = log.objects.find_current(key)
    if cached is not None:
        stored = json.loads(cached)
        proof = [bytes.fromhex(h) for h in stored["proof"]]
        if isinstance(stored.get("from_checkpoint"), str):
            return proof, stored["from_checkpoint"].encode()
        return proof, log.objects.get_current(checkpoint_key(old_size))[0]  # kept before notes went with proofs
    note = log.objects.get_current(checkpoint_key(old_size))[0]
    proof = merkle.consistency_proof(old_size, new_size, hash_at())
    store_consistency(log, old_size, new_size, proof, note.decode(), now)
    return proof, note


def store_consistency(log: MerkleLog, old_size: int, new_size: int, proof: list[bytes], old_checkpoint: str,
                      now: datetime) -> None:
    body = json.dumps({"from": old_size, "to": new_size, "proof": [h.hex() for h in proof],
                       "from_checkpoint": old_checkpoint}).encode()
    until, floor = lock_until(log.settings, now)
    try:
        log.objects.put_new(consistency_key(old_size, new_size), body, retain_until=until,
                            minimum_retain_until=floor)
    except EvidenceExistsError:
        pass  # another run stored it: a proof between two sizes of one log never differs


def public_key_pem(der: bytes) -> str:
    key = serialization.load_der_public_key(der)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
