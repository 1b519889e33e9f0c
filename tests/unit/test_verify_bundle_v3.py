"""Bundle v3 (docs/bundle-v3.md): the proofs in proofs/inclusion.bin, binary records whose shared upper siblings are written
once. A valid bundle passes through the CLI, much smaller than v2's proofs.jsonl; v1 and v2 bundles still verify;
every tampering of an event or a proof record is named, even when the tamperer re-signed the manifest; a broken
file is a named failure, never a traceback; and the fast path reports what the full checks report."""

import json
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ccpa_audit.cli import main
from shared.ledger import proof_file
from shared.ledger import verify_bundle as verifier
from shared.ledger.bundle_format import PROOF_FILE, read_bundle, to_zip, write_folder
from shared.ledger.proof_file import MAGIC, Proof, ProofFileError
from tests.bundles import build_bundle, reseal, synthetic_envelopes
# The same bundle of 4 chains of 4 events over checkpoints 6, 11 and 16, and the fast-versus-full comparison.
from tests.unit.test_verify_fast_paths import SIZES, both_reports, key, lines  # noqa: F401  (fixtures)


def ids_of(lines):
    return [json.loads(line)["event_id"] for line in lines]


def records(bundle) -> list[Proof]:
    return list(proof_file.decode([bundle.files[PROOF_FILE]]))


def rewrite(bundle, key, lines, proofs=None, raw=None):
    """The tamperer's best effort: new events.jsonl and proofs/inclusion.bin, and a manifest re-signed to match."""
    bundle.files["events.jsonl"] = b"\n".join(lines) + b"\n"
    if proofs is not None:
        bundle.files[PROOF_FILE] = proof_file.encode(proofs)
    if raw is not None:
        bundle.files[PROOF_FILE] = raw
    reseal(bundle, key, ids_of(lines))
    return bundle


def failures(bundle):
    return verifier.verify_bundle(bundle).failures


def record_offsets(data: bytes) -> list[int]:
    """Where each record of a proofs/inclusion.bin starts."""
    offsets, at = [], len(MAGIC)
    while at < len(data):
        offsets.append(at)
        id_length, new, _, batch_length, _, _ = struct.unpack_from(">BBBHQQ", data, at)
        at += 21 + id_length + batch_length + 32 * new
    return offsets


def test_a_v3_bundle_verifies_through_the_cli_as_a_zip_and_a_folder(tmp_path, key, lines, capsys):
    bundle = build_bundle(lines, SIZES, key, version=3)
    assert json.loads(bundle.files["manifest.json"])["format"] == "ccpa-audit/bundle/v3"
    assert "proofs.jsonl" not in bundle.files
    assert [name for name in bundle.files if name.startswith("proofs/")] == ["proofs/inclusion.bin"]
    report = verifier.verify_bundle(bundle)
    assert report.ok, report.failures
    assert (report.events, report.requests, report.checkpoints, report.consistency_proofs) == (16, 4, 3, 2)
    (tmp_path / "b.zip").write_bytes(to_zip(bundle))
    write_folder(bundle, tmp_path / "folder")
    assert main(["verify", str(tmp_path / "b.zip")]) == 0
    assert main(["verify", str(tmp_path / "folder")]) == 0
    assert "16 events in 4 request chains, 3 checkpoints, 2 consistency proofs" in capsys.readouterr().out
    assert read_bundle(tmp_path / "b.zip").files == bundle.files


def test_records_hold_the_same_paths_as_v2_with_shared_siblings_written_once(key, lines):
    v2 = build_bundle(lines, SIZES, key, version=2)
    v3 = build_bundle(lines, SIZES, key, version=3)
    expected = [json.loads(line) for line in v2.files["proofs.jsonl"].splitlines()]
    assert [(p.event_id, p.leaf_index, p.tree_size, [h.hex() for h in p.path]) for p in records(v3)] == [
        (e["event_id"], e["leaf_index"], e["tree_size"], e["inclusion_path"]) for e in expected]
    siblings = sum(len(e["inclusion_path"]) for e in expected)
    written = (len(v3.files[PROOF_FILE]) - len(MAGIC) - sum(21 + 36 for _ in expected)) // 32
    assert written < siblings * 0.7, (written, siblings)


def test_old_v1_and_v2_bundles_still_verify(key, lines, tmp_path):
    for version in (1, 2):
        bundle = build_bundle(lines, SIZES, key, version=version)
        (tmp_path / f"v{version}.zip").write_bytes(to_zip(bundle))
        assert main(["verify", str(tmp_path / f"v{version}.zip")]) == 0


