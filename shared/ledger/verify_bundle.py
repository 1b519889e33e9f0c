"""Offline verification of an evidence bundle (docs/ledger-v1.md): no network, no AWS, only the bundle's files.

Every check runs and every failure names the file, event or checkpoint and what is wrong, so a report can show
the whole damage rather than the first symptom. A malformed bundle (wrong types, absurd numbers, deep nesting) is
a named failure too, never an exception. Signatures count only by a trusted key: the pinned one (shared/ledger/
trust.py) or, without a pin, the bundle's own keys, which the report then says."""

import base64
import binascii
import gc
import hashlib
import json
from collections import defaultdict
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.ledger import checkpoint as notes
from shared.ledger import merkle
from shared.ledger.bundle_format import (EVENTS, FORMAT_V2, FORMAT_V3, FORMATS, MANIFEST, PROOF_FILE, PROOFS,
                                         SIGNATURE, Bundle)
from shared.ledger.proof_file import Proof, ProofFileError, decode
from shared.ledger.canonical import ROUND_TRIP, CanonicalError, orjson, parse_canonical, parse_json, plain
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


_CHUNK = 1 << 16  # inflating in pieces that stay in cache is faster than in 1 MiB ones
_NODE_HASHER = hashlib.sha256(b"\x01")  # copied per node: cheaper than a new hasher
_TAGS_KEPT = 1 << 16  # consumer tags remembered as bytes (a bundle of one consumer has one)


@dataclass(frozen=True)
class _Checkpoint:
    path: str
    size: int
    root: bytes


class _InclusionChecker:
    """RFC 9162 section 2.1.3.2 inclusion verification against one signed root, remembering the nodes the last
    verified proof passed through (at most one per depth: the ancestors of that leaf). Events come in leaf order,
    so the next leaf's path soon meets one of them at the same position and depth, and the walk stops there: same
    result, a few hashes per event instead of log2(n), and memory of O(log n) whatever the bundle's size."""

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.root = root
        self.proven: dict[int, tuple[int, int, bytes]] = {}  # depth -> (fn, sn, node) as the walk saw it
        self.checked: list[str] = []  # the last path whose every string is 64 hex digits

    def verify(self, leaf: bytes, index: int, siblings: list[str] | list[bytes], hexed: bool) -> int:
        """How many siblings the walk used to prove the leaf, or -1 when they do not. The siblings are 32-byte
        hashes, or (`hexed`) a proof's strings, of which only those the walk reaches are decoded: one that is not
        64 hex digits raises ValueError (or TypeError), and the walk remembers nothing."""
        if index >= self.size:
            return -1
        fn, sn, node = index, self.size - 1, leaf
        proven, copy, fromhex = self.proven, _NODE_HASHER.copy, bytes.fromhex
        steps: list[tuple[int, tuple[int, int, bytes]]] = []  # (depth, (fn, sn, node)) of each node it computes
        count = depth = len(siblings)
        for sibling in siblings:
            if sn == 0:
                return -1
            if hexed:
                if len(sibling) != 64 or len(sibling := fromhex(sibling)) != 32:  # fromhex skips spaces
                    raise ValueError("a sibling is not 64 hex digits")
            hasher = copy()
            if fn & 1 or fn == sn:
                hasher.update(sibling)
                hasher.update(node)
                if not fn & 1:
                    while not fn & 1 and fn != 0:
                        fn >>= 1
                        sn >>= 1
            else:
                hasher.update(node)
                hasher.update(sibling)
            node = hasher.digest()
            fn >>= 1
            sn >>= 1
            depth -= 1
            known = proven.get(depth)
            if known is not None and known[0] == fn and known[1] == sn:
                if known[2] != node:
                    return -1
                break
            if depth:
                steps.append((depth, (fn, sn, node)))
        else:
            if sn != 0 or node != self.root:
                return -1
        proven.update(steps)
        return count - depth


