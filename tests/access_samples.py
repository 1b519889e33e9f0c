"""Generated POST /access-events items for equivalence tests: every shape the API accepts, with the text that makes
encoders differ (non-NFC and astral unicode, quotes, backslashes, long digit strings, padding the API strips,
offsets, upper-case addresses the API writes in canonical form)."""

import random
from datetime import datetime, timedelta
from typing import Any

_TEXTS = (
    "plain", "café", "cafe\u0301", "Ångström", "A\u030angstrom", "naïve \"quoted\"", "back\\slash", "</script>",
    "\\u0000 literal", "emoji 😀 astral 𝄞", "中文字段", "98765432109876543210", "-12345678901234567890123",
    "1.5e308", "  padded  ", "x" * 200, "ﬁ ligature", "ǅ title", "ＦＵＬＬ width",
)
_LABELS = ("identifiers", "email", "Billing-Address", "ssn", "sensitive_health", "gps", "purchase.history",
           "widget färg", "cafe\u0301 list", "unknown/label", "EMAIL", "x" * 200)
_RESOURCES = (None, "arn:aws:s3:::bucket-1/key/é.txt", "s3://b2/k", "arn:aws:dynamodb:us-east-1:123:table/T/index/I",
              "dynamodb://Orders", "db://crm", "db://crm/contacts", "crm:/tickets/9", "/api/users/ü",
              "arn:aws:dynamodb:eu-west-1:9:table/Tbl")
_IPS = (None, "203.0.113.9", "2001:DB8::1", "::ffff:192.0.2.1", " 198.51.100.7 ", "fe80::1")
_EMAILS = ("ana@example.com", "Ana.Smith@Example.COM", "josé@example.com", "o'brien+tag@example.org")
_OFFSETS = ("Z", "+00:00", "+05:30", "-08:00", "+14:00", "-12:00")


def access_items(count: int, received_at: datetime, seed: int = 17) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [_item(rng, number, received_at) for number in range(count)]


def _item(rng: random.Random, number: int, received_at: datetime) -> dict[str, Any]:
    text = lambda: rng.choice(_TEXTS)  # noqa: E731
    consumer: dict[str, str] = {}
    shape = rng.randrange(3)
    if shape != 1:
        consumer["email"] = rng.choice(_EMAILS)
    if shape != 0:
        consumer["id"] = text()
    item: dict[str, Any] = {
        "event_id": f"{text()[:180]}-{number}",
        "occurred_at": _occurred(rng, received_at),
        "actor": {"id": text(), "type": rng.choice(("user", "service"))},
        "action": rng.choice(("read", "create", "update", "delete", "export", "share")),
        "source": {"service": rng.choice(("crm", "billing", "ünïcode svc", "  padded svc  "))},
        "consumer": consumer,
        "data_categories": [rng.choice(_LABELS) for _ in range(rng.randrange(1, 5))],
        "purpose": text(),
    }
    if rng.random() < 0.5:
        item["actor"]["role"] = text()
    ip = rng.choice(_IPS)
    if ip:
        item["source"]["ip"] = ip
    resource = rng.choice(_RESOURCES)
    if resource:
        item["resource"] = resource
    if rng.random() < 0.4:
        item["request_id"] = str(_uuid(rng)).upper() if rng.random() < 0.5 else str(_uuid(rng))
    if rng.random() < 0.6:
        item["outcome"] = rng.choice(("success", "failure"))
    return item


def _occurred(rng: random.Random, received_at: datetime) -> str:
    moment = received_at - timedelta(seconds=rng.randrange(0, 40 * 86400), microseconds=rng.randrange(1_000_000))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    digits = rng.choice((0, 3, 6))
    if digits:
        text += f".{moment.microsecond:06d}"[: digits + 1]
    offset = rng.choice(_OFFSETS)
    if offset in ("Z", "+00:00"):
        return text + offset
    sign = 1 if offset[0] == "+" else -1
    shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])) * sign
    shifted = datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S") + shift
    return shifted.strftime("%Y-%m-%dT%H:%M:%S") + text[19:] + offset


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
