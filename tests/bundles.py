"""Builds valid evidence bundles from synthetic events, signed with a throwaway P-256 key (tests and bench)."""

import json
from datetime import UTC, datetime, timedelta

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.ledger import checkpoint as notes
from shared.ledger import merkle, proof_file
from shared.ledger.bundle_format import FORMAT_V1, FORMAT_V2, FORMAT_V3, PROOF_FILE, Bundle, seal_manifest
from shared.ledger.canonical import ROUND_TRIP, sha256_hex
from shared.ledger.envelope import Actor, build_envelope
from shared.ledger.ids import nonce_hex, uuid7
from shared.timefmt import rfc3339

ORIGIN = "ccpa-audit.test/ledger"
KEY_NAME = "ccpa-audit.test"
T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
FORMATS = {1: FORMAT_V1, 2: FORMAT_V2, 3: FORMAT_V3}


def synthetic_envelopes(requests: int, per_request: int) -> list[bytes]:
    """Canonical envelopes in leaf order: each request's chain, interleaved as they would be recorded.

    The first is built by build_envelope; the rest reuse its fields and are encoded straight by orjson (their
    values are ASCII strings and small integers, where that is the canonical form), which the first one checks, so
    100,000 of them take seconds instead of minutes."""
    retain = rfc3339(datetime(2029, 1, 1, tzinfo=UTC))
    lines, heads = [], {}
    for step in range(per_request):
        for r in range(requests):
            request_id = f"00000000-0000-7000-8000-{r:012d}"
            moment = rfc3339(T0 + timedelta(seconds=step * requests + r))
            fields = {"event_id": uuid7(), "type": "request_received" if step == 0 else "instruction_sent",
                      "details": {"step": step}, "request_id": request_id, "seq": step + 1,
                      "prev_event_hash": heads.get(request_id), "consumer_tag": f"{r:064x}", "nonce": nonce_hex()}
            line = orjson.dumps({"schema": "ccpa-audit/event/v1", "actor": {"type": "system", "id": "bench",
                                 "role": None}, "occurred_at": moment, "recorded_at": moment,
                                 "record_type": "consumer_request", "retain_until": retain, **fields},
                                option=ROUND_TRIP)
            if not lines:
                built = build_envelope(actor=Actor(type="system", id="bench"), occurred_at=T0, recorded_at=T0,
                                       record_type="consumer_request", retain_until=datetime(2029, 1, 1, tzinfo=UTC),
                                       **fields)
                assert built.canonical() == line, (built.canonical(), line)
            heads[request_id] = sha256_hex(line)
            lines.append(line)
    return lines


def build_bundle(lines: list[bytes], checkpoint_sizes: list[int] | None = None,
                 key: ec.EllipticCurvePrivateKey | None = None, version: int = 1) -> Bundle:
    """v1 (docs/ledger-v1.md): proofs against the last checkpoint, one file each, consecutive consistency proofs.
    v2 (docs/bundle-v2.md): proofs.jsonl against the checkpoint that sealed each event, consistency to the last.
    v3 (docs/bundle-v3.md): as v2, with the proofs in proofs/inclusion.bin."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_id = notes.key_hash(KEY_NAME, der)

    def sign(data: bytes) -> bytes:
        return key.sign(data, ec.ECDSA(hashes.SHA256()))

    envelopes = [orjson.loads(line) for line in lines]
    leaves = [merkle.leaf_hash(merkle.leaf_data(sha256_hex(line), e.get("consumer_tag")))
              for line, e in zip(lines, envelopes, strict=True)]
    hash_at = merkle.hash_at_from_leaves(leaves)
    sizes = sorted(set(checkpoint_sizes or [len(leaves)]))
    final = sizes[-1]
    files: dict[str, bytes] = {"events.jsonl": b"\n".join(lines) + b"\n"}
    for size in sizes:
        body = notes.checkpoint_body(ORIGIN, size, merkle.root_at(size, hash_at))
        files[f"checkpoints/{size}.note"] = notes.signed_note(body, KEY_NAME, key_id, sign(body)).encode()
    pairs = zip(sizes, sizes[1:], strict=False) if version == 1 else ((m, final) for m in sizes[:-1])
    for m, n in pairs:
        proof = [h.hex() for h in merkle.consistency_proof(m, n, hash_at)]
        files[f"consistency/{m}-{n}.json"] = json.dumps({"from": m, "to": n, "proof": proof}).encode()
    # Each leaf's path against the checkpoint that sealed it (v1: the last), computed a checkpoint at a time.
    ranges = [(0, final)] if version == 1 else zip([0, *sizes], sizes, strict=False)
    proofs = []
    for start, end in ranges:
        for index, path in enumerate(merkle.inclusion_paths(start, end, hash_at, leaves[start:end]), start=start):
            siblings = [path[at:at + merkle.HASH_SIZE] for at in range(0, len(path), merkle.HASH_SIZE)]
            proofs.append(proof_file.Proof(envelopes[index]["event_id"], index, end, siblings))
    if version == 3:
        files[PROOF_FILE] = proof_file.encode(proofs)
    else:
        proof_lines = [json.dumps({"event_id": p.event_id, "leaf_index": p.leaf_index, "tree_size": p.tree_size,
                                   "inclusion_path": [h.hex() for h in p.path]}, sort_keys=True).encode()
                       for p in proofs]
        if version == 1:
            files.update((f"proofs/{p.event_id}.json", line) for p, line in zip(proofs, proof_lines, strict=True))
        else:
            files["proofs.jsonl"] = b"".join(line + b"\n" for line in proof_lines)
    files[f"keys/{KEY_NAME}.pem"] = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    bundle = Bundle(files)
    reseal(bundle, key, [e["event_id"] for e in envelopes], FORMATS[version])
    return bundle


def reseal(bundle: Bundle, key: ec.EllipticCurvePrivateKey, event_ids: list[str], format: str | None = None) -> None:  # noqa: A002
    """Rewrite the manifest and its signature (what an insider holding the signing key could do)."""
    if format is None:
        format = json.loads(bundle.files["manifest.json"])["format"]  # noqa: A001
    bundle.files.pop("manifest.json", None)
    bundle.files.pop("manifest.sig", None)
    seal_manifest(bundle, {"origin": ORIGIN, "scope": {"test": True}, "events": event_ids, "complete_chains": True},
                  KEY_NAME, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())), format)


def proof_records(archive) -> list[proof_file.Proof]:  # noqa: ANN001  a zipfile.ZipFile
    """The records of an exported bundle's proofs/inclusion.bin (bundle v3)."""
    return list(proof_file.decode([archive.read(PROOF_FILE)]))