def verify_bundle(bundle: Bundle, pin: KeyPin | None = None) -> Report:
    report = Report(pin=pin)
    manifest = _manifest(bundle, report)
    if manifest is None:
        return report
    version = manifest.get("format")
    keys = _trusted(_keys(bundle, report), pin, report)
    _manifest_signature(bundle, keys, report)
    # The large files are hashed while the event pass streams them, so each is read once.
    proof_file = {FORMAT_V2: PROOFS, FORMAT_V3: PROOF_FILE}.get(version)
    listed = _listed_files(bundle, manifest, report, (EVENTS, proof_file) if proof_file else (EVENTS,))
    origin = manifest.get("origin")
    checkpoints = _checkpoints(bundle, origin if isinstance(origin, str) else None, keys, report)
    if proof_file is None:  # v1
        _consistency(bundle, checkpoints, report)
    else:
        _consistency_to_latest(bundle, checkpoints, report)
    proofs = _ProofFiles(bundle) if proof_file is None else \
        (_StreamedProofs if proof_file == PROOFS else _BinaryProofs)(bundle, listed.get(proof_file), report)
    collecting = gc.isenabled()
    gc.disable()  # the event pass makes no reference cycles; collections would only rescan what it keeps
    try:
        _events(bundle, manifest, checkpoints, proofs, listed.get(EVENTS), report)
    finally:
        if collecting:
            gc.enable()
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
    if manifest.get("format") not in FORMATS:
        expected = " or ".join(repr(f) for f in FORMATS)
        report.fail(MANIFEST, f"format is {manifest.get('format')!r}, expected {expected}")
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


def _listed_files(bundle: Bundle, manifest: dict[str, Any], report: Report,
                  streamed: tuple[str, ...]) -> dict[str, str]:
    """Check every listed file but the streamed ones (checked by the pass that reads them); return the listing."""
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
        elif path not in streamed and _file_sha256(bundle, path) != digest:
            report.fail(path, "its SHA-256 differs from the manifest")
    for path in bundle.files:
        if path not in listed and path not in (MANIFEST, SIGNATURE):
            report.fail(path, "not listed in the manifest")
    return listed


def _file_sha256(bundle: Bundle, path: str) -> str:
    digest = hashlib.sha256()
    with bundle.open(path) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _line_chunks(bundle: Bundle, path: str, digest: "hashlib._Hash",
                 judge: bool = True) -> Iterator[tuple[list[bytes], bool]]:
    """The file's lines (without their newline), a read chunk's worth at a time, hashed as they pass, each list
    with whether all its lines are plain (canonical.plain: one search over the chunk instead of one per line;
    False without `judge`)."""
    if path not in bundle.files:
        return
    with bundle.open(path) as stream:
        rest = b""
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            lines = chunk.split(b"\n")
            # The line the last chunk left open: joining just it spares copying the chunk; it spans two chunks, so
            # neither chunk's search covers it whole.
            carried = bool(rest)
            lines[0] = rest + lines[0]
            rest = lines.pop()
            yield lines, judge and plain(chunk) and (not carried or not lines or plain(lines[0]))
        if rest:
            yield [rest], judge and plain(rest)


def _chunks(bundle: Bundle, path: str, digest: "hashlib._Hash") -> Iterator[bytes]:
    """The file's bytes as read, hashed as they pass (nothing when it is absent)."""
    if path not in bundle.files:
        return
    with bundle.open(path) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            yield chunk


def _lines(bundle: Bundle, path: str, digest: "hashlib._Hash") -> Iterator[bytes]:
    return itertools.chain.from_iterable(lines for lines, _ in _line_chunks(bundle, path, digest, judge=False))


def _check_streamed_hash(path: str, expected: str | None, digest: "hashlib._Hash", report: Report) -> None:
    if expected is not None and digest.hexdigest() != expected:
        report.fail(path, "its SHA-256 differs from the manifest")


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
    """v1: each consecutive pair of checkpoints."""
    sizes = sorted(checkpoints)
    for m, n in zip(sizes, sizes[1:], strict=False):
        _consistency_pair(bundle, checkpoints, m, n, report)


def _consistency_to_latest(bundle: Bundle, checkpoints: dict[int, _Checkpoint], report: Report) -> None:
    """v2 and v3: every checkpoint to the latest, so each event's sealing checkpoint is proven extended by it."""
    sizes = sorted(checkpoints)
    for m in sizes[:-1]:
        _consistency_pair(bundle, checkpoints, m, sizes[-1], report)


def _consistency_pair(bundle: Bundle, checkpoints: dict[int, _Checkpoint], m: int, n: int, report: Report) -> None:
    path = f"consistency/{m}-{n}.json"
    try:
        proof = [bytes.fromhex(h) for h in bundle.json(path)["proof"]]
    except (KeyError, ValueError, TypeError, IndexError):
        report.fail(path, f"missing or malformed consistency proof between checkpoints {m} and {n}")
        return
    if not merkle.verify_consistency(m, n, checkpoints[m].root, checkpoints[n].root, proof):
        report.fail(path, f"checkpoint {n} does not extend checkpoint {m} (log rewritten or forked)")
    else:
        report.consistency_proofs += 1


