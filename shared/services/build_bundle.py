"""Assembling an evidence bundle (docs/bundle-v3.md) from a selection: bodies read at their pinned versions and
checked against the index's hashes, unsealed events sealed first, each event's inclusion proof against the
checkpoint that sealed it (recorded by the sealer), those checkpoints with a consistency proof from each to the
latest, the public key, the human-readable files, and a KMS-signed manifest listing every file with its SHA-256."""

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from shared.clocks.engine import ClockRules
from shared.errors import LedgerInconsistentError
from shared.ledger import checkpoint, merkle, proof_file
from shared.ledger.bundle_format import PROOF_FILE, Bundle, seal_manifest, to_zip
from shared.ledger.trust import trusted_key
from shared.models.export import ExportContents, ExportedEvent, ExportedRequest, ExportJob, MetricsReport
from shared.models.merkle_log import LogState
from shared.models.records import StoredEvent
from shared.services import consent_export, export_documents, request_metrics
from shared.services.evidence_reads import checked_body, read_event_body
from shared.services.export_selection import Selection
from shared.services.ledger_writer import Ledger, parse_envelope
from shared.services.merkle_log import MerkleLog, cached_consistency, checkpoint_key, public_key_pem, stored_hash_at
from shared.services.access_seal import AccessBatchQueue, seal_everything
from shared.services.sealed_access import sealed_access_events
from shared.services.seal_log import seal_log
from shared.timefmt import rfc3339

Progress = Callable[[int, int], None]
READERS = 16
PROGRESS_EVERY = 250


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ccpa-audit")
    except PackageNotFoundError:  # the Lambda layer ships the code without the distribution's metadata
        return "0.1.0"


@dataclass(frozen=True)
class BuiltBundle:
    data: bytes
    sha256: str
    contents: ExportContents

    @property
    def event_count(self) -> int:
        return len(self.contents.all_events())

    @property
    def unsealed_count(self) -> int:
        return sum(1 for event in self.contents.all_events() if not event.sealed)

BatchQueueAt = Callable[[datetime], AccessBatchQueue]


def build_bundle(ledger: Ledger, log: MerkleLog, selection: Selection, job: ExportJob,
                 metrics: MetricsReport | None, progress: Progress, batches: BatchQueueAt | None = None) -> BuiltBundle:
    """`batches`: the sealer's queue of access-event batch objects, so the sealing run before the build appends
    the consumer's batched access events too (as the scheduled sealer would)."""
    selection = _sealed_first(ledger, log, selection, batches)
    total = selection.event_count
    progress(0, total)
    bodies = _read_bodies(ledger, selection, lambda done: progress(done, total))
    state = log.state.get()
    contents = ExportContents(
        export_id=job.export_id,
        scope=job.scope.as_manifest(),
        requested_by=job.requested_by,
        requested_at=job.requested_at,
        requests=[ExportedRequest(record, [_exported(event, bodies, state) for event in chain])
                  for record, chain in selection.requests],
        standalone=[_exported(event, bodies, state) for event in selection.standalone],
        tree_size=state.size if state else None,
        metrics=metrics,
    )
    bundle = Bundle()
    ordered = sorted(contents.all_events(), key=_file_order)
    bundle.files["events.jsonl"] = b"".join(bodies[e.stored.event_id] + b"\n" for e in ordered)
    if state is not None:
        _proofs(log, state, ordered, bundle, ledger.now())
    key_pem = public_key_pem(log.signer.public_key_der()).encode()
    bundle.files[f"keys/{log.key_name}.pem"] = key_pem
    rules = ClockRules.from_settings(ledger.settings)
    bundle.files["events.csv"] = export_documents.events_csv(contents, rules)
    bundle.files["summary.html"] = export_documents.summary_html(contents, rules, ledger.now())
    bundle.files["VERIFY.md"] = export_documents.verify_md(contents, log.settings.ledger_origin, log.key_name,
                                                           tool_version(), trusted_key(key_pem).fingerprint)
    if metrics is not None:
        bundle.files["metrics.json"] = json.dumps(request_metrics.metrics_json(metrics), indent=1).encode()
        bundle.files["metrics.csv"] = request_metrics.metrics_csv(metrics)
    consents = consent_export.consents_json(contents)
    if consents is not None:
        bundle.files["consents.json"] = consents
    seal_manifest(bundle, _header(contents, ordered, log, state), log.key_name, log.signer.sign)
    data = to_zip(bundle)
    progress(total, total)
    return BuiltBundle(data=data, sha256=hashlib.sha256(data).hexdigest(), contents=contents)


