import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.ledger.checkpoint import (
    checkpoint_body,
    key_hash,
    open_signed_checkpoint,
    parse_checkpoint_body,
    parse_signed_note,
    signed_note,
    verifier_key,
    verify_checkpoint_signature,
)

ORIGIN = "audit.example.com/ccpa-ledger"
ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")

# The examples printed in the C2SP specifications (github.com/C2SP/C2SP, tlog-checkpoint.md and signed-note.md).
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "\u2014 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def _der(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _sign(key: ec.EllipticCurvePrivateKey, body: bytes) -> bytes:
    return key.sign(body, ec.ECDSA(hashes.SHA256()))


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def other_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _note(key: ec.EllipticCurvePrivateKey, body: bytes, name: str = ORIGIN) -> str:
    return signed_note(body, name, key_hash(name, _der(key)), _sign(key, body))


# --- checkpoint body -------------------------------------------------------------------------------------


def test_checkpoint_body_is_origin_size_and_base64_root_lines_when_formatted():
    body = checkpoint_body(ORIGIN, 8, ROOT)
    assert body == b"audit.example.com/ccpa-ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    assert parse_checkpoint_body(body) == (ORIGIN, 8, ROOT)


def test_checkpoint_body_writes_zero_when_tree_is_empty():
    empty = hashlib.sha256(b"").digest()
    assert parse_checkpoint_body(checkpoint_body(ORIGIN, 0, empty)) == (ORIGIN, 0, empty)


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [
        ("", 1, ROOT),
        ("a\nb", 1, ROOT),
        ("a\tb", 1, ROOT),
        (ORIGIN, -1, ROOT),
        (ORIGIN, True, ROOT),
        (ORIGIN, 1, ROOT[:31]),
    ],
)
def test_checkpoint_body_refuses_fields_when_malformed(origin, size, root):
    with pytest.raises(ValueError, match="origin|size|root"):
        checkpoint_body(origin, size, root)


def test_parse_checkpoint_body_reads_spec_example_when_given_it():
    body, signatures = parse_signed_note(SPEC_CHECKPOINT)
    origin, size, root = parse_checkpoint_body(body)
    assert (origin, size) == ("example.com/behind-the-sofa", 20852163)
    assert root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    [(name, kid, signature)] = signatures
    assert name == "example.com/behind-the-sofa"
    assert len(kid) == 4
    assert len(signature) == 64


def test_parse_checkpoint_body_accepts_extension_lines_when_non_empty():
    body = checkpoint_body(ORIGIN, 3, ROOT) + b"extension one\n"
    assert parse_checkpoint_body(body) == (ORIGIN, 3, ROOT)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"origin\n1\n", "at least 3 lines"),
        (b"origin\n1\n" + base64.b64encode(ROOT), "end with a newline"),
        (b"\n1\n" + base64.b64encode(ROOT) + b"\n", "origin line is empty"),
        (b"origin\n01\n" + base64.b64encode(ROOT) + b"\n", "leading zeros"),
        (b"origin\n-1\n" + base64.b64encode(ROOT) + b"\n", "not a decimal"),
        (b"origin\n 1\n" + base64.b64encode(ROOT) + b"\n", "not a decimal"),
        (b"origin\n1\n" + base64.b64encode(ROOT[:31]) + b"\n", "31 bytes"),
        (b"origin\n1\n" + base64.b64encode(ROOT).rstrip(b"=") + b"\n", "not valid base64"),
        (b"origin\n1\n" + base64.urlsafe_b64encode(b"\xff" * 32) + b"\n", "not valid base64"),
        (b"origin\n1\n" + base64.b64encode(ROOT) + b"\n\n", "extension lines must be non-empty"),
        (b"origin\r\n1\n" + base64.b64encode(ROOT) + b"\n", "control character"),
        (b"\xff\n1\n" + base64.b64encode(ROOT) + b"\n", "UTF-8"),
    ],
)
def test_parse_checkpoint_body_refuses_body_when_malformed(body, message):
    with pytest.raises(ValueError, match=message):
        parse_checkpoint_body(body)


# --- key identity ----------------------------------------------------------------------------------------


