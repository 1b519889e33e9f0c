"""Domain errors. Class names are part of the API: Step Functions Retry/Catch match on them; `code` is the JSON code."""

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


# 4xx: the caller's problem
class ValidationError(DomainError):
    code = "validation_failed"


class PayloadTooLargeError(DomainError):
    code = "payload_too_large"


class UnsupportedMediaTypeError(DomainError):
    code = "unsupported_media_type"


class UnauthorizedError(DomainError):
    code = "unauthorized"


class ForbiddenError(DomainError):
    code = "forbidden"


class NotFoundError(DomainError):
    code = "not_found"


class RequestNotFoundError(NotFoundError):
    code = "request_not_found"


class ConflictError(DomainError):
    code = "conflict"


class IdempotencyKeyReusedError(ConflictError):
    code = "idempotency_key_reused"


class RuleViolationError(ConflictError):
    """A rule of the law refused the action; subclasses name the rule."""


class VerificationNotAllowedError(RuleViolationError):
    code = "verification_not_allowed"


class ExtensionNotAllowedError(RuleViolationError):
    code = "extension_not_allowed"


class RequestClosedError(RuleViolationError):
    code = "request_closed"


class EventNotFoundError(NotFoundError):
    code = "event_not_found"


class CheckpointNotFoundError(NotFoundError):
    """Nothing has been sealed yet, so there is no checkpoint to show."""

    code = "checkpoint_not_found"


class NotSealedError(ConflictError):
    """The event exists but the sealer has not appended it to the Merkle log yet."""

    code = "not_sealed"


class NoticeUnknownError(NotFoundError):
    """No version of that notice is (or was) in force at the time asked."""

    code = "notice_not_found"


class NoticeVersionExistsError(RuleViolationError):
    """A published notice version is never edited: the same version with other fields is refused."""

    code = "notice_version_exists"


class NoticeOutOfOrderError(RuleViolationError):
    code = "notice_out_of_order"


class NoticeNotFoundError(RuleViolationError):
    """A consent cites a notice version that was never published."""

    code = "notice_not_found"


class NoticeNotInForceError(RuleViolationError):
    code = "notice_not_in_force"


class GuardianConsentRequiredError(RuleViolationError):
    """Civ. Code 1798.120(c): under 13, a parent's or guardian's opt-in."""

    code = "guardian_consent_required"


class OptInRequestTooSoonError(RuleViolationError):
    """Civ. Code 1798.135(c)(4): no business-initiated opt-in within 12 months of an opt-out."""

    code = "opt_in_request_too_soon"


# 5xx: ours
class ChainConflictError(DomainError):
    """Another writer appended to the same request's chain first; the writer re-reads and retries."""

    code = "chain_conflict"


class EvidenceExistsError(DomainError):
    """A create-only evidence write found an object already at that key."""

    code = "evidence_exists"


class RetentionTooShortError(DomainError):
    """Our code tried to lock evidence for less than its record type's floor: a bug, never sent to S3."""

    code = "retention_too_short"


class StorageUnavailableError(DomainError):
    code = "storage_unavailable"


class LedgerInconsistentError(DomainError):
    """Stored tiles, checkpoints or leaf marks disagree with what the log state commits to: never served or extended."""

    code = "ledger_inconsistent"


class CompactionMismatchError(DomainError):
    """A day's compacted access-log copy does not hold each of the day's events exactly once: the day is not
    declared compacted (search keeps reading its batch objects) until someone looks."""

    code = "compaction_mismatch"


class DownstreamUnavailableError(DomainError):
    """A downstream system could not be reached or answered 5xx/429: the state machine retries the instruction."""

    code = "downstream_unavailable"


class DownstreamRejectedError(DomainError):
    """A downstream system refused the instruction (4xx) or reported that it failed: not retried."""

    code = "downstream_rejected"


class CallbackRefusedError(UnauthorizedError):
    code = "callback_refused"


class UnknownInstructionError(NotFoundError):
    """A signed callback names an instruction that was never sent to that system for that request."""

    code = "unknown_instruction"


class InstructionNotPendingError(ConflictError):
    """A signed callback answers an instruction that already has its answer (or was superseded by a retry)."""

    code = "instruction_not_pending"


class EvidenceIntegrityError(DomainError):
    """A locked evidence object is gone or its bytes differ from the hash the index recorded: the store was damaged
    or tampered with. Never shown or exported; named, alerted and counted (shared/services/evidence_reads.py)."""

    code = "evidence_integrity"


class EvidenceMissingError(EvidenceIntegrityError):
    code = "evidence_missing"


class EvidenceAlteredError(EvidenceIntegrityError):
    code = "evidence_altered"
