"""The verifier's fast paths (shared/ledger/verify_bundle.py) accept exactly what its slow paths accept: a read
chunk judged plain at once, proof strings checked as the walk decodes them and the rest by equality with the last
valid path, request chains seen whole as they stream left out of the final check. Each tampered bundle below gets
the same report with the fast paths on as with them off."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from shared.ledger import verify_bundle as verifier
from tests.bundles import build_bundle, reseal, synthetic_envelopes

SIZES = [6, 11, 16]


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def lines():
    return synthetic_envelopes(requests=4, per_request=4)


def slow_paths(monkeypatch):
    """Every line through parse_canonical, every proof through _check_parsed, every chain checked at the end: the
    checks as they were written."""
    every_chain = verifier._chains
    monkeypatch.setattr(verifier, "plain", lambda data: False)
    monkeypatch.setattr(verifier, "_chains", lambda chains, whole, complete, report: every_chain(
        chains, set(), complete, report))
    monkeypatch.setattr(verifier._Leaves, "check", lambda self, event_id, digest, tag: self._check_parsed(
        self.proofs.take(event_id), event_id, digest, tag))


def both_reports(bundle, monkeypatch):
    fast = verifier.verify_bundle(bundle)
    with monkeypatch.context() as patch:
        slow_paths(patch)
        slow = verifier.verify_bundle(bundle)
    return fast, slow


def with_proof(bundle, key, lines, number, change):
    proofs = bundle.files["proofs.jsonl"].splitlines()
    proof = json.loads(proofs[number])
    change(proof)
    proofs[number] = json.dumps(proof, sort_keys=True).encode()
    bundle.files["proofs.jsonl"] = b"".join(line + b"\n" for line in proofs)
    reseal(bundle, key, [json.loads(line)["event_id"] for line in lines])
    return bundle


def set_sibling(position, value):
    def change(proof):
        proof["inclusion_path"][position] = value
    return change


MUTATIONS = {
    "valid": lambda proof: None,
    "an upper sibling not hex": set_sibling(-1, "zz" * 32),
    "an upper sibling too short": set_sibling(-1, "ab" * 31),
    "an upper sibling spaced": set_sibling(-1, "a " * 32),
    "an upper sibling in capitals": lambda proof: proof["inclusion_path"].__setitem__(
        -1, proof["inclusion_path"][-1].upper()),
    "an upper sibling changed": set_sibling(-1, "00" * 32),
    "the first sibling not hex": set_sibling(0, "zz" * 32),
    "the first sibling changed": set_sibling(0, "00" * 32),
    "a sibling not a string": set_sibling(1, 7),
    "a sibling too many": lambda proof: proof["inclusion_path"].append("00" * 32),
    "a sibling too few": lambda proof: proof["inclusion_path"].pop(),
    "no siblings": lambda proof: proof.update(inclusion_path=[]),
    "index as a boolean": lambda proof: proof.update(leaf_index=True),
    "index beyond the tree": lambda proof: proof.update(leaf_index=99),
    "size of no checkpoint": lambda proof: proof.update(tree_size=7),
    "size as text": lambda proof: proof.update(tree_size="16"),
    "a batch version": lambda proof: proof.update(batch_version="v1"),
    "an empty batch version": lambda proof: proof.update(batch_version=""),
}


@pytest.mark.parametrize("number", [3, 8, 13])  # the middle of each checkpoint's leaves
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_tampered_proof_gets_the_same_report_on_the_fast_path(key, lines, monkeypatch, mutation, number):
    bundle = with_proof(build_bundle(lines, SIZES, key, version=2), key, lines, number, MUTATIONS[mutation])
    fast, slow = both_reports(bundle, monkeypatch)
    assert fast.failures == slow.failures
    if mutation in ("valid", "an upper sibling in capitals"):
        assert fast.ok
    elif mutation != "an upper sibling changed":  # unread when the walk stops at a proven node, on both paths
        assert not fast.ok


def test_a_malformed_upper_sibling_is_named_though_the_walk_never_reads_it(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    target = json.loads(lines[5])["event_id"]  # leaf 5: its walk stops at the node leaf 4's walk proved
    bundle = with_proof(bundle, key, lines, 5, set_sibling(-1, "zz" * 32))
    assert verifier.verify_bundle(bundle).failures == [f"event {target}: its inclusion proof is malformed"]


@pytest.mark.parametrize("envelope_change", [
    (b'"details":{"step":1}', b'"details":{"step":1.5}'),  # a fraction orjson would round-trip
    (b'"details":{"step":1}', b'"details":{"step":1.0}'),
    (b'"details":{"step":1}', b'"details":{"step":9007199254740993}'),  # beyond 2^53
    (b'"details":{"step":1}', b'"details":{"st\\u00e9p":1}'),  # an escape the canonical form does not use
    (b'"details":{"step":1}', b'"details":{ "step":1}'),
])
@pytest.mark.parametrize("chunk", [64, 500, 1 << 16])  # lines across chunk boundaries, and whole chunks
def test_a_non_canonical_line_is_named_whatever_chunk_it_falls_in(key, lines, monkeypatch, envelope_change, chunk):
    old, new = envelope_change
    changed = [line.replace(old, new) for line in lines]
    assert changed != lines
    bundle = build_bundle(lines, SIZES, key, version=2)
    bundle.files["events.jsonl"] = b"\n".join(changed) + b"\n"
    reseal(bundle, key, [json.loads(line)["event_id"] for line in lines])
    monkeypatch.setattr(verifier, "_CHUNK", chunk)
    fast, slow = both_reports(bundle, monkeypatch)
    assert fast.failures == slow.failures
    assert sum("not in canonical form" in failure for failure in fast.failures) == sum(
        line != original for line, original in zip(changed, lines, strict=True))


def relinked(line, **changes):
    envelope = json.loads(line)
    envelope.update(changes)
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


CHAIN_EDITS = {
    "a link named wrong": lambda lines: [*lines[:9], relinked(lines[9], prev_event_hash="00" * 32), *lines[10:]],
    "an opening naming a previous": lambda lines: [relinked(lines[0], prev_event_hash="00" * 32), *lines[1:]],
    "a link dropped": lambda lines: [*lines[:5], *lines[6:]],
    "two links swapped": lambda lines: [*lines[:4], lines[8], *lines[5:8], lines[4], *lines[9:]],
    "a seq repeated": lambda lines: [*lines[:9], relinked(lines[9], seq=2), *lines[10:]],
    "a seq as a boolean": lambda lines: [relinked(lines[0], seq=True), *lines[1:]],
    "a request id changed": lambda lines: [*lines[:6], relinked(lines[6], request_id="other"), *lines[7:]],
}


@pytest.mark.parametrize("edit", CHAIN_EDITS)
def test_a_broken_chain_gets_the_same_report_on_the_fast_path(key, lines, monkeypatch, edit):
    bundle = build_bundle(lines, SIZES, key, version=2)
    changed = CHAIN_EDITS[edit](lines)
    bundle.files["events.jsonl"] = b"\n".join(changed) + b"\n"
    reseal(bundle, key, [json.loads(line)["event_id"] for line in changed])
    fast, slow = both_reports(bundle, monkeypatch)
    assert fast.failures == slow.failures
    assert not fast.ok
