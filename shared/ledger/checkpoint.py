"""Checkpoints (C2SP tlog-checkpoint) carried as signed notes (C2SP signed-note), signed with ECDSA P-256.

A checkpoint commits the log to a tree size and root. Using the published text format rather than a private
one means an auditor or witness can check our checkpoints with existing transparency-log tooling. Signing
happens elsewhere (a KMS key); this module only formats, parses and verifies.
"""

import base64
import binascii
import hashlib
import re
import unicodedata

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

HASH_SIZE = 32
KEY_HASH_SIZE = 4
SIGNATURE_TYPE_ECDSA = 0x02
MAX_SIGNATURES = 64
EM_DASH = "\u2014"
_SIGNATURE_PREFIX = EM_DASH + " "
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 section 4) with padding; anything non-canonical is refused."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise ValueError(f"{what} is not valid base64") from exc
    if _b64(data) != text:
        raise ValueError(f"{what} is not canonical base64")
    return data


def _check_text(text: str, what: str) -> None:
    """signed-note: the note must not contain ASCII control characters other than newline."""
    for ch in text:
        if ch != "\n" and ord(ch) < 0x20:
            raise ValueError(f"{what} contains control character U+{ord(ch):04X}")


def _check_key_name(key_name: str) -> None:
    """signed-note: key names are non-empty and contain no Unicode spaces and no '+'."""
    if not isinstance(key_name, str) or not key_name:
        raise ValueError("key name must be a non-empty string")
    for ch in key_name:
        if ch == "+" or ch.isspace() or unicodedata.category(ch) == "Zs":
            raise ValueError(f"key name {key_name!r} contains a space or '+'")
        if ord(ch) < 0x20:
            raise ValueError(f"key name {key_name!r} contains a control character")


# --- checkpoint body ------------------------------------------------------------------------------------


def checkpoint_body(origin: str, size: int, root: bytes) -> bytes:
    """`<origin>\\n<size>\\n<base64 root>\\n`, the three mandatory tlog-checkpoint lines and no extension lines."""
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise ValueError("origin must be a non-empty single line")
    _check_text(origin, "origin")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError("size must be a non-negative integer")
    if not isinstance(root, bytes | bytearray) or len(root) != HASH_SIZE:
        raise ValueError(f"root must be {HASH_SIZE} bytes")
    return f"{origin}\n{size}\n{_b64(bytes(root))}\n".encode()


