"""Offline verification of an evidence bundle (docs/ledger-v1.md): no network, no AWS, only the bundle's files.

Every check runs and every failure names the file, event or checkpoint and what is wrong, so a report can show
the whole damage rather than the first symptom. A malformed bundle (wrong types, absurd numbers, deep nesting) is
a named failure too, never an exception. Signatures count only by a trusted key: the pinned one (shared/ledger/
trust.py) or, without a pin, the bundle's own keys, which the report then says."""

import base64
import binascii
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from shared.ledger import checkpoint as notes
from shared.ledger import merkle
from shared.ledger.bundle_format import FORMAT, MANIFEST, SIGNATURE, Bundle
from shared.ledger.canonical import CanonicalError, parse_canonical, sha256_hex
from shared.ledger.trust import KeyPin, TrustedKey, trusted_key


@dataclass
class Report:
    events: int = 0
    requests: int = 0
    checkpoints: int = 0
    consistency_proofs: int = 0
    unsealed: int = 0  # events the signed manifest lists as not yet in the Merkle log (no inclusion proof)
    failures: list[str] = field(default_factory=list)
    pin: KeyPin | None = None  # None: the keys came from the bundle itself
    signed_by: list[TrustedKey] = field(default_factory=list)  # the trusted keys the manifest verified under

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, where: str, what: str) -> None:
        self.failures.append(f"{where}: {what}")


@dataclass(frozen=True)
class _Checkpoint:
    path: str
    size: int
    root: bytes


class _InclusionChecker:
    """RFC 9162 section 2.1.3.2 inclusion verification against one signed root, remembering every node a verified
    proof passed through. Neighbouring leaves share most of their path, so a later proof stops at the first node
    already proven to sit at the same position: same result, a few hashes per event instead of log2(n)."""

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.root = root
        self.proven: dict[tuple[int, int], tuple[bytes, int]] = {}

    def verify(self, leaf: bytes, index: int, path: list[bytes]) -> bool:
        if index >= self.size or any(len(p) != 32 for p in path):
            return False
        fn, sn, node = index, self.size - 1, leaf
        steps: list[tuple[tuple[int, int], bytes, int]] = []
        for position, sibling in enumerate(path):
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                node = hashlib.sha256(b"\x01" + sibling + node).digest()
                if not fn & 1:
                    while not fn & 1 and fn != 0:
                        fn >>= 1
                        sn >>= 1
            else:
                node = hashlib.sha256(b"\x01" + node + sibling).digest()
            fn >>= 1
            sn >>= 1
            remaining = len(path) - position - 1
            known = self.proven.get((fn, sn))
            if known is not None:
                ok = known == (node, remaining)
                if ok:
                    self._remember(steps)
                return ok
            steps.append(((fn, sn), node, remaining))
        ok = sn == 0 and node == self.root
        if ok:
            self._remember(steps)
        return ok

    def _remember(self, steps: list[tuple[tuple[int, int], bytes, int]]) -> None:
        for key, node, remaining in steps:
            if key[1] != 0:
                self.proven[key] = (node, remaining)


def verify_bundle(bundle: Bundle, pin: KeyPin | None = None) -> Report:
    report = Report(pin=pin)
    manifest = _manifest(bundle, report)
    if manifest is None:
        return report
    keys = _trusted(_keys(bundle, report), pin, report)
    _manifest_signature(bundle, keys, report)
    _listed_files(bundle, manifest, report)
    origin = manifest.get("origin")
    checkpoints = _checkpoints(bundle, origin if isinstance(origin, str) else None, keys, report)
    _consistency(bundle, checkpoints, report)
    _events(bundle, manifest, checkpoints, report)
    return report