def _sealed_first(ledger: Ledger, log: MerkleLog, selection: Selection, batches: BatchQueueAt | None) -> Selection:
    """Seal what is waiting (the same compare-and-swap run as the scheduled sealer), then re-read the leaf index of
    each selected event that had none. Whatever is still unsealed goes into the bundle listed as unsealed."""
    if all(event.leaf_index is not None for event in selection.events()):
        return selection
    now = ledger.now()
    if batches is None:
        seal_log(log, now)
    else:
        seal_everything(log, batches(now), now)
    # Access events read from batch objects: their leaves are what the sealer recorded, found together.
    batched = {event.event_id: event for event in selection.standalone
               if event.leaf_index is None and event.event_id in selection.bodies}
    sealed = sealed_access_events(log.access_leaves, log.objects, batched) \
        if batched and log.access_leaves is not None else {}

    def fresh(event: StoredEvent) -> StoredEvent:
        if event.leaf_index is not None:
            return event
        if event.event_id in batched:
            return sealed.get(event.event_id, event)
        return ledger.index.find_event(event.event_id) or event

    # A body held from search is kept when it is the sealed copy; another copy's is read from the sealed object.
    bodies = {event_id: body for event_id, body in selection.bodies.items()
              if event_id not in sealed or sealed[event_id].event_hash == batched[event_id].event_hash}
    return Selection(requests=[(record, [fresh(e) for e in chain]) for record, chain in selection.requests],
                     standalone=[fresh(e) for e in selection.standalone], bodies=bodies)


def _read_bodies(ledger: Ledger, selection: Selection, done: Callable[[int], None]) -> dict[str, bytes]:
    """The exact locked bytes of each event at the version the index recorded (or as its batch object holds
    them), checked against its hash."""
    events = selection.events()

    def read(event: StoredEvent) -> tuple[str, bytes]:
        held = selection.bodies.get(event.event_id)
        body = checked_body(ledger, event, held) if held is not None else read_event_body(ledger, event)
        return event.event_id, body

    bodies: dict[str, bytes] = {}
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        for number, (event_id, body) in enumerate(pool.map(read, events), start=1):
            bodies[event_id] = body
            if number % PROGRESS_EVERY == 0:
                done(number)
    return bodies


def _exported(event: StoredEvent, bodies: dict[str, bytes], state: LogState | None) -> ExportedEvent:
    # An event sealed after the checkpoint we read (a concurrent sealer) has no proof in this bundle.
    if event.leaf_index is not None and (state is None or event.leaf_index >= state.size):
        event = event.model_copy(update={"leaf_index": None})
    return ExportedEvent(stored=event, envelope=parse_envelope(bodies[event.event_id]))


def _file_order(event: ExportedEvent) -> tuple[int, int, str, str]:
    """Sealed events in leaf order (the verifier checks it), then unsealed ones by time."""
    if event.sealed:
        return 0, event.stored.leaf_index or 0, "", ""
    return 1, 0, event.envelope.recorded_at, event.stored.event_id