class _ProofFiles:
    """v1: proofs/<event_id>.json, one file per event."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle

    def take(self, event_id: str) -> Any:
        """The event's proof object, None when it has none; ValueError when the file is not JSON."""
        try:
            return self.bundle.json(f"proofs/{event_id}.json")
        except KeyError:
            return None

    def has(self, event_id: str) -> bool:
        return f"proofs/{event_id}.json" in self.bundle.files

    def finish(self, unsealed: set[str], report: Report) -> None:
        pass


class _StreamedProofs:
    """v2: proofs.jsonl, one line per sealed event in leaf order, read alongside events.jsonl. A proof read ahead
    of its event waits in `ahead`, which stays empty unless lines were inserted, deleted or moved."""

    path, unit = PROOFS, "line"

    def __init__(self, bundle: Bundle, expected_sha256: str | None, report: Report) -> None:
        self.digest = hashlib.sha256()
        self.expected, self.report = expected_sha256, report
        self.ahead: dict[str, Any] = {}
        self.records = self._records(bundle)

    def _records(self, bundle: Bundle) -> Iterator[tuple[int, Any, Any]]:
        """(number, the event id it claims or None, the proof) for each record, in file order."""
        parse = orjson.loads if orjson is not None else parse_json  # parse_json's fast path, without a call
        for number, line in enumerate(_lines(bundle, PROOFS, self.digest), start=1):
            try:
                proof = parse(line)
            except ValueError:
                proof = None
            claimed = proof.get("event_id") if type(proof) is dict else None  # parsed JSON: exactly a dict
            yield number, claimed if type(claimed) is str else None, proof

    def take(self, event_id: str) -> Any:
        """The event's proof, None when it has none."""
        ahead = self.ahead
        if ahead and event_id in ahead:
            return ahead.pop(event_id)
        for number, claimed, proof in self.records:
            if claimed is None:
                self.report.fail(f"{self.path} {self.unit} {number}", "not a proof of an event")
                continue
            if claimed == event_id:
                return proof
            if claimed in ahead:
                self.report.fail(f"{self.path} {self.unit} {number}", f"a second proof for event {claimed}")
            ahead[claimed] = proof
        return None

    def has(self, event_id: str) -> bool:
        return event_id in self.ahead

    def finish(self, unsealed: set[str], report: Report) -> None:
        """Read what is left (it is hashed too): every proof must have been claimed by an event."""
        self.take("")
        for event_id in self.ahead:
            if event_id in unsealed:
                report.fail(f"event {event_id}", "is listed as unsealed but has an inclusion proof")
            else:
                report.fail(self.path, f"holds a proof for event {event_id}, which is not where events.jsonl has it")
        _check_streamed_hash(self.path, self.expected, self.digest, report)


class _BinaryProofs(_StreamedProofs):
    """v3: proofs/inclusion.bin (shared/ledger/proof_file.py), one record per sealed event, read alongside events.jsonl as
    v2's lines are. A file that breaks off is named, and the rest of it is still hashed."""

    path, unit = PROOF_FILE, "record"

    def _records(self, bundle: Bundle) -> Iterator[tuple[int, Proof]]:
        """(number, record) for each record (a record's first field is the event id it claims, or None)."""
        self.chunks = _chunks(bundle, PROOF_FILE, self.digest)
        return enumerate(decode(self.chunks), start=1)  # C iterators: no Python frame per record

    def take(self, event_id: str) -> Any:
        """As v2's, over records: in the common case the next record is the event's."""
        ahead = self.ahead
        if ahead and event_id in ahead:
            return ahead.pop(event_id)
        try:
            for number, proof in self.records:
                claimed = proof[0]
                if claimed == event_id:
                    return proof
                if claimed is None:
                    self.report.fail(f"{PROOF_FILE} record {number}", "not a proof of an event")
                    continue
                if claimed in ahead:
                    self.report.fail(f"{PROOF_FILE} record {number}", f"a second proof for event {claimed}")
                ahead[claimed] = proof
        except ProofFileError as error:
            self.report.fail(PROOF_FILE, str(error))
            self.records = iter(())
            for _ in self.chunks:  # hashed to the end, so the manifest check still speaks
                pass
        return None