def _manifest(bundle: Bundle, report: Report) -> dict[str, Any] | None:
    if MANIFEST not in bundle.files:
        report.fail(MANIFEST, "missing")
        return None
    try:
        manifest = bundle.json(MANIFEST)
    except ValueError as error:
        report.fail(MANIFEST, f"is not JSON ({error})")
        return None
    if not isinstance(manifest, dict):
        report.fail(MANIFEST, f"is a JSON {type(manifest).__name__}, not an object")
        return None
    if manifest.get("format") != FORMAT:
        report.fail(MANIFEST, f"format is {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def _keys(bundle: Bundle, report: Report) -> dict[str, TrustedKey]:
    keys = {}
    for path, pem in bundle.under("keys").items():
        try:
            keys[path.removeprefix("keys/").removesuffix(".pem")] = trusted_key(pem)
        except ValueError as error:
            report.fail(path, f"not a P-256 public key ({error})")
    if not keys:
        report.fail("keys/", "no public key in the bundle")
    return keys


def _trusted(bundle_keys: dict[str, TrustedKey], pin: KeyPin | None, report: Report) -> list[TrustedKey]:
    """The keys whose signatures count: every key the bundle carries without a pin; with one, the pinned keys
    themselves (a key beside them in keys/ counts for nothing), or the bundle's keys the pinned id names."""
    if pin is None:
        return list(bundle_keys.values())
    if pin.keys:
        return list(pin.keys)
    named = [key for key in bundle_keys.values() if pin.matches(key)]
    if not named:
        report.fail("keys/", f"no key in the bundle is the pinned key ({', '.join(pin.ids)})")
    return named


def _manifest_signature(bundle: Bundle, keys: list[TrustedKey], report: Report) -> None:
    try:
        signed = bundle.json(SIGNATURE)
        signature = base64.b64decode(signed["signature"], validate=True)
    except (KeyError, ValueError, TypeError, binascii.Error):
        report.fail(SIGNATURE, "missing or malformed")
        return
    report.signed_by = [key for key in keys
                        if notes.verify_checkpoint_signature(bundle.files[MANIFEST], signature, key.pem)]
    if not report.signed_by:
        report.fail(SIGNATURE, "the manifest is not signed by the pinned key" if report.pin is not None else
                    "the signature does not match manifest.json")


def _listed_files(bundle: Bundle, manifest: dict[str, Any], report: Report) -> None:
    entries = manifest.get("files")
    if not isinstance(entries, list):
        report.fail(MANIFEST, "has no list of files")
        entries = []
    listed: dict[str, str] = {}
    for number, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and isinstance(entry.get("sha256"), str)):
            report.fail(MANIFEST, f"files[{number}] is not an entry with a path and a sha256")
            continue
        listed[entry["path"]] = entry["sha256"]
    for path, digest in listed.items():
        if path not in bundle.files:
            report.fail(path, "listed in the manifest but missing")
        elif sha256_hex(bundle.files[path]) != digest:
            report.fail(path, "its SHA-256 differs from the manifest")
    for path in bundle.files:
        if path not in listed and path not in (MANIFEST, SIGNATURE):
            report.fail(path, "not listed in the manifest")


def _checkpoints(bundle: Bundle, origin: str | None, keys: list[TrustedKey], report: Report) -> dict[int, _Checkpoint]:
    by_size: dict[int, _Checkpoint] = {}
    for path, text in sorted(bundle.under("checkpoints").items()):
        try:
            body, signatures = notes.parse_signed_note(text)
            note_origin, size, root = notes.parse_checkpoint_body(body)
        except ValueError as error:
            report.fail(path, f"not a checkpoint ({error})")
            continue
        if origin is not None and note_origin != origin:
            report.fail(path, f"origin {note_origin!r} is not the bundle's {origin!r}")
        # A signature line names its key by a 4-byte id: it counts only if it verifies under the trusted key.
        ours = [(name, key, sig) for name, key_id, sig in signatures for key in keys if key.key_hash == key_id]
        if not ours:
            report.fail(path, "no signature by the pinned key" if report.pin is not None else
                        "no signature by a key in the bundle")
        for name, key, sig in ours:
            if not notes.verify_checkpoint_signature(body, sig, key.pem):
                report.fail(path, f"signature by {name} ({key.key_id}) does not verify")
        previous = by_size.get(size)
        if previous is not None and previous.root != root:
            report.fail(path, f"fork: size {size} has root {root.hex()} here and {previous.root.hex()} in "
                              f"{previous.path}")
            continue
        by_size[size] = _Checkpoint(path, size, root)
        report.checkpoints += 1
    if not by_size:
        report.fail("checkpoints/", "no checkpoint in the bundle")
    return by_size


def _consistency(bundle: Bundle, checkpoints: dict[int, _Checkpoint], report: Report) -> None:
    sizes = sorted(checkpoints)
    for m, n in zip(sizes, sizes[1:], strict=False):
        path = f"consistency/{m}-{n}.json"
        try:
            proof = [bytes.fromhex(h) for h in bundle.json(path)["proof"]]
        except (KeyError, ValueError, TypeError, IndexError):
            report.fail(path, f"missing or malformed consistency proof between checkpoints {m} and {n}")
            continue
        if not merkle.verify_consistency(m, n, checkpoints[m].root, checkpoints[n].root, proof):
            report.fail(path, f"checkpoint {n} does not extend checkpoint {m} (log rewritten or forked)")
        else:
            report.consistency_proofs += 1


