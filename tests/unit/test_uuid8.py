"""uuid8 (shared/ledger/ids.py) writes its text directly: it must be the UUID the bytes make, version 8, RFC 9562
variant, for any name (retried access events keep the ids they were first given)."""

import hashlib
import uuid

import pytest

from shared.ledger.ids import uuid8


def by_the_uuid_module(namespace: str, name: str) -> str:
    digest = bytearray(hashlib.sha256(namespace.encode() + b"\0" + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


@pytest.mark.parametrize("name", [f"{n:064x}" for n in range(0, 4096, 7)] + ["", "é", "a\0b"])
def test_uuid8_is_the_uuid_of_its_digest(name):
    made = uuid8("ccpa-audit/access-event-id/v1", name)
    assert made == by_the_uuid_module("ccpa-audit/access-event-id/v1", name)
    assert uuid.UUID(made).version == 8 and uuid.UUID(made).variant == uuid.RFC_4122


def test_a_known_id_is_unchanged():
    assert uuid8("ns", "name") == "40620770-7c9e-8bf7-860e-95f7a24e8d61"