def test_a_batch_version_round_trips_and_binds_the_leaf():
    path = [bytes([n]) * 32 for n in range(3)]
    proofs = [Proof("a", 0, 8, path, "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"), Proof("b", 1, 8, [b"\x09" * 32, *path[1:]])]
    assert list(proof_file.decode([proof_file.encode(proofs)])) == proofs
    with pytest.raises(ValueError):
        proof_file.encode([Proof("c", 2, 8, path, "")])  # an empty version is no version


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 16])
def test_the_file_decodes_the_same_in_chunks_of_any_size(key, lines, chunk):
    data = build_bundle(lines, SIZES, key, version=3).files[PROOF_FILE]
    whole = list(proof_file.decode([data]))
    assert list(proof_file.decode(data[at:at + chunk] for at in range(0, len(data), chunk))) == whole
    cut = data[:-1]
    with pytest.raises(ProofFileError, match="ends inside record 16"):
        list(proof_file.decode(cut[at:at + chunk] for at in range(0, len(cut), chunk)))


def test_modified_event_is_named(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=3)
    target = ids_of(lines)[4]
    found = failures(rewrite(bundle, key, [*lines[:4], lines[4].replace(b'"step":1', b'"step":7'), *lines[5:]]))
    assert f"event {target}: is not leaf 4 of the log signed at size 6 (changed, or not in the log)" in found
    assert any("prev_event_hash does not match" in f for f in found)


def test_deleted_event_and_its_record_leave_a_gap(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=3)
    proofs = records(bundle)
    found = failures(rewrite(bundle, key, lines[:4] + lines[5:], proofs[:4] + proofs[5:]))
    request = json.loads(lines[4])["request_id"]
    assert any(f.startswith(f"request {request}: chain is incomplete") for f in found)


def test_inserted_event_has_no_proof_and_the_rest_still_verify(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=3)
    extra = synthetic_envelopes(requests=1, per_request=1)[0]
    found = failures(rewrite(bundle, key, lines[:6] + [extra] + lines[6:]))
    assert f"event {json.loads(extra)['event_id']}: has no inclusion proof" in found
    assert not any("is not leaf" in f or PROOF_FILE in f for f in found)


def test_reordered_events_break_the_leaf_order(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=3)
    assert any("events are out of order" in f for f in failures(
        rewrite(bundle, key, lines[:2] + [lines[3], lines[2]] + lines[4:])))


def test_a_record_for_an_event_that_is_not_there_and_a_second_record_are_named(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=3)
    proofs = records(bundle)
    last = ids_of(lines)[-1]
    found = failures(rewrite(bundle, key, lines[:-1], proofs))
    assert f"proofs/inclusion.bin: holds a proof for event {last}, which is not where events.jsonl has it" in found
    found = failures(rewrite(bundle, key, lines, [*proofs[:3], proofs[5], proofs[5], *proofs[3:]]))
    assert f"proofs/inclusion.bin record 5: a second proof for event {proofs[5].event_id}" in found


def test_an_unsealed_listing_cannot_hide_a_proof(key, lines):
    from cryptography.hazmat.primitives import hashes

    from shared.ledger.bundle_format import seal_manifest
    from tests.bundles import KEY_NAME, ORIGIN

    def listed_unsealed(bundle, last):
        bundle.files.pop("manifest.json")
        bundle.files.pop("manifest.sig")
        seal_manifest(bundle, {"origin": ORIGIN, "scope": {}, "events": ids_of(lines), "unsealed": [last],
                               "complete_chains": True}, KEY_NAME, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())))
        return bundle

    bundle = build_bundle(lines, SIZES, key, version=3)
    last = ids_of(lines)[-1]
    assert f"event {last}: is listed as unsealed but has an inclusion proof" in failures(listed_unsealed(bundle, last))
    bundle.files[PROOF_FILE] = proof_file.encode(records(bundle)[:-1])
    report = verifier.verify_bundle(listed_unsealed(bundle, last))
    assert report.ok and report.unsealed == 1


def test_a_forked_log_fails_its_consistency_proof(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=3)
    other = build_bundle(synthetic_envelopes(requests=3, per_request=2), [6], key=key, version=3)
    bundle.files["checkpoints/6.note"] = other.files["checkpoints/6.note"]
    reseal(bundle, key, ids_of(lines))
    found = failures(bundle)
    assert "consistency/6-16.json: checkpoint 16 does not extend checkpoint 6 (log rewritten or forked)" in found
    assert any("is not leaf 0 of the log signed at size 6" in f for f in found)


@pytest.mark.parametrize("damage", ["no magic", "empty", "cut inside a record", "cut inside the magic"])
def test_a_broken_file_is_named_and_the_events_after_it_have_no_proof(key, lines, damage, tmp_path, capsys):
    bundle = build_bundle(lines, SIZES, key, version=3)
    data = bundle.files[PROOF_FILE]
    second = record_offsets(data)[1]
    raw = {"no magic": b"x" + data[1:], "empty": b"", "cut inside a record": data[:second + 30],
           "cut inside the magic": data[:5]}[damage]
    found = failures(rewrite(bundle, key, lines, raw=raw))
    expected = "proofs/inclusion.bin: ends inside record 2" if damage == "cut inside a record" else \
        "proofs/inclusion.bin: does not start with b'ccpa-audit/proofs/v3\\n': not a bundle v3 proof file"
    assert expected in found
    assert f"event {ids_of(lines)[-1]}: has no inclusion proof" in found
    (tmp_path / "b.zip").write_bytes(to_zip(bundle))
    assert main(["verify", str(tmp_path / "b.zip")]) == 1
    assert "Traceback" not in capsys.readouterr().out