# What the chain check keeps of an event: its hash, its prev_event_hash as written, its id.
_Link = tuple[str, Any, str]
_NEW = object()  # a request not met before


def _events(bundle: Bundle, manifest: dict[str, Any], checkpoints: dict[int, _Checkpoint],
            proofs: _ProofFiles | _StreamedProofs, expected_sha256: str | None, report: Report) -> None:
    """One pass over events.jsonl, keeping per event only what the chain and order checks need."""
    order = manifest.get("events")
    if order is not None and not _strings(order):
        report.fail(MANIFEST, "events is not a list of event ids")
        order = None
    unsealed_ids = manifest.get("unsealed") or []
    if not _strings(unsealed_ids):
        report.fail(MANIFEST, "unsealed is not a list of event ids")
        unsealed_ids = []
    unsealed = set(unsealed_ids)
    chains: dict[str, dict[int, _Link]] = defaultdict(dict)
    # Per request, while its links have come as a whole chain so far (seq 1 opening it, each next naming the last):
    # the last seq and hash; None once they have not. Such a request's check at the end finds nothing to say.
    heads: dict[str, tuple[int, str] | None] = {}
    seen: set[str] = set()
    last_leaf = -1
    ids: list[str] = []
    leaves = _Leaves(proofs, checkpoints, report)
    file_digest = hashlib.sha256()
    sha256 = hashlib.sha256
    if orjson is not None:
        loads, dumps, orjson_errors = orjson.loads, orjson.dumps, (orjson.JSONDecodeError, orjson.JSONEncodeError)
    number = events = 0
    for lines, plain_lines in _line_chunks(bundle, EVENTS, file_digest):
        for line in lines:
            number += 1
            envelope = canonical_problem = None
            if plain_lines:  # orjson's exact round trip is the canonical check (canonical.plain)
                try:
                    envelope = loads(line)
                    if dumps(envelope, option=ROUND_TRIP) != line:
                        envelope = None
                except orjson_errors:
                    envelope = None
            if envelope is None:
                try:
                    envelope = parse_canonical(line)
                except CanonicalError as error:
                    canonical_problem = str(error)
                    try:
                        envelope = json.loads(line)
                    except (ValueError, RecursionError):
                        envelope = None
            event_id = envelope.get("event_id") if type(envelope) is dict else None  # parsed JSON: exactly a dict
            if type(event_id) is not str:
                report.fail(f"events.jsonl line {number}", "not an event envelope")
                continue
            ids.append(event_id)
            known = len(seen)
            seen.add(event_id)
            if len(seen) == known:
                report.fail(f"event {event_id}", "appears twice")
            if canonical_problem:
                report.fail(f"event {event_id}", f"not in canonical form ({canonical_problem})")
            digest = sha256(line).digest()
            if unsealed and event_id in unsealed:
                # The signed manifest says the log does not hold it yet: no proof to check, and it is counted.
                report.unsealed += 1
                if proofs.has(event_id):
                    report.fail(f"event {event_id}", "is listed as unsealed but has an inclusion proof")
                leaf = None
            else:
                leaf = leaves.check(event_id, digest, envelope.get("consumer_tag"))
            if leaf is not None:
                if leaf <= last_leaf:
                    report.fail(f"event {event_id}",
                                f"leaf {leaf} comes after leaf {last_leaf}: events are out of order")
                else:
                    last_leaf = leaf
            request_id, seq = envelope.get("request_id"), envelope.get("seq")
            if isinstance(request_id, str) and isinstance(seq, int):
                event_hash, prev_event_hash = digest.hex(), envelope.get("prev_event_hash")
                chains[request_id][seq] = (event_hash, prev_event_hash, event_id)
                head = heads.get(request_id, _NEW)
                if head is _NEW:
                    heads[request_id] = (seq, event_hash) if seq == 1 and prev_event_hash is None else None
                elif head is not None:
                    heads[request_id] = (seq, event_hash) if seq == head[0] + 1 and prev_event_hash == head[1] \
                        else None
            events += 1
    report.events += events
    _check_streamed_hash(EVENTS, expected_sha256, file_digest, report)
    proofs.finish(unsealed, report)
    if isinstance(order, list) and order != ids:
        listed = set(order)
        missing = [i for i in order if i not in seen]
        extra = [i for i in ids if i not in listed]
        report.fail("events.jsonl", f"does not hold the manifest's events in order (missing {missing[:3]}, "
                                    f"extra {extra[:3]})")
    _chains(chains, {request_id for request_id, head in heads.items() if head is not None},
            bool(manifest.get("complete_chains")), report)


