"""Lifecycle actions on a request, each checked against the law's rules and recorded as a ledger event."""

from datetime import datetime
from typing import Any

from shared.clocks.engine import ClockRules, clocks_for, extension_allowed
from shared.errors import RequestClosedError, RequestNotFoundError, RuleViolationError, ValidationError
from shared.errors import ExtensionNotAllowedError, VerificationNotAllowedError
from shared.ledger.envelope import Actor
from shared.models.actions import (
    AcknowledgeAction,
    ConfirmSystemAction,
    DenyAction,
    ExtendAction,
    RespondAction,
    VerifyAction,
)
from shared.models.domain import ClockName, EventType, RequestStatus, RequestType
from shared.models.records import RequestRecord
from shared.services.downstream import Downstream
from shared.services.downstream_outcomes import record_confirmation
from shared.services.input_times import refuse_future, wholly_before
from shared.services.start_fanout import start_fanout_soon
from shared.services.ledger_writer import EventDraft, Ledger, append_request_event
from shared.timefmt import rfc3339

Action = AcknowledgeAction | VerifyAction | ExtendAction | DenyAction | RespondAction | ConfirmSystemAction


class AcknowledgementNotApplicableError(RuleViolationError):
    code = "acknowledgement_not_applicable"


class AlreadyAcknowledgedError(RuleViolationError):
    code = "already_acknowledged"


class ResponseNotApplicableError(RuleViolationError):
    code = "response_not_applicable"


class OptOutOfferRequiredError(RuleViolationError):
    code = "opt_out_offer_required"


def perform_action(ledger: Ledger, downstream: Downstream, request_id: str, action: Action,
                   actor: Actor) -> RequestRecord:
    """A lifecycle action plus what it sets going downstream: a verified deletion starts its fan-out, and a
    confirmation releases the system's waiting branch."""
    if isinstance(action, ConfirmSystemAction):
        record = ledger.index.get_request(request_id)
        if record is None:
            raise RequestNotFoundError(f"No request with id {request_id}.")
        if record.closed:
            raise RequestClosedError(f"Request {request_id} is closed ({record.status.value}); no further actions.")
        evidence = action.evidence
        return record_confirmation(ledger, downstream, request_id, action.system_id, via="manual", actor=actor,
                                   evidence=evidence, strict=True)
    record = apply_action(ledger, request_id, action, actor)
    if record.type == RequestType.DELETE and record.status == RequestStatus.VERIFIED and record.fanout is None:
        record = start_fanout_soon(ledger, downstream, request_id) or record
    return record


def apply_action(ledger: Ledger, request_id: str, action: Action, actor: Actor) -> RequestRecord:
    """Rules are checked against the state at the chain head, so a concurrent action cannot slip past them."""
    rules = ClockRules.from_settings(ledger.settings)

    def decide(record: RequestRecord) -> EventDraft:
        if record.closed:
            raise RequestClosedError(f"Request {request_id} is closed ({record.status.value}); no further actions.")
        return _DECIDERS[action.action](ledger, rules, record, action, actor)

    return append_request_event(ledger, request_id, decide)[0]


def _when(ledger: Ledger, record: RequestRecord, moment: datetime, field: str) -> datetime:
    refuse_future(moment, ledger.now(), field)
    if wholly_before(moment, record.received_at):
        raise ValidationError(f"{field} is before the request was received.",
                              [{"field": field, "issue": "is before the request was received"}])
    return moment


def _acknowledge(ledger: Ledger, rules: ClockRules, record: RequestRecord, action: Any, actor: Actor) -> EventDraft:
    if ClockName.ACKNOWLEDGE_BY not in record.clocks:
        raise AcknowledgementNotApplicableError("Only delete, know and correct requests are acknowledged (7021(a)).")
    if record.clocks[ClockName.ACKNOWLEDGE_BY].satisfied_at is not None:
        raise AlreadyAcknowledgedError("This request was already acknowledged.")
    sent = _when(ledger, record, action.sent_at, "sent_at")
    return EventDraft(EventType.REQUEST_ACKNOWLEDGED, actor, {"sent_at": rfc3339(sent), "method": action.method},
                      occurred_at=sent)


