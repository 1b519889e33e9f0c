"""Assembling an evidence bundle (docs/ledger-v1.md) from a selection: bodies read at their pinned versions and
checked against the index's hashes, unsealed events sealed first, inclusion proofs against the latest checkpoint,
the checkpoint that first sealed the oldest event with a consistency proof to the latest, the public key, the
human-readable files, and a KMS-signed manifest listing every file with its SHA-256."""

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from shared.clocks.engine import ClockRules
from shared.errors import LedgerInconsistentError
from shared.ledger import merkle
from shared.ledger.bundle_format import Bundle, seal_manifest, to_zip
from shared.ledger.trust import trusted_key
from shared.models.export import ExportContents, ExportedEvent, ExportedRequest, ExportJob, MetricsReport
from shared.models.merkle_log import LogState
from shared.models.records import StoredEvent
from shared.services import consent_export, export_documents, request_metrics
from shared.services.evidence_reads import checked_body, read_event_body
from shared.services.export_selection import Selection
from shared.services.ledger_writer import Ledger, parse_envelope
from shared.services.merkle_log import MerkleLog, checkpoint_key, public_key_pem, stored_hash_at
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


def build_bundle(ledger: Ledger, log: MerkleLog, selection: Selection, job: ExportJob,
                 metrics: MetricsReport | None, progress: Progress) -> BuiltBundle:
    selection = _sealed_first(ledger, log, selection)
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
        _proofs(log, state, ordered, bundle)
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


def _sealed_first(ledger: Ledger, log: MerkleLog, selection: Selection) -> Selection:
    """Seal what is waiting (the same compare-and-swap run as the scheduled sealer), then re-read the leaf index of
    each selected event that had none. Whatever is still unsealed goes into the bundle listed as unsealed."""
    if all(event.leaf_index is not None for event in selection.events()):
        return selection
    seal_log(log, ledger.now())

    def fresh(event: StoredEvent) -> StoredEvent:
        if event.leaf_index is not None:
            return event
        return ledger.index.find_event(event.event_id) or event

    return Selection(requests=[(record, [fresh(e) for e in chain]) for record, chain in selection.requests],
                     standalone=[fresh(e) for e in selection.standalone], bodies=selection.bodies)


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


def _proofs(log: MerkleLog, state: LogState, ordered: list[ExportedEvent], bundle: Bundle) -> None:
    sealed = [event for event in ordered if event.sealed]
    hash_at = stored_hash_at(log, state.size, [event.stored.leaf_index or 0 for event in sealed])
    root = bytes.fromhex(state.root)
    for event in sealed:
        index = event.stored.leaf_index or 0
        path = merkle.inclusion_proof(index, state.size, hash_at)
        leaf = merkle.leaf_hash(merkle.leaf_data(event.stored.event_hash, event.stored.consumer_tag))
        if not merkle.verify_inclusion(leaf, index, state.size, path, root):
            raise LedgerInconsistentError(f"the stored tiles give no valid proof for event {event.stored.event_id}")
        bundle.files[f"proofs/{event.stored.event_id}.json"] = json.dumps(
            {"event_id": event.stored.event_id, "leaf_index": index, "tree_size": state.size,
             "inclusion_path": [h.hex() for h in path]}, sort_keys=True).encode()
    bundle.files[f"checkpoints/{state.size}.note"] = state.checkpoint.encode()
    first = min((e.stored.sealed_size for e in sealed if e.stored.sealed_size), default=None)
    if first is not None and first < state.size:
        # The checkpoint that first sealed the oldest event, and proof that the latest tree extends it: nothing
        # in the scope was rewritten after it entered the log.
        bundle.files[f"checkpoints/{first}.note"] = log.objects.get_current(checkpoint_key(first))[0]
        proof = merkle.consistency_proof(first, state.size, hash_at)
        bundle.files[f"consistency/{first}-{state.size}.json"] = json.dumps(
            {"from": first, "to": state.size, "proof": [h.hex() for h in proof]}, sort_keys=True).encode()


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