class _Leaves:
    """Each sealed event's inclusion proof, checked against the signed checkpoint it names."""

    def __init__(self, proofs: _ProofFiles | _StreamedProofs, checkpoints: dict[int, _Checkpoint],
                 report: Report) -> None:
        self.proofs, self.checkpoints, self.report = proofs, checkpoints, report
        self.checkers: dict[int, _InclusionChecker] = {}
        self.tags: dict[str | None, bytes] = {}  # consumer tag -> its 32 bytes, for the tags met so far

    def check(self, event_id: str, event_digest: bytes, tag: Any) -> int | None:
        """The leaf index the event's proof claims (for the order check), None without a usable one.

        The common case first: a well-typed proof whose walk decodes only the siblings it uses, and whose other
        strings equal those of the last path known valid (they are the shared upper levels), or are checked all
        at once. Anything else takes `_check_parsed`, which names what is wrong as it always did."""
        try:
            proof = self.proofs.take(event_id)
        except ValueError:  # v1: the proof file is not JSON
            self.report.fail(f"event {event_id}", "its inclusion proof is malformed")
            return None
        if type(proof) is Proof:  # v3: typed by its format, its siblings 32 bytes each
            _, index, size, path, batch_version = proof
            checker = self.checkers.get(size)
            if checker is not None and path is not None and batch_version is None and type(tag) is str \
                    and (tag_bytes := self.tags.get(tag)) is not None:
                hasher = merkle.EVENT_LEAF_HASHER.copy()
                hasher.update(tag_bytes)
                hasher.update(event_digest)
                if checker.verify(hasher.digest(), index, path, False) < 0:
                    self._not_leaf(event_id, index, size)
                return index
        elif type(proof) is dict:  # parsed JSON: exactly a dict
            index, size, hexes = proof.get("leaf_index"), proof.get("tree_size"), proof.get("inclusion_path")
            checker = self.checkers.get(size) if type(size) is int else None  # bool is not a size
            if checker is not None and type(index) is int and index >= 0 and type(hexes) is list:
                try:
                    batch_version = proof.get("batch_version")
                    if batch_version is None and type(tag) is str and (tag_bytes := self.tags.get(tag)) is not None:
                        hasher = merkle.EVENT_LEAF_HASHER.copy()  # _leaf's common case, without the call
                        hasher.update(tag_bytes)
                        hasher.update(event_digest)
                        leaf = hasher.digest()
                    else:
                        leaf = self._leaf(event_digest, tag, batch_version)
                    used = checker.verify(leaf, index, hexes, True)
                except (ValueError, TypeError):
                    pass
                else:
                    rest = max(used, 0)
                    if hexes[rest:] == checker.checked[rest:] or _hex_hashes(hexes):
                        checker.checked = hexes
                        if used < 0:
                            self._not_leaf(event_id, index, size)
                        return index
                    checker.proven.clear()  # it may hold nodes of a proof that turns out malformed
        return self._check_parsed(proof, event_id, event_digest, tag)

    def _check_parsed(self, proof: Any, event_id: str, event_digest: bytes, tag: Any) -> int | None:
        report = self.report
        fields = _proof_fields(proof, event_id, report)
        if fields is None:
            return None
        index, size, siblings, batch_version = fields
        checker = self.checkers.get(size)
        if checker is None:
            if size not in self.checkpoints:
                report.fail(f"event {event_id}",
                            f"its proof is against tree size {size}, which no checkpoint in the bundle signs")
                return index
            checker = self.checkers[size] = _InclusionChecker(size, self.checkpoints[size].root)
        try:
            leaf = self._leaf(event_digest, tag, batch_version)
        except (ValueError, TypeError) as error:
            report.fail(f"event {event_id}", f"cannot form its leaf ({error})")
            return index
        if siblings is None or checker.verify(leaf, index, siblings, False) < 0:
            self._not_leaf(event_id, index, size)
        return index

    def _not_leaf(self, event_id: str, index: int, size: int) -> None:
        self.report.fail(f"event {event_id}",
                         f"is not leaf {index} of the log signed at size {size} (changed, or not in the log)")

    def _leaf(self, event_digest: bytes, tag: Any, batch_version: Any) -> bytes:
        if batch_version is not None:  # only batched access events' leaves carry one
            return merkle.leaf_hash(merkle.leaf_data_of_digest(event_digest, tag, batch_version))
        tags = self.tags
        try:
            tag_bytes = tags[tag]
        except (KeyError, TypeError):  # a new tag, or JSON that is not one (merkle names the problem)
            tag_bytes = merkle.tag_bytes(tag)
            if len(tags) >= _TAGS_KEPT:
                tags.clear()
            tags[tag] = tag_bytes
        hasher = merkle.EVENT_LEAF_HASHER.copy()
        hasher.update(tag_bytes)
        hasher.update(event_digest)
        return hasher.digest()


