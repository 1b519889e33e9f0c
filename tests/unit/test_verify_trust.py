"""`ccpa-audit verify --key`: the trust anchor. A tamperer who rebuilds everything under his own P-256 key (even with
the real key left beside his in keys/) passes an unpinned check but fails a pinned one; malformed bundles get a
named failure and exit 1, never a traceback. All offline: sockets are blocked in unit tests."""

import hashlib
import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ccpa_audit.cli import main
from shared.ledger.bundle_format import Bundle, to_zip, write_folder
from shared.ledger.trust import KeyPin, trusted_key
from shared.ledger.verify_bundle import verify_bundle
from tests.bundles import KEY_NAME, build_bundle, reseal, synthetic_envelopes


@pytest.fixture(scope="module")
def real_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def forger_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def lines():
    return synthetic_envelopes(requests=3, per_request=4)


def pem_of(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def real_pem(tmp_path, real_key):
    path = tmp_path / "published.pem"
    path.write_bytes(pem_of(real_key))
    return path


def ids_of(lines):
    return [json.loads(line)["event_id"] for line in lines]


def verify(tmp_path, bundle, *args, name="bundle.zip"):
    path = tmp_path / name
    path.write_bytes(to_zip(bundle))
    return main(["verify", str(path), *args])


# --- the tamperer ----------------------------------------------------------------------------------------


def tampered(lines, how):
    if how == "modify":
        changed = lines[:4] + [lines[4].replace(b'"step":1', b'"step":7')] + lines[5:]
    elif how == "delete":
        changed = lines[:3] + lines[4:]
    elif how == "insert":
        changed = lines[:6] + synthetic_envelopes(requests=1, per_request=1) + lines[6:]
    elif how == "reorder":
        changed = lines[:2] + [lines[3], lines[2]] + lines[4:]
    else:
        changed = lines[:-2]  # truncate
    return rechained(changed)


def rechained(lines):
    """The forger renumbers each request's chain and relinks its hashes, so every chain is whole again."""
    from shared.ledger.canonical import canonical_bytes, sha256_hex

    out, heads = [], {}
    for line in lines:
        envelope = json.loads(line)
        seq, head = heads.get(envelope["request_id"], (0, None))
        envelope.update(seq=seq + 1, prev_event_hash=head)
        data = canonical_bytes(envelope)
        heads[envelope["request_id"]] = (seq + 1, sha256_hex(data))
        out.append(data)
    return out


def forged_bundle(lines, how, forger_key, real_key, beside):
    """Everything rebuilt under the forger's key: events, log, proofs, checkpoints, manifest and its signature."""
    forged_lines = tampered(lines, how)
    bundle = build_bundle(forged_lines, [len(forged_lines) // 2, len(forged_lines)], key=forger_key)
    if beside:  # the real key left beside his, listed in the manifest he re-signs
        bundle.files["keys/ccpa-audit.real.pem"] = pem_of(real_key)
        reseal(bundle, forger_key, ids_of(forged_lines))
    return bundle


@pytest.mark.parametrize("beside", [False, True], ids=["alone", "real_key_beside"])
@pytest.mark.parametrize("how", ["modify", "delete", "insert", "reorder", "truncate"])
def test_a_bundle_rebuilt_under_another_key_fails_when_the_real_key_is_pinned(tmp_path, lines, real_key, forger_key,
                                                                              real_pem, capsys, how, beside):
    bundle = forged_bundle(lines, how, forger_key, real_key, beside)
    assert verify_bundle(bundle).ok  # internally consistent: an unpinned check cannot tell
    real = trusted_key(pem_of(real_key))

    for pin in (str(real_pem), real.fingerprint, f"sha256:{real.fingerprint.upper()}", real.key_id):
        capsys.readouterr()
        assert verify(tmp_path, bundle, "--key", pin) == 1, pin
        out = capsys.readouterr().out
        assert "FAILED" in out and ("FAIL manifest.sig" in out or "FAIL keys/" in out), out
    report = verify_bundle(bundle, KeyPin(source="test", keys=(real,)))
    assert "manifest.sig: the manifest is not signed by the pinned key" in report.failures
    assert any(f.endswith("no signature by the pinned key") for f in report.failures)


def test_the_genuine_bundle_passes_with_every_form_of_pin_and_says_so(tmp_path, lines, real_key, real_pem, capsys):
    bundle = build_bundle(lines, [5, 12], key=real_key)
    real = trusted_key(pem_of(real_key))
    for pin in (str(real_pem), real.fingerprint, real.key_id):
        capsys.readouterr()
        assert verify(tmp_path, bundle, "--key", pin) == 0, pin
        out = capsys.readouterr().out
        assert f"Signed by key sha256:{real.fingerprint}" in out and "Trust: pinned to" in out
        assert "NOT PINNED" not in out
    assert "weak pin" in out  # the last one was the 4-byte key id


def test_without_a_pin_everything_is_checked_and_the_output_says_the_key_came_from_the_bundle(
        tmp_path, lines, real_key, forger_key, capsys):
    bundle = forged_bundle(lines, "modify", forger_key, real_key, beside=True)
    assert verify(tmp_path, bundle) == 0
    out = capsys.readouterr().out
    forger = trusted_key(pem_of(forger_key))
    assert f"Signed by key sha256:{forger.fingerprint} (key id {forger.key_id})" in out
    assert "NOT PINNED" in out and "came from the bundle itself" in out and "GET /ledger/keys" in out
    assert hashlib.sha256(forger.pem).hexdigest() != forger.fingerprint  # the fingerprint is over DER, not PEM


@pytest.mark.parametrize("value", ["nope", "abc", "zz" * 32, "/no/such/file.pem"])
def test_a_key_that_names_nothing_is_exit_2_with_a_message(tmp_path, lines, real_key, capsys, value):
    bundle = build_bundle(lines, key=real_key)
    assert verify(tmp_path, bundle, "--key", value) == 2
    assert capsys.readouterr().out.startswith("ERROR --key")


def test_a_pem_file_that_is_not_a_p256_key_is_exit_2(tmp_path, lines, real_key, capsys):
    (tmp_path / "junk.pem").write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    assert verify(tmp_path, build_bundle(lines, key=real_key), "--key", str(tmp_path / "junk.pem")) == 2
    assert "not a PEM public key" in capsys.readouterr().out


# --- malformed bundles: a named failure, never a traceback ------------------------------------------------


def resealed(bundle, key, manifest_change=None, **files):
    """A bundle edited and re-signed (so the edit is not caught by the manifest hashes alone)."""
    from cryptography.hazmat.primitives import hashes

    bundle.files.update(files)
    bundle.files.pop("manifest.json", None)
    bundle.files.pop("manifest.sig", None)
    header = {"origin": "ccpa-audit.test/ledger", "scope": {}, "events": None, "complete_chains": True}
    from shared.ledger.bundle_format import seal_manifest

    seal_manifest(bundle, header, KEY_NAME, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())))
    if manifest_change is not None:
        manifest = manifest_change(json.loads(bundle.files["manifest.json"]))
        bundle.files["manifest.json"] = json.dumps(manifest).encode()
    return bundle


def deep(depth):
    return b"[" * depth + b"]" * depth


def first_proof(bundle):
    return next(path for path in bundle.files if path.startswith("proofs/"))


MALFORMED = {
    "manifest_is_an_array": lambda b, k: Bundle({**b.files, "manifest.json": b"[1, 2, 3]"}),
    "manifest_nested_deep": lambda b, k: Bundle({**b.files, "manifest.json": deep(100_000)}),
    "manifest_not_utf8": lambda b, k: Bundle({**b.files, "manifest.json": b"\xff\xfe{"}),
    "manifest_entry_without_sha256": lambda b, k: resealed(b, k, lambda m: {**m, "files": [
        {"path": e["path"]} for e in m["files"]]}),
    "manifest_files_not_a_list": lambda b, k: resealed(b, k, lambda m: {**m, "files": {"a": 1}}),
    "manifest_entry_path_a_number": lambda b, k: resealed(b, k, lambda m: {**m, "files": [
        {"path": 1, "sha256": 2}]}),
    "manifest_events_of_objects": lambda b, k: resealed(b, k, lambda m: {**m, "events": [{"a": 1}]}),
    "manifest_unsealed_a_number": lambda b, k: resealed(b, k, lambda m: {**m, "unsealed": 7}),
    "manifest_origin_a_list": lambda b, k: resealed(b, k, lambda m: {**m, "origin": [1]}),
    "leaf_index_1e400": lambda b, k: resealed(b, k, **{first_proof(b): json.dumps(
        {**json.loads(b.files[first_proof(b)]), "leaf_index": 1}).replace('"leaf_index": 1', '"leaf_index": 1e400')
        .encode()}),
    "leaf_index_a_string": lambda b, k: resealed(b, k, **{first_proof(b): json.dumps(
        {**json.loads(b.files[first_proof(b)]), "leaf_index": "0"}).encode()}),
    "proof_is_an_array": lambda b, k: resealed(b, k, **{first_proof(b): b"[]"}),
    "proof_path_of_numbers": lambda b, k: resealed(b, k, **{first_proof(b): json.dumps(
        {**json.loads(b.files[first_proof(b)]), "inclusion_path": [1, 2]}).encode()}),
    "events_line_nested_deep": lambda b, k: resealed(b, k, **{"events.jsonl": deep(100_000) + b"\n"}),
    "events_line_moderately_deep": lambda b, k: resealed(b, k, **{"events.jsonl": deep(900) + b"\n"}),
    "event_with_huge_seq": lambda b, k: resealed(b, k, **{"events.jsonl": b.files["events.jsonl"].replace(
        b'"seq":1', b'"seq":9007199254740991', 1)}),
    "event_with_object_request_id": lambda b, k: resealed(b, k, **{"events.jsonl": b.files["events.jsonl"].replace(
        b'"request_id":"', b'"request_id":{"x":"', 1)}),
    "event_with_numeric_tag": lambda b, k: resealed(b, k, **{"events.jsonl": b.files["events.jsonl"].replace(
        b'"consumer_tag":"', b'"consumer_tag":7,"x":"', 1)}),
    "signature_is_a_list": lambda b, k: Bundle({**b.files, "manifest.sig": b"[]"}),
    "consistency_is_a_string": lambda b, k: resealed(b, k, **{next(p for p in b.files if p.startswith(
        "consistency/")): b'"x"'}),
    "checkpoint_is_binary": lambda b, k: resealed(b, k, **{"checkpoints/12.note": b"\xff\x00\xfe"}),
    "key_is_not_a_key": lambda b, k: resealed(b, k, **{f"keys/{KEY_NAME}.pem": b"hello"}),
    "everything_missing": lambda b, k: Bundle({}),
    "only_a_manifest": lambda b, k: Bundle({"manifest.json": b.files["manifest.json"]}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_bundle_is_a_named_failure_with_exit_1(tmp_path, lines, real_key, capsys, case):
    bundle = MALFORMED[case](build_bundle(lines, [6, 12], key=real_key), real_key)
    report = verify_bundle(bundle)
    assert not report.ok and all(": " in failure for failure in report.failures)
    write_folder(bundle, tmp_path / "folder")
    assert main(["verify", str(tmp_path / "folder")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "Traceback" not in out


def zipped(lines, key):
    return to_zip(build_bundle(lines, key=key))


@pytest.mark.parametrize("case", ["truncated_zip", "not_a_zip", "empty_file", "zip_of_garbage", "directory_missing"])
def test_an_archive_that_cannot_be_read_is_exit_1_with_a_message(tmp_path, lines, real_key, capsys, case):
    path = tmp_path / "bundle.zip"
    data = zipped(lines, real_key)
    if case == "truncated_zip":
        path.write_bytes(data[: len(data) // 2])
    elif case == "not_a_zip":
        path.write_bytes(b"%PDF-1.7 not a zip")
    elif case == "empty_file":
        path.write_bytes(b"")
    elif case == "zip_of_garbage":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("manifest.json", b"\x00" * 10)
            archive.writestr("events.jsonl", b"not json\n")
        path.write_bytes(out.getvalue())
    else:
        path = tmp_path / "nowhere"
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL") or "\nFAIL" in out
    assert "Traceback" not in out


def test_random_byte_flips_in_a_zip_never_raise(tmp_path, lines, real_key, capsys):
    import random

    data = zipped(lines, real_key)
    rng = random.Random(13)
    for trial in range(60):
        broken = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            broken[rng.randrange(len(broken))] = rng.randrange(256)
        path = tmp_path / f"flip-{trial}.zip"
        path.write_bytes(bytes(broken))
        assert main(["verify", str(path)]) in (0, 1)
    assert "Traceback" not in capsys.readouterr().out
