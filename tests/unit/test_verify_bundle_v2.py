"""Bundle v2 (docs/bundle-v2.md): proofs.jsonl streamed beside events.jsonl, proofs against the checkpoint that
sealed each event, consistency from each checkpoint to the latest, members deflated. A valid bundle passes through
the CLI; modified, deleted, inserted, reordered, forked and re-keyed bundles fail with named failures, even when the
tamperer re-signed the manifest; malformed proof lines are named, never tracebacks."""

import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ccpa_audit.cli import main
from shared.ledger.bundle_format import read_bundle, to_zip, write_folder
from shared.ledger.verify_bundle import verify_bundle
from tests.bundles import build_bundle, reseal, synthetic_envelopes

SIZES = [5, 9, 12]


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def lines():
    return synthetic_envelopes(requests=3, per_request=4)


def ids_of(lines):
    return [json.loads(line)["event_id"] for line in lines]


def proof_lines(bundle):
    return bundle.files["proofs.jsonl"].splitlines()


def set_proofs(bundle, proofs):
    bundle.files["proofs.jsonl"] = b"".join(line + b"\n" for line in proofs)


def rewrite(bundle, key, lines, proofs=None):
    """The tamperer's best effort: new events.jsonl (and proofs.jsonl), and a manifest re-signed to match."""
    bundle.files["events.jsonl"] = b"\n".join(lines) + b"\n"
    if proofs is not None:
        set_proofs(bundle, proofs)
    reseal(bundle, key, ids_of(lines))


def failures(bundle):
    return verify_bundle(bundle).failures


def test_a_v2_bundle_verifies_through_the_cli_as_a_deflated_zip_and_a_folder(tmp_path, key, lines, capsys):
    bundle = build_bundle(lines, SIZES, key, version=2)
    manifest = json.loads(bundle.files["manifest.json"])
    assert manifest["format"] == "ccpa-audit/bundle/v2"
    assert not any(name.startswith("proofs/") for name in bundle.files)
    assert sorted(n for n in bundle.files if n.startswith("consistency/")) == ["consistency/5-12.json",
                                                                               "consistency/9-12.json"]
    assert [json.loads(p)["tree_size"] for p in proof_lines(bundle)] == [5] * 5 + [9] * 4 + [12] * 3
    report = verify_bundle(bundle)
    assert report.ok, report.failures
    assert (report.events, report.requests, report.checkpoints, report.consistency_proofs) == (12, 3, 3, 2)
    (tmp_path / "b.zip").write_bytes(to_zip(bundle))
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        events = archive.getinfo("events.jsonl")
        assert events.compress_size < events.file_size / 2
    write_folder(bundle, tmp_path / "folder")
    assert main(["verify", str(tmp_path / "b.zip")]) == 0
    assert main(["verify", str(tmp_path / "folder")]) == 0
    out = capsys.readouterr().out
    assert "12 events in 3 request chains, 3 checkpoints, 2 consistency proofs" in out and "OK" in out
    assert read_bundle(tmp_path / "b.zip").files == bundle.files