def _proof_fields(proof: Any, event_id: str, report: Report) -> tuple[int, int, list[bytes] | None, Any] | None:
    """(leaf_index, tree_size, siblings, batch_version) of a parsed proof object or a v3 record (siblings None when
    they cannot be a path), or None with its failure."""
    if proof is None:
        report.fail(f"event {event_id}", "has no inclusion proof")
        return None
    if type(proof) is Proof:
        if proof.path is None:
            report.fail(f"event {event_id}", "its inclusion proof is malformed")
            return None
        return proof.leaf_index, proof.tree_size, proof.path, proof.batch_version
    try:
        index, size, hexes = proof["leaf_index"], proof["tree_size"], proof["inclusion_path"]
        batch_version = proof.get("batch_version")  # only batched access events' leaves carry one
        if type(hexes) is not list or set(map(len, hexes)) - {64}:  # parsed JSON: exactly a list
            raise ValueError("inclusion_path is not a list of 64 hex digits each")
        path = bytes.fromhex("".join(hexes))  # hex digits may be spaced (then fewer hashes than strings)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        report.fail(f"event {event_id}", "its inclusion proof is malformed")
        return None
    if not (type(index) is int and type(size) is int and index >= 0 and size >= 0):  # bool is not an index
        report.fail(f"event {event_id}", "its inclusion proof's leaf_index and tree_size are not non-negative integers")
        return None
    siblings = None if len(path) & 31 else [path[at:at + 32] for at in range(0, len(path), 32)]
    return index, size, siblings, batch_version


# The JSON of a list of hex hashes with each digit (of either case: bytes.fromhex takes both) as "h": one
# translate and compare checks every string of a proof's path.
_SHAPE = bytes(ord("h") if chr(c) in "0123456789abcdefABCDEF" else c if chr(c) in '",[]' else ord("!")
               for c in range(256))
_SHAPES = {k: b"[" + b",".join([b'"' + b"h" * 64 + b'"'] * k) + b"]" for k in range(65)}


def _hex_hashes(value: Any) -> bool:
    """True when `value` is a list of strings of 64 hex digits each (at most 64 of them: a tree's depth)."""
    if orjson is None or type(value) is not list or len(value) > 64:
        return False
    try:
        return orjson.dumps(value).translate(_SHAPE) == _SHAPES[len(value)]
    except orjson.JSONEncodeError:
        return False


def _chains(chains: dict[str, dict[int, _Link]], whole: set[str], complete: bool, report: Report) -> None:
    """Each request's links in seq order (`whole`: requests already seen to form a whole chain, in order)."""
    report.requests += len(chains)
    for request_id, links in chains.items():
        if request_id in whole:
            continue
        seqs = sorted(links)
        if complete and seqs != list(range(1, len(seqs) + 1)):
            # Not 1..k: then some position within 1..k is missing (a seq of 2^53 must not make us count to it).
            gaps = [seq for seq in range(1, len(seqs) + 1) if seq not in links]
            report.fail(f"request {request_id}", f"chain is incomplete: events {gaps[:5]} are missing")
        previous_seq, previous = None, None
        for seq in seqs:
            link = links[seq]
            _, prev_event_hash, event_id = link
            if seq == 1 and prev_event_hash is not None:
                report.fail(f"event {event_id}", "opens its request but names a previous event")
            elif previous_seq == seq - 1 and prev_event_hash != previous[0]:
                report.fail(f"event {event_id}", f"prev_event_hash does not match event {previous[2]} (seq {seq - 1})")
            previous_seq, previous = seq, link


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
