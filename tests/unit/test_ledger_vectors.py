"""docs/ledger-v1-vectors.json: our own frozen vectors. If this fails, the v1 rules changed: make a v2 instead."""

import json
from pathlib import Path

from shared.ledger import checkpoint, merkle
from shared.ledger.canonical import canonical_bytes, sha256_hex

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "docs" / "ledger-v1-vectors.json").read_text())


def test_canonical_bytes_hashes_and_leaves_match_the_frozen_vectors():
    for vector in VECTORS["events"]:
        canonical = canonical_bytes(vector["envelope"])
        assert canonical.decode() == vector["canonical"]
        assert sha256_hex(canonical) == vector["event_hash"]
        data = merkle.leaf_data(vector["event_hash"], vector["envelope"]["consumer_tag"])
        assert data.hex() == vector["leaf_data"] and data.endswith(bytes.fromhex(vector["event_hash"]))
        assert merkle.leaf_hash(data).hex() == vector["leaf_hash"]


def test_tree_proofs_and_checkpoint_match_the_frozen_vectors():
    leaves = [bytes.fromhex(v["leaf_hash"]) for v in VECTORS["events"]]
    tree = VECTORS["tree"]
    for size, root in tree["roots_by_size"].items():
        assert merkle.root(leaves[: int(size)]).hex() == root
    inclusion = tree["inclusion"]
    assert [h.hex() for h in merkle.inclusion_proof_for_leaves(inclusion["index"], leaves)] == inclusion["path"]
    assert merkle.verify_inclusion(leaves[1], 1, 3, [bytes.fromhex(h) for h in inclusion["path"]],
                                   bytes.fromhex(tree["root"]))
    consistency = tree["consistency"]
    assert [h.hex() for h in merkle.consistency_proof_for_leaves(2, leaves)] == consistency["proof"]
    body = checkpoint.checkpoint_body("ccpa-audit.example/ledger", 3, bytes.fromhex(tree["root"]))
    assert body.decode() == VECTORS["checkpoint_body"]
