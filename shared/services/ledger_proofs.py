"""Serving the Merkle log: inclusion and consistency proofs built from stored tiles, checkpoints, the public key.

Proofs read O(log n) tiles (never the leaves), and an inclusion proof is checked against the signed root before
it is served. Reading an event's proof is an `audit_read` like any read of the ledger. Checkpoints, consistency
proofs and the key carry only tree hashes (no event, no consumer), and monitors poll them: those reads are not
recorded, so polling does not grow the log it watches.
"""

import hashlib
from datetime import UTC, date, timedelta

from shared.errors import (
    CheckpointNotFoundError,
    EventNotFoundError,
    LedgerInconsistentError,
    NotSealedError,
    ValidationError,
)
from shared.ledger import checkpoint, merkle
from shared.ledger.envelope import Actor
from shared.models.ledger_api import CheckpointOut, ConsistencyOut, KeysOut, ProofOut, PublicKeyOut
from shared.ports import AccessEngine
from shared.services.ledger_writer import Ledger
from shared.services.merkle_log import MerkleLog, public_key_pem, stored_hash_at
from shared.services.read_requests import record_audit_read
from shared.services.sealed_access import sealed_access_event

UNSEALED_FOR_AT_MOST = timedelta(days=8)  # the stream's 7-day retention, and a day of delivery margin


def event_proof(ledger: Ledger, log: MerkleLog, event_id: str, reader: Actor,
                access: AccessEngine | None = None) -> ProofOut:
    """The event's inclusion proof in the tree of the latest checkpoint."""
    event = ledger.index.find_event(event_id)
    if event is None and log.access_leaves is not None:  # a batched access event is found once sealed
        event = sealed_access_event(log.access_leaves, log.objects, event_id)
    if event is None:
        if access is not None and _batched_recently(access, event_id, ledger.now().astimezone(UTC).date()):
            raise NotSealedError(f"Event {event_id} is stored but not in the Merkle log yet; the sealer appends "
                                 "it shortly.")
        raise EventNotFoundError(f"No event with id {event_id}.")
    state = log.state.get()
    if event.leaf_index is None or state is None:
        raise NotSealedError(f"Event {event_id} is not in the Merkle log yet; the sealer appends it shortly.")
    if event.leaf_index >= state.size:
        raise LedgerInconsistentError(f"event {event_id} has leaf {event.leaf_index} beyond size {state.size}")
    data = merkle.leaf_data(event.event_hash, event.consumer_tag, event.batch_version)
    leaf = merkle.leaf_hash(data)
    path = merkle.inclusion_proof(event.leaf_index, state.size, stored_hash_at(log, state.size, state=state))
    if not merkle.verify_inclusion(leaf, event.leaf_index, state.size, path, bytes.fromhex(state.root)):
        raise LedgerInconsistentError(f"the stored tiles give no valid proof for event {event_id}")
    record_audit_read(ledger, reader, {"event_id": event_id, "tree_size": state.size}, event.consumer_tag)
    return ProofOut(event_id=event_id, event_hash=event.event_hash, leaf_data=data.hex(), leaf_hash=leaf.hex(),
                    leaf_index=event.leaf_index, tree_size=state.size, inclusion_path=[h.hex() for h in path],
                    root=state.root, checkpoint=state.checkpoint, key_id=state.key_id)


def _batched_recently(access: AccessEngine, event_id: str, today: date) -> bool:
    """Whether a batch object holds the event unsealed. The stream keeps a record seven days, so a stored event
    waits for the sealer at most that long: only the partitions of those days (and the day being written) are
    read, never the whole log."""
    return access.holds(event_id, today - UNSEALED_FOR_AT_MOST, today)


def latest_checkpoint(log: MerkleLog) -> CheckpointOut:
    state = log.state.get()
    if state is None:
        raise CheckpointNotFoundError("Nothing has been sealed yet, so there is no checkpoint.")
    return CheckpointOut(tree_size=state.size, root=state.root, checkpoint=state.checkpoint, key_id=state.key_id)


def consistency(log: MerkleLog, old_size: int, new_size: int) -> ConsistencyOut:
    """RFC 6962 PROOF(old_size, D[new_size]) for any sizes up to the latest checkpoint's."""
    state = log.state.get()
    size = state.size if state is not None else 0
    if new_size > size:
        issue = f"must not exceed the latest tree size ({size})"
        raise ValidationError(f"Field to {issue}.", [{"field": "to", "issue": issue}])
    proof = merkle.consistency_proof(old_size, new_size, stored_hash_at(log, size, state=state))
    return ConsistencyOut(from_=old_size, to=new_size, proof=[h.hex() for h in proof])


def public_keys(log: MerkleLog) -> KeysOut:
    der = log.signer.public_key_der()
    key = PublicKeyOut(key_id=log.key_id(), public_key_pem=public_key_pem(der), key_name=log.key_name,
                       verifier_key=checkpoint.verifier_key(log.key_name, der),
                       fingerprint=hashlib.sha256(der).hexdigest())
    return KeysOut(keys=[key])

