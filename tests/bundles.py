"""Builds valid evidence bundles from synthetic events, signed with a throwaway P-256 key (tests and bench)."""

import json
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.ledger import checkpoint as notes
from shared.ledger import merkle
from shared.ledger.bundle_format import FORMAT_V1, FORMAT_V2, Bundle, seal_manifest
from shared.ledger.canonical import sha256_hex
from shared.ledger.envelope import Actor, build_envelope
from shared.ledger.ids import uuid7

ORIGIN = "ccpa-audit.test/ledger"
KEY_NAME = "ccpa-audit.test"
T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def synthetic_envelopes(requests: int, per_request: int) -> list[bytes]:
    """Canonical envelopes in leaf order: each request's chain, interleaved as they would be recorded."""
    lines, heads = [], {}
    for step in range(per_request):
        for r in range(requests):
            request_id = f"00000000-0000-7000-8000-{r:012d}"
            moment = T0 + timedelta(seconds=step * requests + r)
            envelope = build_envelope(
                event_id=uuid7(), type="request_received" if step == 0 else "instruction_sent",
                actor=Actor(type="system", id="bench"), occurred_at=moment, recorded_at=moment,
                record_type="consumer_request", retain_until=datetime(2029, 1, 1, tzinfo=UTC),
                details={"step": step}, request_id=request_id, seq=step + 1, prev_event_hash=heads.get(request_id),
                consumer_tag=f"{r:064x}")
            heads[request_id] = envelope.hash()
            lines.append(envelope.canonical())
    return lines


def build_bundle(lines: list[bytes], checkpoint_sizes: list[int] | None = None,
                 key: ec.EllipticCurvePrivateKey | None = None, version: int = 1) -> Bundle:
    """v1 (docs/ledger-v1.md): proofs against the last checkpoint, one file each, consecutive consistency proofs.
    v2 (docs/bundle-v2.md): proofs.jsonl against the checkpoint that sealed each event, consistency to the last."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_id = notes.key_hash(KEY_NAME, der)

    def sign(data: bytes) -> bytes:
        return key.sign(data, ec.ECDSA(hashes.SHA256()))

    envelopes = [json.loads(line) for line in lines]
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
    proofs = []
    for index, envelope in enumerate(envelopes):
        size = final if version == 1 else min(s for s in sizes if s > index)
        path = [h.hex() for h in merkle.inclusion_proof(index, size, hash_at)]
        proofs.append(json.dumps({"event_id": envelope["event_id"], "leaf_index": index, "tree_size": size,
                                  "inclusion_path": path}, sort_keys=True).encode())
        if version == 1:
            files[f"proofs/{envelope['event_id']}.json"] = proofs[-1]
    if version == 2:
        files["proofs.jsonl"] = b"".join(line + b"\n" for line in proofs)
    files[f"keys/{KEY_NAME}.pem"] = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    bundle = Bundle(files)
    reseal(bundle, key, [e["event_id"] for e in envelopes], FORMAT_V1 if version == 1 else FORMAT_V2)
    return bundle


def reseal(bundle: Bundle, key: ec.EllipticCurvePrivateKey, event_ids: list[str], format: str | None = None) -> None:  # noqa: A002
    """Rewrite the manifest and its signature (what an insider holding the signing key could do)."""
    if format is None:
        format = json.loads(bundle.files["manifest.json"])["format"]  # noqa: A001
    bundle.files.pop("manifest.json", None)
    bundle.files.pop("manifest.sig", None)
    seal_manifest(bundle, {"origin": ORIGIN, "scope": {"test": True}, "events": event_ids, "complete_chains": True},
                  KEY_NAME, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())), format)
