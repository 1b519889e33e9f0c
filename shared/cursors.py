"""Page cursors: opaque and URL-safe. A raw position (`<RFC 3339>#<id>`) holds `#`, which a URL cuts off."""

import base64
from datetime import datetime

from shared.errors import ValidationError
from shared.timefmt import rfc3339


def position(moment: datetime, ident: str) -> str:
    """Sort position shared by every time-ordered index and the access-log engines: RFC 3339 (fixed width, so
    text order is time order), then the id."""
    return f"{rfc3339(moment)}#{ident}"


def encode_cursor(position: str | None) -> str | None:
    return base64.urlsafe_b64encode(position.encode()).decode() if position else None


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        position = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        position = ""
    if not position:
        raise ValidationError("Field cursor is not a cursor this API returned.",
                              [{"field": "cursor", "issue": "is not a cursor this API returned"}])
    return position