def test_key_hash_is_truncated_sha256_of_spki_der_when_key_is_p256(key):
    der = _der(key)
    assert key_hash(ORIGIN, der) == hashlib.sha256(der).digest()[:4]
    assert key_hash("another.example/name", der) == key_hash(ORIGIN, der)


def test_verifier_key_carries_type_0x02_and_the_der_when_formatted(key):
    der = _der(key)
    name, kid_hex, encoded = verifier_key(ORIGIN, der).split("+", 2)
    assert name == ORIGIN
    assert bytes.fromhex(kid_hex) == key_hash(ORIGIN, der)
    assert base64.b64decode(encoded) == b"\x02" + der


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "nbsp\u00a0name", "tab\tname"])
def test_key_hash_refuses_key_name_when_invalid(key, name):
    with pytest.raises(ValueError, match="key name"):
        key_hash(name, _der(key))


def test_key_hash_refuses_key_when_not_canonical_p256_spki(key):
    p384 = _der(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError, match="P-256"):
        key_hash(ORIGIN, p384)
    compressed = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    with pytest.raises(ValueError, match="DER SubjectPublicKeyInfo"):
        key_hash(ORIGIN, compressed)
    with pytest.raises(ValueError, match="DER SubjectPublicKeyInfo"):
        key_hash(ORIGIN, b"not a key")


# --- signed notes ----------------------------------------------------------------------------------------


def test_signed_note_round_trips_and_verifies_when_signed_with_p256(key):
    body = checkpoint_body(ORIGIN, 70, ROOT)
    signature = _sign(key, body)
    kid = key_hash(ORIGIN, _der(key))
    text = signed_note(body, ORIGIN, kid, signature)

    assert text.startswith(body.decode() + "\n\u2014 " + ORIGIN + " ")
    assert text.endswith("\n")
    assert text.count("\n") == 5
    parsed_body, signatures = parse_signed_note(text)
    assert parsed_body == body
    assert signatures == [(ORIGIN, kid, signature)]
    assert verify_checkpoint_signature(parsed_body, signature, _pem(key))
    assert parse_checkpoint_body(parsed_body) == (ORIGIN, 70, ROOT)


def test_verify_fails_when_body_or_signature_or_key_differs(key, other_key):
    body = checkpoint_body(ORIGIN, 70, ROOT)
    signature = _sign(key, body)
    assert not verify_checkpoint_signature(checkpoint_body(ORIGIN, 71, ROOT), signature, _pem(key))
    assert not verify_checkpoint_signature(body.replace(b"70", b"69"), signature, _pem(key))
    assert not verify_checkpoint_signature(body, signature, _pem(other_key))
    assert not verify_checkpoint_signature(body, signature[:-1] + bytes([signature[-1] ^ 1]), _pem(key))
    assert not verify_checkpoint_signature(body, b"\x30\x00", _pem(key))
    assert not verify_checkpoint_signature(body, b"", _pem(key))


def test_verify_raises_when_key_is_not_p256(key):
    body = checkpoint_body(ORIGIN, 1, ROOT)
    p384_pem = _pem(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError, match="P-256"):
        verify_checkpoint_signature(body, _sign(key, body), p384_pem)
    with pytest.raises(ValueError, match="PEM"):
        verify_checkpoint_signature(body, _sign(key, body), b"-----BEGIN NOTHING-----")


def test_parse_signed_note_splits_at_last_empty_line_when_body_has_empty_lines():
    body, [(name, kid, signature)] = parse_signed_note(SPEC_NOTE)
    assert body == SPEC_NOTE.split("\n\n\u2014")[0].encode() + b"\n"
    assert body.endswith("\n\ned è subito sera.\n".encode())
    assert name == "quasimodo.example/salvatore"
    assert len(kid) + len(signature) == 68