def parse_checkpoint_body(body: bytes) -> tuple[str, int, bytes]:
    """(origin, size, root) from a checkpoint body; raises ValueError naming the first problem found.

    Extension lines are allowed by the spec and are accepted (they are covered by the signature) but not
    returned: nothing in this ledger writes or reads them.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("checkpoint body is not valid UTF-8") from exc
    _check_text(text, "checkpoint body")
    if not text.endswith("\n"):
        raise ValueError("checkpoint body must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise ValueError(f"checkpoint body needs at least 3 lines (origin, size, root), got {len(lines)}")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise ValueError("checkpoint origin line is empty")
    if not _DECIMAL.fullmatch(size_text):
        raise ValueError(f"checkpoint size {size_text!r} is not a decimal without leading zeros")
    root = _b64decode_strict(root_text, "checkpoint root")
    if len(root) != HASH_SIZE:
        raise ValueError(f"checkpoint root is {len(root)} bytes, expected {HASH_SIZE}")
    if any(not line for line in extensions):
        raise ValueError("checkpoint extension lines must be non-empty")
    return origin, int(size_text), root


# --- key identity ---------------------------------------------------------------------------------------


def _load_p256_spki_der(public_key_der: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(bytes(public_key_der))
    except (ValueError, TypeError) as exc:
        raise ValueError("public key is not a DER SubjectPublicKeyInfo") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("public key is not an ECDSA P-256 key")
    canonical = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if canonical != bytes(public_key_der):
        raise ValueError("public key DER is not the canonical (uncompressed) SubjectPublicKeyInfo encoding")
    return key


def key_hash(key_name: str, public_key_der: bytes) -> bytes:
    """The 4-byte signed-note key ID of an ECDSA P-256 key: SHA-256(DER SubjectPublicKeyInfo)[:4].

    signed-note assigns signature type 0x02 to "ECDSA signatures as implemented by
    github.com/transparency-dev/witness" (curve P-256 recommended) and states that "the key ID for these
    signatures is the truncated SHA-256 hash of the DER encoded public key in SPKI format". That is what the
    transparency-dev/formats note verifier computes (sha256 of the DER, first 4 bytes big-endian), so it is
    what other verifiers will expect. We therefore use type 0x02 rather than the 0xff "other" escape, and
    the generic recommendation SHA-256(name || 0x0A || type || key)[:4] does not apply: the key name is
    validated here but does not enter the hash. The DER must be canonical because the ID is over those bytes.
    """
    _check_key_name(key_name)
    _load_p256_spki_der(public_key_der)
    return hashlib.sha256(bytes(public_key_der)).digest()[:KEY_HASH_SIZE]


def verifier_key(key_name: str, public_key_der: bytes) -> str:
    """`<name>+<key ID hex>+<base64(0x02 || DER SPKI)>`: the note verifier-key string that Go note tooling
    (golang.org/x/mod/sumdb/note with the transparency-dev/formats ECDSA verifier) is configured with."""
    kid = key_hash(key_name, public_key_der)
    return f"{key_name}+{kid.hex()}+{_b64(bytes([SIGNATURE_TYPE_ECDSA]) + bytes(public_key_der))}"


# --- signed notes ---------------------------------------------------------------------------------------


def signed_note(body: bytes, key_name: str, key_hash: bytes, der_signature: bytes) -> str:
    """The note text: body, an empty line, then `— <key name> <base64(key ID || DER signature)>\\n`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("note body is not valid UTF-8") from exc
    if not text.endswith("\n"):
        raise ValueError("note body must end with a newline")
    _check_text(text, "note body")
    _check_key_name(key_name)
    if len(key_hash) != KEY_HASH_SIZE:
        raise ValueError(f"key hash must be {KEY_HASH_SIZE} bytes")
    if not der_signature:
        raise ValueError("signature is empty")
    return f"{text}\n{_SIGNATURE_PREFIX}{key_name} {_b64(bytes(key_hash) + bytes(der_signature))}\n"


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes]:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise ValueError(f"signature line does not start with an em dash and a space: {line!r}")
    parts = line[len(_SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise ValueError(f"signature line must be '— <key name> <base64>': {line!r}")
    name, encoded = parts
    _check_key_name(name)
    raw = _b64decode_strict(encoded, f"signature of {name}")
    if len(raw) <= KEY_HASH_SIZE:
        raise ValueError(f"signature of {name} is shorter than a key ID plus a signature")
    return name, raw[:KEY_HASH_SIZE], raw[KEY_HASH_SIZE:]


def parse_signed_note(text: str | bytes) -> tuple[bytes, list[tuple[str, bytes, bytes]]]:
    """(body bytes, [(key name, key ID, signature)]) from a signed note.

    The body ends at the last empty line (bodies may contain empty lines). Nothing here is verified: the body
    must not be trusted until a signature by a known key is checked.
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError("signed note is not valid UTF-8") from exc
    _check_text(text, "signed note")
    if not text.endswith("\n"):
        raise ValueError("signed note must end with a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise ValueError("signed note has no empty line between the text and the signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise ValueError("signed note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise ValueError(f"signed note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return body.encode("utf-8"), [_parse_signature_line(line) for line in lines]


# --- verification ---------------------------------------------------------------------------------------


def _load_p256_pem(public_key_pem: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(public_key_pem)
    except (ValueError, TypeError) as exc:
        raise ValueError("public key is not a PEM SubjectPublicKeyInfo") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("public key is not an ECDSA P-256 key")
    return key


def verify_checkpoint_signature(body: bytes, der_signature: bytes, public_key_pem: bytes) -> bool:
    """ECDSA P-256 / SHA-256 over the raw body bytes. A bad or malformed signature is False; a key that is not
    a P-256 public key raises ValueError, because that is a configuration error rather than a forgery."""
    key = _load_p256_pem(public_key_pem)
    try:
        key.verify(bytes(der_signature), bytes(body), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def open_signed_checkpoint(text: str | bytes, key_name: str, public_key_pem: bytes) -> tuple[str, int, bytes]:
    """(origin, size, root) of a signed checkpoint once its signature by the given key verifies.

    Following signed-note, signatures from other keys (another name or key ID) are ignored, any signature
    from this key that fails rejects the note, and a note with no verifying signature from it is rejected.
    """
    body, signatures = parse_signed_note(text)
    key = _load_p256_pem(public_key_pem)
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = key_hash(key_name, der)
    ours = [sig for name, sig_kid, sig in signatures if name == key_name and sig_kid == kid]
    if not ours:
        raise ValueError(f"checkpoint carries no signature by {key_name} ({kid.hex()})")
    if not all(verify_checkpoint_signature(body, sig, public_key_pem) for sig in ours):
        raise ValueError(f"checkpoint signature by {key_name} does not verify")
    return parse_checkpoint_body(body)
