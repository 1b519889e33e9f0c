"""Normalization of consumer identifiers before they are HMAC-tagged (the index never sees raw identifiers)."""

import unicodedata


def normalize_email(email: str) -> str:
    return unicodedata.normalize("NFC", email).strip().lower()


def email_subject(email: str) -> str:
    """The HMAC input for an email: a typed label keeps an email and a device id with equal text apart."""
    return "email:" + normalize_email(email)


def device_subject(device_id: str) -> str:
    return "device:" + unicodedata.normalize("NFC", device_id).strip()
