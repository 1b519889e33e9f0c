"""`ccpa-audit verify`: a valid bundle passes; modify, delete, insert, reorder, truncate and fork are each caught
and named, even when the tamperer also rewrote and re-signed the manifest."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ccpa_audit.cli import main
from shared.ledger import checkpoint as notes
from shared.ledger.bundle_format import read_bundle, to_zip, write_folder
from shared.ledger.verify_bundle import verify_bundle
from tests.bundles import KEY_NAME, ORIGIN, build_bundle, reseal, synthetic_envelopes


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def lines():
    return synthetic_envelopes(requests=3, per_request=4)


def ids_of(lines):
    return [json.loads(line)["event_id"] for line in lines]


def rewrite(bundle, key, lines):
    """The tamperer's best effort: new events.jsonl, and a manifest re-signed to match it."""
    bundle.files["events.jsonl"] = b"\n".join(lines) + b"\n"
    reseal(bundle, key, ids_of(lines))


def failures(bundle):
    return verify_bundle(bundle).failures


def test_a_valid_bundle_verifies_as_folder_and_zip_with_exit_0(tmp_path, key, lines, capsys):
    bundle = build_bundle(lines, [5, 9, 12], key)
    report = verify_bundle(bundle)
    assert report.ok and report.events == 12 and report.requests == 3 and report.consistency_proofs == 2
    write_folder(bundle, tmp_path / "folder")
    (tmp_path / "b.zip").write_bytes(to_zip(bundle))
    assert main(["verify", str(tmp_path / "folder")]) == 0
    assert main(["verify", str(tmp_path / "b.zip")]) == 0
    assert "OK" in capsys.readouterr().out
    assert read_bundle(tmp_path / "b.zip").files == bundle.files


def test_modified_event_is_named(key, lines):
    bundle = build_bundle(lines, key=key)
    target = json.loads(lines[4])
    changed = lines[:4] + [lines[4].replace(b'"step":1', b'"step":7')] + lines[5:]
    rewrite(bundle, key, changed)
    found = failures(bundle)
    assert any(f.startswith(f"event {target['event_id']}: is not leaf 4") for f in found)
    assert any("prev_event_hash does not match" in f for f in found)  # the next event of its chain


def test_changed_bytes_without_resigning_break_the_manifest(key, lines):
    bundle = build_bundle(lines, key=key)
    bundle.files["events.jsonl"] = bundle.files["events.jsonl"].replace(b'"step":1', b'"step":2', 1)
    assert "events.jsonl: its SHA-256 differs from the manifest" in failures(bundle)


def test_deleted_event_is_named(key, lines):
    bundle = build_bundle(lines, key=key)
    gone = json.loads(lines[3])
    rewrite(bundle, key, lines[:3] + lines[4:])
    found = failures(bundle)
    assert f"request {gone['request_id']}: chain is incomplete: events [2] are missing" in found


def test_inserted_event_is_named(key, lines):
    bundle = build_bundle(lines, key=key)
    extra = synthetic_envelopes(requests=1, per_request=1)[0]
    extra_id = json.loads(extra)["event_id"]
    rewrite(bundle, key, lines[:6] + [extra] + lines[6:])
    assert f"event {extra_id}: has no inclusion proof" in failures(bundle)


def test_reordered_events_are_named(key, lines):
    bundle = build_bundle(lines, key=key)
    swapped = lines[:2] + [lines[3], lines[2]] + lines[4:]
    rewrite(bundle, key, swapped)
    assert any("events are out of order" in f for f in failures(bundle))


def test_truncated_bundle_is_named(key, lines):
    bundle = build_bundle(lines, key=key)
    bundle.files["events.jsonl"] = b"\n".join(lines[:-2]) + b"\n"
    found = failures(bundle)
    assert "events.jsonl: its SHA-256 differs from the manifest" in found
    assert any("does not hold the manifest's events" in f for f in found)


def test_forked_checkpoints_of_the_same_size_are_named(key, lines):
    bundle = build_bundle(lines, [6, 12], key=key)
    other = build_bundle(synthetic_envelopes(requests=2, per_request=3), [6], key=key)
    bundle.files["checkpoints/6-fork.note"] = other.files["checkpoints/6.note"]
    reseal(bundle, key, ids_of(lines))
    assert any(f.startswith("checkpoints/6.note: fork: size 6 has root") for f in failures(bundle))


def test_rewritten_history_fails_the_consistency_proof(key, lines):
    bundle = build_bundle(lines, [6, 12], key=key)
    other = build_bundle(synthetic_envelopes(requests=2, per_request=3), [6], key=key)
    bundle.files["checkpoints/6.note"] = other.files["checkpoints/6.note"]  # a different first 6 leaves
    reseal(bundle, key, ids_of(lines))
    assert any("does not extend checkpoint 6" in f for f in failures(bundle))


