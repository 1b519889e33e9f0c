"""Domain vocabulary: request types, channels, statuses, clocks, roles and event types."""

from enum import StrEnum


class RequestType(StrEnum):
    OPT_OUT_SALE_SHARING = "opt_out_sale_sharing"
    LIMIT_SENSITIVE_PI = "limit_sensitive_pi"
    DELETE = "delete"
    KNOW = "know"
    CORRECT = "correct"

    @property
    def is_opt_out(self) -> bool:
        """Opt-out and limit: a 15-business-day honor clock, and verification is forbidden."""
        return self in (RequestType.OPT_OUT_SALE_SHARING, RequestType.LIMIT_SENSITIVE_PI)


class Channel(StrEnum):
    WEB_FORM = "web_form"
    EMAIL = "email"
    TOLL_FREE = "toll_free"
    MAIL = "mail"
    IN_PERSON = "in_person"
    AUTHORIZED_AGENT = "authorized_agent"
    GPC = "gpc"

    @property
    def server_timed(self) -> bool:
        """Web form and GPC take the server's clock; staff-entered channels carry the real receipt time."""
        return self in (Channel.WEB_FORM, Channel.GPC)


class RequestStatus(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    PARTIALLY_HONORED = "partially_honored"
    HONORED = "honored"
    RESPONDED = "responded"
    DENIED = "denied"

    @property
    def closed(self) -> bool:
        """Final for every type. HONORED is final only for opt-out/limit (see RequestRecord.closed): a deletion
        honored downstream still owes the consumer a response."""
        return self in (RequestStatus.RESPONDED, RequestStatus.DENIED)


class ClockName(StrEnum):
    HONOR_BY = "honor_by"
    ACKNOWLEDGE_BY = "acknowledge_by"
    RESPOND_BY = "respond_by"


class Role(StrEnum):
    AGENT = "agent"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    SERVICE = "service"
    ADMIN = "admin"


class EventType(StrEnum):
    """Ledger event types. Never rename one: exported bundles and clients depend on them."""

    REQUEST_RECEIVED = "request_received"
    REQUEST_ACKNOWLEDGED = "request_acknowledged"
    IDENTITY_VERIFIED = "identity_verified"
    IDENTITY_VERIFICATION_FAILED = "identity_verification_failed"
    REQUEST_EXTENDED = "request_extended"
    REQUEST_DENIED = "request_denied"
    RESPONSE_SENT = "response_sent"
    CLOCK_AT_RISK = "clock_at_risk"
    CLOCK_OVERDUE = "clock_overdue"
    INSTRUCTION_SENT = "instruction_sent"
    CONFIRMATION_RECEIVED = "confirmation_received"
    INSTRUCTION_FAILED = "instruction_failed"
    INSTRUCTION_TIMED_OUT = "instruction_timed_out"
    CALLBACK_REFUSED = "callback_refused"
    REQUEST_HONORED = "request_honored"
    REQUEST_PARTIALLY_HONORED = "request_partially_honored"
    GPC_SIGNAL_RECEIVED = "gpc_signal_received"
    DATA_ACCESS = "data_access"
    EXPORT_CREATED = "export_created"
    AUDIT_READ = "audit_read"
    # Added: the fan-out's start (which systems applied when it began), and changes to the downstream registry.
    SUPPRESSION_STARTED = "suppression_started"
    SYSTEM_REGISTERED = "system_registered"
    SYSTEM_UPDATED = "system_updated"
    SYSTEM_REMOVED = "system_removed"
    # Privacy notices and consent (v2), and the lock extensions their retention rules make.
    NOTICE_PUBLISHED = "notice_published"
    CONSENT_RECORDED = "consent_recorded"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    RETENTION_EXTENDED = "retention_extended"


class RecordType(StrEnum):
    """Retention classes of DESIGN section 3; each maps to a retention period in Settings."""

    CONSUMER_REQUEST = "consumer_request"
    CONSENT = "consent"
    PRIVACY_NOTICE = "privacy_notice"
    ACCESS_EVENT = "access_event"