def test_an_edited_proof_file_fails_its_manifest_hash(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=3)
    bundle.files[PROOF_FILE] = bundle.files[PROOF_FILE][:-1] + bytes([bundle.files[PROOF_FILE][-1] ^ 1])
    assert "proofs/inclusion.bin: its SHA-256 differs from the manifest" in failures(bundle)


def changed(proof: Proof, **fields) -> Proof:
    return proof._replace(**fields)


def set_sibling(position, value):
    return lambda proof: changed(proof, path=[*proof.path[:position], value, *proof.path[position + 1:]]
                                 if position >= 0 else [*proof.path[:position], value])


# Each changes one record as a tamperer holding the key could; the file is written again (re-shared), so the
# verifier meets the change where the format puts it.
MUTATIONS = {
    "valid": lambda proof: proof,
    "the first sibling changed": set_sibling(0, b"\0" * 32),
    "the second sibling changed": set_sibling(1, b"\0" * 32),
    "the top sibling changed": set_sibling(-1, b"\0" * 32),
    "a sibling too many": lambda proof: changed(proof, path=[*proof.path, b"\0" * 32]),
    "a sibling too few": lambda proof: changed(proof, path=proof.path[:-1]),
    "no siblings": lambda proof: changed(proof, path=[]),
    "index beyond the tree": lambda proof: changed(proof, leaf_index=99),
    "index of another leaf": lambda proof: changed(proof, leaf_index=proof.leaf_index + 1),
    "size of no checkpoint": lambda proof: changed(proof, tree_size=7),
    "size of another checkpoint": lambda proof: changed(proof, tree_size=16 if proof.tree_size != 16 else 11),
    "a batch version": lambda proof: changed(proof, batch_version="v1"),
    "another event's id": lambda proof: changed(proof, event_id="00000000-0000-7000-8000-000000000000"),
}

# Siblings above the node where the walk meets one an earlier walk proved are not read (on both paths): the event
# is proven a leaf without them.
UNREAD = ("the second sibling changed", "the top sibling changed")


@pytest.mark.parametrize("number", [3, 8, 13])  # the middle of each checkpoint's leaves
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_tampered_record_is_named_and_the_fast_path_says_what_the_full_checks_say(key, lines, monkeypatch,
                                                                                    mutation, number):
    bundle = build_bundle(lines, SIZES, key, version=3)
    proofs = records(bundle)
    proofs[number] = MUTATIONS[mutation](proofs[number])
    fast, slow = both_reports(rewrite(bundle, key, lines, proofs), monkeypatch)
    assert fast.failures == slow.failures
    if mutation == "valid":
        assert fast.ok
    elif mutation not in UNREAD:
        assert not fast.ok
        assert any(ids_of(lines)[number] in failure for failure in fast.failures), fast.failures


RAW_DAMAGE = {
    "a byte of a new sibling flipped": lambda data, at, header: _flip(data, at + 21 + header[0] + header[3]),
    "kept beyond the previous path": lambda data, at, header: data[:at + 2] + bytes([60]) + data[at + 3:],
    "an event id not UTF-8": lambda data, at, header: data[:at + 21] + b"\xff" + data[at + 22:],
    "a leaf index beyond the tree": lambda data, at, header: data[:at + 5] + b"\x7f" + data[at + 6:],
}


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


@pytest.mark.parametrize("number", [1, 4, 9])
@pytest.mark.parametrize("damage", RAW_DAMAGE)
def test_damaged_record_bytes_are_named_and_the_fast_path_agrees(key, lines, monkeypatch, damage, number):
    bundle = build_bundle(lines, SIZES, key, version=3)
    data = bundle.files[PROOF_FILE]
    at = record_offsets(data)[number]
    raw = RAW_DAMAGE[damage](data, at, struct.unpack_from(">BBBHQQ", data, at))
    fast, slow = both_reports(rewrite(bundle, key, lines, raw=raw), monkeypatch)
    assert fast.failures == slow.failures
    target = ids_of(lines)[number]
    if damage == "an event id not UTF-8":
        assert f"proofs/inclusion.bin record {number + 1}: not a proof of an event" in fast.failures
        assert f"event {target}: has no inclusion proof" in fast.failures
    elif damage == "kept beyond the previous path":
        assert f"event {target}: its inclusion proof is malformed" in fast.failures
    else:
        assert any(failure.startswith(f"event {target}: is not leaf") for failure in fast.failures), fast.failures