def test_a_checkpoint_signed_by_another_key_is_named(key, lines):
    bundle = build_bundle(lines, key=key)
    stranger = build_bundle(lines, key=ec.generate_private_key(ec.SECP256R1()))
    bundle.files["checkpoints/12.note"] = stranger.files["checkpoints/12.note"]
    reseal(bundle, key, ids_of(lines))
    assert "checkpoints/12.note: no signature by a key in the bundle" in failures(bundle)


def test_a_manifest_signed_by_another_key_fails(key, lines):
    bundle = build_bundle(lines, key=key)
    reseal(bundle, ec.generate_private_key(ec.SECP256R1()), ids_of(lines))
    assert "manifest.sig: the signature does not match manifest.json" in failures(bundle)


def test_cli_exit_1_names_the_problem(tmp_path, key, lines, capsys):
    bundle = build_bundle(lines, key=key)
    bundle.files.pop(f"keys/{KEY_NAME}.pem")
    write_folder(bundle, tmp_path)
    assert main(["verify", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "FAILED" in out
    assert notes.checkpoint_body(ORIGIN, 1, bytes(32)).startswith(ORIGIN.encode())


@pytest.mark.parametrize("bad", [b'{"a":1.5}', b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":9007199254740993}',
                                 '{"a":"e\u0301"}'.encode()])
def test_non_canonical_bytes_are_refused(bad):
    from shared.ledger.canonical import CanonicalError, parse_canonical

    with pytest.raises(CanonicalError):
        parse_canonical(bad)


def test_canonical_bytes_parse_back(lines):
    from shared.ledger.canonical import parse_canonical

    assert parse_canonical(lines[0]) == json.loads(lines[0])
    assert parse_canonical('{"a":"é"}'.encode()) == {"a": "é"}


def test_an_event_whose_bytes_are_not_canonical_is_named(key, lines):
    bundle = build_bundle(lines, key=key)
    spaced = lines[0].replace(b'":', b'": ', 1)
    rewrite(bundle, key, [spaced, *lines[1:]])
    first = json.loads(lines[0])["event_id"]
    assert any(f.startswith(f"event {first}: not in canonical form") for f in failures(bundle))


def _mark_last_unsealed(bundle, key, lines, keep_proof=False):
    from cryptography.hazmat.primitives import hashes

    from shared.ledger.bundle_format import seal_manifest

    last = ids_of(lines)[-1]
    if not keep_proof:
        bundle.files.pop(f"proofs/{last}.json")
    bundle.files.pop("manifest.json")
    bundle.files.pop("manifest.sig")
    seal_manifest(bundle, {"origin": ORIGIN, "scope": {"test": True}, "events": ids_of(lines), "unsealed": [last],
                           "complete_chains": True}, KEY_NAME, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())))
    return last


def test_events_the_signed_manifest_lists_as_unsealed_are_counted_not_failed(key, lines, tmp_path, capsys):
    bundle = build_bundle(lines, key=key)
    _mark_last_unsealed(bundle, key, lines)
    report = verify_bundle(bundle)
    assert report.ok and report.unsealed == 1 and report.events == 12
    write_folder(bundle, tmp_path)
    assert main(["verify", str(tmp_path)]) == 0
    assert "1 events not yet sealed" in capsys.readouterr().out


def test_an_unsealed_event_is_still_checked_for_its_chain_link(key, lines):
    bundle = build_bundle(lines, key=key)
    last = _mark_last_unsealed(bundle, key, lines)
    changed = lines[:-1] + [lines[-1].replace(b'"step":3', b'"step":9')]
    bundle.files["events.jsonl"] = b"\n".join(changed) + b"\n"
    found = failures(bundle)
    assert any("SHA-256 differs" in f for f in found)  # the manifest pins the file
    assert verify_bundle(bundle).unsealed == 1 and last


def test_an_event_without_a_proof_and_not_listed_unsealed_fails(key, lines):
    bundle = build_bundle(lines, key=key)
    last = ids_of(lines)[-1]
    bundle.files.pop(f"proofs/{last}.json")
    reseal(bundle, key, ids_of(lines))
    assert any(f == f"event {last}: has no inclusion proof" for f in failures(bundle))


def test_an_unsealed_listing_cannot_hide_a_proof(key, lines):
    bundle = build_bundle(lines, key=key)
    last = _mark_last_unsealed(bundle, key, lines, keep_proof=True)
    assert any(f == f"event {last}: is listed as unsealed but has an inclusion proof" for f in failures(bundle))