def _events(bundle: Bundle, manifest: dict[str, Any], checkpoints: dict[int, _Checkpoint], report: Report) -> None:
    lines = bundle.files.get("events.jsonl", b"").splitlines()
    order = manifest.get("events")
    if order is not None and not _strings(order):
        report.fail(MANIFEST, "events is not a list of event ids")
        order = None
    unsealed_ids = manifest.get("unsealed") or []
    if not _strings(unsealed_ids):
        report.fail(MANIFEST, "unsealed is not a list of event ids")
        unsealed_ids = []
    unsealed = set(unsealed_ids)
    chains: dict[str, dict[int, tuple[str, dict[str, Any]]]] = defaultdict(dict)
    seen: set[str] = set()
    last_leaf = -1
    ids = []
    checkers: dict[int, _InclusionChecker] = {}
    for number, line in enumerate(lines, start=1):
        where = f"events.jsonl line {number}"
        canonical_problem = None
        try:
            envelope = parse_canonical(line)
        except CanonicalError as error:
            canonical_problem = str(error)
            try:
                envelope = json.loads(line)
            except (ValueError, RecursionError):
                envelope = None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("event_id"), str):
            report.fail(where, "not an event envelope")
            continue
        event_id = envelope["event_id"]
        where = f"event {event_id}"
        ids.append(event_id)
        if event_id in seen:
            report.fail(where, "appears twice")
        seen.add(event_id)
        if canonical_problem:
            report.fail(where, f"not in canonical form ({canonical_problem})")
        event_hash = sha256_hex(line)
        if event_id in unsealed:
            # The signed manifest says the log does not hold it yet: no proof to check, and it is counted.
            report.unsealed += 1
            if f"proofs/{event_id}.json" in bundle.files:
                report.fail(where, "is listed as unsealed but has an inclusion proof")
            leaf = None
        else:
            leaf = _inclusion(bundle, event_id, event_hash, envelope.get("consumer_tag"), checkpoints, checkers,
                              report)
        if leaf is not None:
            if leaf <= last_leaf:
                report.fail(where, f"leaf {leaf} comes after leaf {last_leaf}: events are out of order")
            last_leaf = max(last_leaf, leaf)
        if isinstance(envelope.get("request_id"), str) and isinstance(envelope.get("seq"), int):
            chains[envelope["request_id"]][envelope["seq"]] = (event_hash, envelope)
        report.events += 1
    if isinstance(order, list) and order != ids:
        missing = [i for i in order if i not in seen]
        extra = [i for i in ids if i not in set(order)]
        report.fail("events.jsonl", f"does not hold the manifest's events in order (missing {missing[:3]}, "
                                    f"extra {extra[:3]})")
    _chains(chains, bool(manifest.get("complete_chains")), report)


def _inclusion(bundle: Bundle, event_id: str, event_hash: str, tag: str | None,
               checkpoints: dict[int, _Checkpoint], checkers: dict[int, _InclusionChecker],
               report: Report) -> int | None:
    where = f"event {event_id}"
    try:
        proof = bundle.json(f"proofs/{event_id}.json")
        index, size = proof["leaf_index"], proof["tree_size"]
        path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
        batch_version = proof.get("batch_version")  # only batched access events' leaves carry one
    except KeyError:
        report.fail(where, "has no inclusion proof")
        return None
    except (ValueError, TypeError, IndexError):
        report.fail(where, "its inclusion proof is malformed")
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (index, size)):
        report.fail(where, "its inclusion proof's leaf_index and tree_size are not non-negative integers")
        return None
    if size not in checkpoints:
        report.fail(where, f"its proof is against tree size {size}, which no checkpoint in the bundle signs")
        return index
    try:
        leaf = merkle.leaf_hash(merkle.leaf_data(event_hash, tag, batch_version))
    except (ValueError, TypeError) as error:
        report.fail(where, f"cannot form its leaf ({error})")
        return index
    checker = checkers.setdefault(size, _InclusionChecker(size, checkpoints[size].root))
    if not checker.verify(leaf, index, path):
        report.fail(where, f"is not leaf {index} of the log signed at size {size} (changed, or not in the log)")
    return index


def _chains(chains: dict[str, dict[int, tuple[str, dict[str, Any]]]], complete: bool, report: Report) -> None:
    for request_id, chain in chains.items():
        report.requests += 1
        seqs = sorted(chain)
        if complete and seqs != list(range(1, len(seqs) + 1)):
            # Not 1..k: then some position within 1..k is missing (a seq of 2^53 must not make us count to it).
            gaps = [seq for seq in range(1, len(seqs) + 1) if seq not in chain]
            report.fail(f"request {request_id}", f"chain is incomplete: events {gaps[:5]} are missing")
        for seq in seqs:
            _, envelope = chain[seq]
            previous = chain.get(seq - 1)
            if seq == 1 and envelope.get("prev_event_hash") is not None:
                report.fail(f"event {envelope['event_id']}", "opens its request but names a previous event")
            elif previous is not None and envelope.get("prev_event_hash") != previous[0]:
                report.fail(f"event {envelope['event_id']}",
                            f"prev_event_hash does not match event {previous[1]['event_id']} (seq {seq - 1})")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