def _proofs(log: MerkleLog, state: LogState, ordered: list[ExportedEvent], bundle: Bundle, now: datetime) -> None:
    """proofs/inclusion.bin (bundle v3): each event's inclusion proof against the checkpoint that sealed it, as the sealer
    recorded it in the index, so no tile is read for it; the checkpoints those proofs use; and one consistency
    proof from each of them to the latest, read with its checkpoint from one cached object per pair. Events sealed
    before the sealer recorded proofs get one built from the tiles against the latest checkpoint."""
    sealed = [event for event in ordered if event.sealed]
    latest = state.size
    pem = public_key_pem(log.signer.public_key_der()).encode()
    notes = {latest: state.checkpoint.encode()}
    roots = {latest: bytes.fromhex(state.root)}
    legacy = [e.stored.leaf_index or 0 for e in sealed if _recorded_path(e, latest) is None]
    tiles = _LazyTiles(log, state, legacy)
    proofs: dict[int, list[bytes]] = {}
    for size in sorted({e.stored.sealed_size for e in sealed if e.stored.sealed_size} - {latest}):
        if size < latest:
            proofs[size], notes[size] = cached_consistency(log, size, latest, tiles.hash_at, now)
            roots[size] = _checkpoint_root(notes[size], size, log.key_name, pem)
            # Proof that the latest tree extends each sealing checkpoint: nothing in the scope was rewritten
            # after it entered the log.
            if not merkle.verify_consistency(size, latest, roots[size], roots[latest], proofs[size]):
                raise LedgerInconsistentError(f"the log gives no valid consistency proof from {size} to {latest}")
    records = []
    for event in sealed:
        index = event.stored.leaf_index or 0
        recorded = _recorded_path(event, latest)
        size, path = (event.stored.sealed_size or latest, recorded) if recorded is not None else \
            (latest, merkle.inclusion_proof(index, latest, tiles.hash_at()))
        batch_version = event.stored.batch_version
        leaf = merkle.leaf_hash(merkle.leaf_data(event.stored.event_hash, event.stored.consumer_tag, batch_version))
        if not merkle.verify_inclusion(leaf, index, size, path, roots[size]):
            raise LedgerInconsistentError(f"the log gives no valid proof for event {event.stored.event_id}")
        # A batched access event's leaf binds its batch object's version, so its proof names it.
        records.append(proof_file.Proof(event.stored.event_id, index, size, list(path), batch_version))
    bundle.files[PROOF_FILE] = proof_file.encode(records)
    for size, note in notes.items():
        bundle.files[f"checkpoints/{size}.note"] = note
    for size, proof in sorted(proofs.items()):
        bundle.files[f"consistency/{size}-{latest}.json"] = json.dumps(
            {"from": size, "to": latest, "proof": [h.hex() for h in proof]}, sort_keys=True).encode()


def _recorded_path(event: ExportedEvent, latest: int) -> list[bytes] | None:
    stored = event.stored
    if stored.inclusion_path is None or not stored.sealed_size or stored.sealed_size > latest:
        return None
    raw = stored.inclusion_path
    return [raw[i:i + merkle.HASH_SIZE] for i in range(0, len(raw), merkle.HASH_SIZE)]


def _checkpoint_root(note: bytes, size: int, key_name: str, pem: bytes) -> bytes:
    try:
        _, signed_size, root = checkpoint.open_signed_checkpoint(note, key_name, pem)
    except ValueError as error:
        raise LedgerInconsistentError(f"{checkpoint_key(size)} does not verify: {error}") from error
    if signed_size != size:
        raise LedgerInconsistentError(f"{checkpoint_key(size)} is signed for size {signed_size}")
    return root


class _LazyTiles:
    """Subtree hashes of the latest tree from its tiles, opened only when something needs them (events sealed
    before proofs were recorded, or a consistency proof not cached yet)."""

    def __init__(self, log: MerkleLog, state: LogState, leaves: list[int]) -> None:
        self.log, self.state, self.leaves = log, state, leaves
        self._hash_at: merkle.HashAt | None = None

    def hash_at(self) -> merkle.HashAt:
        if self._hash_at is None:
            self._hash_at = stored_hash_at(self.log, self.state.size, self.leaves, self.state)
        return self._hash_at


def _header(contents: ExportContents, ordered: list[ExportedEvent], log: MerkleLog,
            state: LogState | None) -> dict[str, object]:
    unsealed = [e.stored.event_id for e in ordered if not e.sealed]
    return {
        "origin": log.settings.ledger_origin,
        "export_id": contents.export_id,
        "scope": contents.scope,
        "requested_by": contents.requested_by.model_dump(exclude_none=True),
        "requested_at": rfc3339(contents.requested_at),
        "tool": {"name": "ccpa-audit", "version": tool_version()},
        "keys": [{"key_name": log.key_name, "key_id": log.key_id(), "algorithm": "ECDSA_P256_SHA256"}],
        "tree_size": state.size if state else None,
        "counts": {"requests": len(contents.requests), "events": len(ordered),
                   "standalone_events": len(contents.standalone), "sealed": len(ordered) - len(unsealed),
                   "unsealed": len(unsealed)},
        "events": [e.stored.event_id for e in ordered],
        "unsealed": unsealed,
        "complete_chains": True,
        "metrics_year": contents.metrics.year if contents.metrics else None,
    }