def test_modified_event_is_named(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    target = json.loads(lines[4])["event_id"]
    rewrite(bundle, key, lines[:4] + [lines[4].replace(b'"step":1', b'"step":7')] + lines[5:])
    found = failures(bundle)
    assert f"event {target}: is not leaf 4 of the log signed at size 5 (changed, or not in the log)" in found
    assert any("prev_event_hash does not match" in f for f in found)


def test_deleted_event_and_its_proof_leave_a_gap(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    proofs = proof_lines(bundle)
    rewrite(bundle, key, lines[:4] + lines[5:], proofs[:4] + proofs[5:])
    request = json.loads(lines[4])["request_id"]
    assert any(f.startswith(f"request {request}: chain is incomplete") for f in failures(bundle))


def test_inserted_event_has_no_proof_and_the_rest_still_verify(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    extra = synthetic_envelopes(requests=1, per_request=1)[0]
    rewrite(bundle, key, lines[:6] + [extra] + lines[6:], proof_lines(bundle))
    found = failures(bundle)
    assert f"event {json.loads(extra)['event_id']}: has no inclusion proof" in found
    assert not any("is not leaf" in f or "proofs.jsonl" in f for f in found)


def test_reordered_events_break_the_leaf_order(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    swapped = lines[:2] + [lines[3], lines[2]] + lines[4:]
    rewrite(bundle, key, swapped)
    assert any("events are out of order" in f for f in failures(bundle))


def test_a_proof_for_an_event_that_is_not_there_is_named(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    proofs = proof_lines(bundle)
    rewrite(bundle, key, lines[:-1], proofs)  # the last event dropped, its proof left behind
    last = json.loads(lines[-1])["event_id"]
    assert f"proofs.jsonl: holds a proof for event {last}, which is not where events.jsonl has it" in failures(bundle)


def test_an_unsealed_listing_cannot_hide_a_proof(key, lines):
    from cryptography.hazmat.primitives import hashes

    from shared.ledger.bundle_format import seal_manifest
    from tests.bundles import KEY_NAME, ORIGIN

    bundle = build_bundle(lines, SIZES, key, version=2)
    last = ids_of(lines)[-1]
    bundle.files.pop("manifest.json")
    bundle.files.pop("manifest.sig")
    seal_manifest(bundle, {"origin": ORIGIN, "scope": {}, "events": ids_of(lines), "unsealed": [last],
                           "complete_chains": True}, KEY_NAME, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())))
    assert f"event {last}: is listed as unsealed but has an inclusion proof" in failures(bundle)
    set_proofs(bundle, proof_lines(bundle)[:-1])
    bundle.files.pop("manifest.json")
    bundle.files.pop("manifest.sig")
    seal_manifest(bundle, {"origin": ORIGIN, "scope": {}, "events": ids_of(lines), "unsealed": [last],
                           "complete_chains": True}, KEY_NAME, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())))
    report = verify_bundle(bundle)
    assert report.ok and report.unsealed == 1


def test_a_forked_log_fails_its_consistency_proof(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    other = build_bundle(synthetic_envelopes(requests=3, per_request=2), [5, 6], key=key, version=2)
    bundle.files["checkpoints/5.note"] = other.files["checkpoints/5.note"]
    reseal(bundle, key, ids_of(lines))
    found = failures(bundle)
    assert "consistency/5-12.json: checkpoint 12 does not extend checkpoint 5 (log rewritten or forked)" in found
    assert any("is not leaf 0 of the log signed at size 5" in f for f in found)


def test_a_missing_consistency_proof_to_the_latest_is_named(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    bundle.files.pop("consistency/9-12.json")
    reseal(bundle, key, ids_of(lines))
    assert ("consistency/9-12.json: missing or malformed consistency proof between checkpoints 9 and 12"
            in failures(bundle))


def test_a_bundle_rebuilt_under_another_key_fails_when_the_real_key_is_pinned(key, lines, tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization

    forged = build_bundle(lines[:6], [6], version=2)
    (tmp_path / "forged.zip").write_bytes(to_zip(forged))
    (tmp_path / "real.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert main(["verify", str(tmp_path / "forged.zip")]) == 0
    assert main(["verify", str(tmp_path / "forged.zip"), "--key", str(tmp_path / "real.pem")]) == 1
    assert "manifest.sig: the manifest is not signed by the pinned key" in capsys.readouterr().out


@pytest.mark.parametrize("line", [b"not json", b"[]", b'{"event_id": 7}', b"[" * 5000 + b"]" * 5000])
def test_a_malformed_proof_line_is_a_named_failure(key, lines, line, tmp_path, capsys):
    bundle = build_bundle(lines, SIZES, key, version=2)
    proofs = proof_lines(bundle)
    set_proofs(bundle, [*proofs[:3], line, *proofs[3:]])
    reseal(bundle, key, ids_of(lines))
    assert "proofs.jsonl line 4: not a proof of an event" in failures(bundle)
    (tmp_path / "b.zip").write_bytes(to_zip(bundle))
    assert main(["verify", str(tmp_path / "b.zip")]) == 1
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("field,value", [("leaf_index", -1), ("leaf_index", True), ("tree_size", "12"),
                                         ("inclusion_path", "ab"), ("inclusion_path", ["zz" * 32]),
                                         ("inclusion_path", [1, 2])])
def test_wrong_types_in_a_proof_line_are_named(key, lines, field, value):
    bundle = build_bundle(lines, SIZES, key, version=2)
    proofs = proof_lines(bundle)
    target = json.loads(proofs[2])
    set_proofs(bundle, [*proofs[:2], json.dumps({**target, field: value}).encode(), *proofs[3:]])
    reseal(bundle, key, ids_of(lines))
    found = failures(bundle)
    assert any(f.startswith(f"event {target['event_id']}: its inclusion proof") for f in found), found


def test_an_edited_proofs_file_fails_its_manifest_hash(key, lines):
    bundle = build_bundle(lines, SIZES, key, version=2)
    proofs = proof_lines(bundle)
    set_proofs(bundle, proofs[:-1])
    found = failures(bundle)
    assert "proofs.jsonl: its SHA-256 differs from the manifest" in found
