"""Normalization of consumer identifiers before they are HMAC-tagged (the index never sees raw identifiers)."""

import unicodedata


def normalize_email(email: str) -> str:
    return unicodedata.normalize("NFC", email).strip().lower()


def email_subject(email: str) -> str:
    """The HMAC input for an email: a typed label keeps an email and a device id with equal text apart."""
    return "email:" + normalize_email(email)


def device_subject(device_id: str) -> str:
    return "device:" + unicodedata.normalize("NFC", device_id).strip()


def account_subject(service: str, account_id: str) -> str:
    """A consumer known by a service's own account id: the service scopes it (customer 77 of two systems may be
    two people)."""
    return f"account:{unicodedata.normalize('NFC', service).strip()}:{unicodedata.normalize('NFC', account_id).strip()}"


def actor_subject(actor_id: str) -> str:
    """Who touched personal data (an employee's login can itself be an email): tagged like consumers."""
    return "actor:" + unicodedata.normalize("NFC", actor_id).strip()


def status_token_subject(request_id: str) -> str:
    """The HMAC input that derives a request's status token: the same request always gets the same token."""
    return "status-token:" + request_id


def status_lookup_subject(token: str) -> str:
    """The HMAC input under which a status token is indexed (the token itself is never stored)."""
    return "status:" + token