def test_parse_signed_note_returns_every_signature_when_several_keys_signed(key, other_key):
    body = checkpoint_body(ORIGIN, 5, ROOT)
    witness = "witness.example/w1"
    text = _note(key, body) + _note(other_key, body, witness).split("\n\n")[-1]
    parsed_body, signatures = parse_signed_note(text.encode())
    assert parsed_body == body
    assert [name for name, _, _ in signatures] == [ORIGIN, witness]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("origin\n1\nroot\n", "no empty line"),
        ("origin\n1\nroot\n\n", "no signature lines"),
        ("origin\n1\nroot\n\n\u2014 name AAAAAAA=", "end with a newline"),
        ("origin\n1\nroot\n\n- name AAAAAAA=\n", "em dash"),
        ("origin\n1\nroot\n\n\u2014name AAAAAAA=\n", "em dash"),
        ("origin\n1\nroot\n\n\u2014 name  AAAAAAA=\n", "must be"),
        ("origin\n1\nroot\n\n\u2014 name\n", "must be"),
        ("origin\n1\nroot\n\n\u2014 na+me AAAAAAA=\n", "key name"),
        ("origin\n1\nroot\n\n\u2014 name AAAAAA==\n", "shorter than a key ID"),
        ("origin\n1\nroot\n\n\u2014 name AAAAAAA\n", "not valid base64"),
        ("origin\n1\nroot\n\n\u2014 name AAAA_AA=\n", "not valid base64"),
        ("origin\n1\nroot\n\n\u2014 name AAAAAAB=\n", "not canonical base64"),
        ("origin\r\n1\nroot\n\n\u2014 name AAAAAAA=\n", "control character"),
        (b"origin\xff\n\n\xe2\x80\x94 name AAAAAAA=\n", "UTF-8"),
        ("origin\n\n" + "\u2014 name AAAAAAA=\n" * 65, "more than 64"),
    ],
)
def test_parse_signed_note_refuses_text_when_malformed(text, message):
    with pytest.raises(ValueError, match=message):
        parse_signed_note(text)


@pytest.mark.parametrize(
    ("body", "name", "kid", "signature", "message"),
    [
        (b"no newline", ORIGIN, b"\x00" * 4, b"\x30", "end with a newline"),
        (b"bell\x07\n", ORIGIN, b"\x00" * 4, b"\x30", "control character"),
        (b"\xff\n", ORIGIN, b"\x00" * 4, b"\x30", "UTF-8"),
        (b"ok\n", "bad name", b"\x00" * 4, b"\x30", "key name"),
        (b"ok\n", ORIGIN, b"\x00" * 3, b"\x30", "4 bytes"),
        (b"ok\n", ORIGIN, b"\x00" * 4, b"", "empty"),
    ],
)
def test_signed_note_refuses_arguments_when_malformed(body, name, kid, signature, message):
    with pytest.raises(ValueError, match=message):
        signed_note(body, name, kid, signature)


# --- opening a checkpoint --------------------------------------------------------------------------------


def test_open_signed_checkpoint_returns_fields_when_our_signature_verifies(key, other_key):
    body = checkpoint_body(ORIGIN, 9, ROOT)
    witness_line = _note(other_key, body, "witness.example/w1").split("\n\n")[-1]
    assert open_signed_checkpoint(_note(key, body), ORIGIN, _pem(key)) == (ORIGIN, 9, ROOT)
    assert open_signed_checkpoint(_note(key, body) + witness_line, ORIGIN, _pem(key)) == (ORIGIN, 9, ROOT)


def test_open_signed_checkpoint_ignores_signatures_when_name_or_key_id_is_not_ours(key, other_key):
    body = checkpoint_body(ORIGIN, 9, ROOT)
    impostor = _note(other_key, body)  # our name, another key: different key ID, so ignored
    with pytest.raises(ValueError, match="no signature by"):
        open_signed_checkpoint(impostor, ORIGIN, _pem(key))
    with pytest.raises(ValueError, match="no signature by"):
        open_signed_checkpoint(_note(key, body, "other.example/name"), ORIGIN, _pem(key))


def test_open_signed_checkpoint_rejects_note_when_body_was_modified(key):
    text = _note(key, checkpoint_body(ORIGIN, 9, ROOT))
    tampered = text.replace("\n9\n", "\n8\n", 1)
    assert tampered != text
    with pytest.raises(ValueError, match="does not verify"):
        open_signed_checkpoint(tampered, ORIGIN, _pem(key))
