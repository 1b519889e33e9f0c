"""Page cursors: opaque and URL-safe. A raw position (`<RFC 3339>#<id>`) holds `#`, which a URL cuts off."""

import base64

from shared.errors import ValidationError


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
