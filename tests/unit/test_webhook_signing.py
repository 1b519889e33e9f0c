from datetime import UTC, datetime

import pytest

from shared.services import webhook_signing
from shared.services.record_gpc_signal import signal_present

SECRET = "k" * 32
WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_signature_round_trips_when_secret_time_and_body_agree():
    header = webhook_signing.sign(SECRET, b"{}", WHEN)
    parsed = webhook_signing.parse(header)
    assert parsed.timestamp == int(WHEN.timestamp())
    assert webhook_signing.matches(SECRET, parsed, b"{}")


@pytest.mark.parametrize("secret,body", [("x" * 32, b"{}"), (SECRET, b"{ }"), (SECRET, b"")])
def test_signature_fails_when_secret_or_body_differ(secret, body):
    parsed = webhook_signing.parse(webhook_signing.sign(SECRET, b"{}", WHEN))
    assert not webhook_signing.matches(secret, parsed, body)


@pytest.mark.parametrize("header", [None, "", "t=1", "v1=" + "a" * 64, "t=abc,v1=" + "a" * 64, "t=1,v1=short",
                                    "sha256=" + "a" * 64])
def test_malformed_headers_parse_to_nothing(header):
    assert webhook_signing.parse(header) is None


def test_any_of_several_v1_signatures_may_match_during_secret_rotation():
    good = webhook_signing.sign(SECRET, b"{}", WHEN)
    header = f"t={int(WHEN.timestamp())},v1={'0' * 64},{good.split(',')[1]}"
    assert webhook_signing.matches(SECRET, webhook_signing.parse(header), b"{}")


@pytest.mark.parametrize("value,present", [("1", True), ("0", False), ("true", False), (None, False), (" 1", False),
                                           ("1 ", False), ("01", False)])
def test_only_exactly_1_is_a_gpc_signal(value, present):
    assert signal_present(value) is present
