"""Issuing a consumer's status link: an unguessable token derived from the request id with the tagging key,
indexed only as the HMAC of the token (reading it: shared/services/request_status.py)."""

import base64

from shared.ledger.identity import status_lookup_subject, status_token_subject
from shared.ports import StatusTokens
from shared.services.ledger_writer import Ledger


def issue_status_token(ledger: Ledger, links: StatusTokens, request_id: str) -> str:
    """Deterministic, so a replay with the same Idempotency-Key answers the same token; the link is create-only."""
    mac = bytes.fromhex(ledger.tagger.tag(status_token_subject(request_id)))
    token = base64.urlsafe_b64encode(mac).decode().rstrip("=")
    links.link(ledger.tagger.tag(status_lookup_subject(token)), request_id)
    return token
