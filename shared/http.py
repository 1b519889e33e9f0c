"""The one table from domain errors to HTTP statuses, and the error body every 4xx/5xx uses."""

from typing import Any

from shared import errors

STATUS: dict[type[errors.DomainError], int] = {
    errors.ValidationError: 422,
    errors.PayloadTooLargeError: 413,
    errors.UnsupportedMediaTypeError: 415,
    errors.UnauthorizedError: 401,
    errors.ForbiddenError: 403,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.ChainConflictError: 503,
    errors.StorageUnavailableError: 503,
    # Not the caller's fault (5xx), and not a fault of the code either: the record cannot be served until the
    # evidence store is restored. The code names which (evidence_missing / evidence_altered) and the event.
    errors.EvidenceIntegrityError: 503,
}


def status_for(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details or []}