def _verify(ledger: Ledger, rules: ClockRules, record: RequestRecord, action: Any, actor: Actor) -> EventDraft:
    if record.type.is_opt_out:
        raise VerificationNotAllowedError(
            "Opt-out and limit requests must not require identity verification (7026(d), 7027(e)).")
    details: dict[str, Any] = {"method": action.method, "outcome": action.outcome, "level": action.level}
    if action.outcome == "verified":
        if record.type == RequestType.DELETE:
            details["starts_deletion"] = True  # the suppression fan-out starts from this event
        return EventDraft(EventType.IDENTITY_VERIFIED, actor, details)
    if record.type == RequestType.KNOW and record.scope == "specific_pieces":
        details["downgraded_to"] = "categories"  # 7062: unverifiable specific pieces -> treat as categories
    return EventDraft(EventType.IDENTITY_VERIFICATION_FAILED, actor, details)


def _extend(ledger: Ledger, rules: ClockRules, record: RequestRecord, action: Any, actor: Actor) -> EventDraft:
    respond = record.clocks.get(ClockName.RESPOND_BY)
    if respond is None:
        raise ExtensionNotAllowedError("Only delete, know and correct requests can be extended (7021(b)).")
    if respond.extended:
        raise ExtensionNotAllowedError("The response period was already extended once; a second is not allowed.")
    if not extension_allowed(respond.due, ledger.now(), rules):
        raise ExtensionNotAllowedError(f"The original response date {respond.due} has passed; too late to extend.")
    notice = _when(ledger, record, action.notice_sent_at, "notice_sent_at")
    if not extension_allowed(respond.due, notice, rules):
        raise ExtensionNotAllowedError("The extension notice must reach the consumer within the first 45 days.")
    new_due = clocks_for(record.type, record.received_at, rules, extended=True)[ClockName.RESPOND_BY]
    details = {"reason": action.reason, "notice_sent_at": rfc3339(notice), "original_due": respond.due.isoformat(),
               "new_due": new_due.isoformat()}
    return EventDraft(EventType.REQUEST_EXTENDED, actor, details, occurred_at=notice)


def _deny(ledger: Ledger, rules: ClockRules, record: RequestRecord, action: Any, actor: Actor) -> EventDraft:
    sent = _when(ledger, record, action.sent_at, "sent_at")
    details: dict[str, Any] = {"basis": action.basis, "explanation": action.explanation, "sent_at": rfc3339(sent)}
    if action.exemption:
        details["exemption"] = action.exemption
    if record.type == RequestType.DELETE and action.basis == "unverifiable" and ledger.settings.sells_or_shares:
        # 7022(b)(1)/(d): an unverifiable deletion is denied, and the consumer is asked whether to opt out instead.
        if action.opt_out_offered is False:
            raise OptOutOfferRequiredError("This business sells or shares: the denial must offer an opt-out.")
        details["opt_out_offered"] = True
    elif action.opt_out_offered is not None:
        details["opt_out_offered"] = action.opt_out_offered
    return EventDraft(EventType.REQUEST_DENIED, actor, details, occurred_at=sent)


def _respond(ledger: Ledger, rules: ClockRules, record: RequestRecord, action: Any, actor: Actor) -> EventDraft:
    if ClockName.RESPOND_BY not in record.clocks:
        raise ResponseNotApplicableError("Opt-out and limit requests are honored downstream, not answered.")
    sent = _when(ledger, record, action.sent_at, "sent_at")
    details = {"sent_at": rfc3339(sent), "method": action.method, "summary": action.summary,
               "outcome": action.outcome}
    if record.scope:
        details["scope"] = record.scope
    return EventDraft(EventType.RESPONSE_SENT, actor, details, occurred_at=sent)


_DECIDERS = {
    "acknowledge": _acknowledge,
    "verify": _verify,
    "extend": _extend,
    "deny": _deny,
    "respond": _respond,
}
