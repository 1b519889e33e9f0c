"""Consent records (API.md v2): opt-ins and their withdrawals, each a locked, sealed event whose details carry an
ISO/IEC TS 27560-shaped receipt; the consumer's consent history; and the decision, audited like any read.

A consumer's consent events form one log in the index (`CONSENT#<tag>`): each goes create-only to the next
position of that log in the evidence bucket, and the state folded from them is written with it under an
optimistic lock, exactly as a request's chain is (services/ledger_writer.py)."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import (
    ChainConflictError,
    EvidenceExistsError,
    GuardianConsentRequiredError,
    NoticeNotFoundError,
    NoticeNotInForceError,
    OptInRequestTooSoonError,
)
from shared.ledger.envelope import Actor, Envelope
from shared.ledger.identity import email_subject
from shared.ledger.ids import uuid7
from shared.ledger.retention import add_years, consent_retain_until, majority_at, reliance_ended_until
from shared.models.consent import (
    ConsentBody,
    ConsentListOut,
    ConsentOut,
    ConsentRecordOut,
    ConsentState,
    DecisionOut,
    DecisionQuery,
    EvidenceOut,
)
from shared.models.domain import Channel, EventType, RecordType, RequestStatus
from shared.models.notices import NoticeVersion
from shared.models.records import StoredEvent
from shared.models.search import RequestSearch
from shared.ports import ConsentStore, GpcIdentities
from shared.services.consent_decision import OptOut, decide
from shared.services.consent_state import apply_consent_event
from shared.services.input_times import refuse_future
from shared.services.ledger_writer import EventDraft, Ledger, draft_envelope, load_current, store_envelope, tag_of
from shared.services.notices import catalog, in_force
from shared.services.read_requests import read_checked, record_audit_read
from shared.services.retention_locks import LockedRecord, extend_lock
from shared.timefmt import parse_rfc3339, rfc3339

JURISDICTION = "US-CA"
RECEIPT_SCHEMA = "ISO/IEC TS 27560:2023 consent record"
PURPOSES = {
    "sale_sharing": "Sale or sharing of personal information (Civ. Code 1798.120)",
    "sensitive_pi": "Use of sensitive personal information beyond 11 CCR 7027(m) (Civ. Code 1798.121)",
    "financial_incentive": "Financial incentive or price difference (Civ. Code 1798.125(b))",
}
OPT_OUT_WAIT_YEARS = 1  # Civ. Code 1798.135(c)(4): 12 months before asking an opted-out consumer to opt in


@dataclass
class Consents:
    """The ports consent use cases need beyond the ledger's."""

    store: ConsentStore
    gpc: GpcIdentities


def consent_event_key(consumer_tag: str, seq: int) -> str:
    """One key per position of the consumer's consent log (the tag is an HMAC: no identifier in the key)."""
    return f"events/consents/{consumer_tag}/{seq:08d}.json"


def record_consent(ledger: Ledger, consents: Consents, body: ConsentBody, actor: Actor,
                   attempts: int = 8) -> ConsentOut:
    now = ledger.now()
    occurred_at = refuse_future(body.occurred_at, now, "occurred_at") if body.occurred_at else now
    notice = _cited_notice(ledger, body, occurred_at)
    if body.decision == "opt_in" and body.age_band == "under_13" and body.guardian is None:
        raise GuardianConsentRequiredError(
            "A consumer under 13 can be opted in only by a parent or guardian (Civ. Code 1798.120(c)).",
            [{"field": "guardian", "issue": "is required for an under-13 opt-in"}])
    tag = tag_of(ledger, email_subject(body.consumer.email))
    if body.decision == "opt_in" and body.initiated_by == "business":
        _refuse_too_soon(consumer_opt_outs(ledger, consents.gpc, tag), occurred_at)
    for _ in range(attempts):
        state = consents.store.state(tag) or ConsentState(consumer_tag=tag)
        envelope = _consent_envelope(ledger, body, actor, tag, notice, state, occurred_at)
        _extend_withdrawn(ledger, state, envelope)
        key = consent_event_key(tag, state.seq + 1)
        try:
            stored = store_envelope(ledger, envelope, key)
        except EvidenceExistsError:
            _adopt_stranded(ledger, consents, state, key)
            continue
        try:
            consents.store.append(apply_consent_event(state, envelope, stored), stored, expected_seq=state.seq)
        except ChainConflictError:
            if not any(e.event_id == stored.event_id for e in consents.store.events(tag)):
                raise
        consent = envelope.details["consent"]
        return ConsentOut(consent_id=consent["consent_id"], event_id=stored.event_id,
                          receipt=envelope.details["receipt"], withdraws=consent.get("withdraws"),
                          retain_until=envelope.retain_until)
    raise ChainConflictError(f"the consent log kept moving; gave up after {attempts} attempts")


def _extend_withdrawn(ledger: Ledger, state: ConsentState, envelope: Envelope) -> None:
    """Reliance on the records a withdrawal ends stops now: their locks run 24 months from here. Extended before
    the withdrawal is stored, so no crash can leave a stored withdrawal whose records keep their old locks (an
    extension a lost race did not need only keeps evidence longer)."""
    ends = set(envelope.details["consent"].get("withdraws", []))
    until = reliance_ended_until(parse_rfc3339(envelope.recorded_at), ledger.settings)
    for entry in (entry for entry in state.in_force if entry.consent_id in ends):
        record = LockedRecord(entry.event_id, entry.s3_key, entry.s3_version_id, RecordType.CONSENT,
                              envelope.consumer_tag)
        cause = {"event_id": envelope.event_id, "consent_id": envelope.details["consent"]["consent_id"],
                 "withdrawn": entry.consent_id}
        extend_lock(ledger, record, until, "consent_withdrawn", cause)


def _cited_notice(ledger: Ledger, body: ConsentBody, occurred_at: datetime) -> NoticeVersion:
    versions = catalog(ledger).versions(body.notice.notice_id)
    cited = next((v for v in versions if v.version == body.notice.version), None)
    if cited is None:
        raise NoticeNotFoundError(f"Version {body.notice.version} of notice {body.notice.notice_id} was never "
                                  "published.", [{"field": "notice", "issue": "was never published"}])
    current = in_force(versions, occurred_at)
    if current is None or current.version != cited.version:
        raise NoticeNotInForceError(
            f"Version {cited.version} of notice {cited.notice_id} was not in force at {rfc3339(occurred_at)}.",
            [{"field": "notice.version", "issue": "was not in force at occurred_at",
              **({"in_force": current.version} if current else {})}])
    return cited


def _refuse_too_soon(opt_outs: list[OptOut], occurred_at: datetime) -> None:
    before = [out for out in opt_outs if out.at <= occurred_at]
    if not before:
        return
    last = max(before, key=lambda out: out.at)
    allowed_from = add_years(last.at, OPT_OUT_WAIT_YEARS)
    if occurred_at < allowed_from:
        raise OptInRequestTooSoonError(
            "The consumer opted out less than 12 months ago; the business may not ask them to opt in before "
            f"{rfc3339(allowed_from)} (Civ. Code 1798.135(c)(4)).",
            [{"field": "initiated_by", "issue": "business opt-in within 12 months of an opt-out",
              "opt_out_event_id": last.event_id, "allowed_from": rfc3339(allowed_from)}])


def _consent_envelope(ledger: Ledger, body: ConsentBody, actor: Actor, tag: str, notice: NoticeVersion,
                      state: ConsentState, occurred_at: datetime) -> Envelope:
    consent_id = uuid7()
    withdraws = [e.consent_id for e in state.in_force if e.purpose == body.purpose] \
        if body.decision == "withdraw" else None
    notice_ref = {"notice_id": notice.notice_id, "version": notice.version, "text_sha256": notice.text_sha256,
                  "event_id": notice.event_id}
    consent: dict[str, Any] = {
        "consent_id": consent_id, "purpose": body.purpose, "decision": body.decision,
        "initiated_by": body.initiated_by, "method": body.method, "age_band": body.age_band, "notice": notice_ref,
    }
    if body.birth_year is not None:
        consent["birth_year"] = body.birth_year
    if body.guardian is not None:
        consent["guardian"] = body.guardian.model_dump()
    if withdraws is not None:
        consent["withdraws"] = withdraws
    receipt = {
        "schema": RECEIPT_SCHEMA,
        "record_id": consent_id,
        "subject": {"id": tag, "id_type": "consumer_tag"},
        "timestamp": rfc3339(occurred_at),
        "purpose": {"id": body.purpose, "description": PURPOSES[body.purpose]},
        "jurisdiction": JURISDICTION,
        "method": body.method,
        "initiated_by": body.initiated_by,
        "controller": {"name": ledger.settings.controller_name},
        "notice": {key: notice_ref[key] for key in ("notice_id", "version", "text_sha256")},
        "event": {"type": "given" if body.decision == "opt_in" else "withdrawn",
                  "ledger_type": _event_type(body)},
        "age_band": body.age_band,
        **({"guardian": {"verification_method": body.guardian.verification_method}} if body.guardian else {}),
        **({"withdraws": withdraws} if withdraws is not None else {}),
    }
    details = {"receipt": receipt, "consent": consent, "consumer": body.consumer.model_dump(exclude_none=True)}
    majority = majority_at(body.age_band, body.birth_year, occurred_at)
    until = consent_retain_until(ledger.now(), ledger.settings, majority)
    draft = EventDraft(_event_type(body), actor, details, occurred_at, retain_until=until)
    return draft_envelope(ledger, draft, RecordType.CONSENT, tag)


def _event_type(body: ConsentBody) -> str:
    return EventType.CONSENT_RECORDED if body.decision == "opt_in" else EventType.CONSENT_WITHDRAWN


def _adopt_stranded(ledger: Ledger, consents: Consents, state: ConsentState, key: str) -> None:
    """Index the object a writer that crashed before indexing left at the next position: the log has no hole."""
    envelope, stored = load_current(ledger, key)
    try:
        consents.store.append(apply_consent_event(state, envelope, stored), stored, expected_seq=state.seq)
    except ChainConflictError:
        pass  # another writer indexed it meanwhile


def consumer_opt_outs(ledger: Ledger, gpc: GpcIdentities, tag: str) -> list[OptOut]:
    """The consumer's opt-out and limit requests (form, staff, GPC; honored or not yet; denied ones do not count),
    with a GPC request their email was linked to later. A GPC request counts from its latest recorded signal
    (erring late: a later opt-out restricts more)."""
    page = ledger.index.search_requests(RequestSearch(consumer_tag=tag, limit=500))
    records = [r for r in page.items if r.type.is_opt_out and r.status != RequestStatus.DENIED]
    linked = gpc.find([tag]).get(tag)
    if linked and linked not in {r.request_id for r in records}:
        record = ledger.index.get_request(linked)
        if record is not None and record.status != RequestStatus.DENIED:
            records.append(record)
    found = []
    for record in records:
        chain = ledger.index.request_events(record.request_id)
        # A GPC request's opt-out is as recent as its latest recorded signal (a link, or one after an opt-in).
        signals = [e for e in chain if e.type == EventType.GPC_SIGNAL_RECEIVED]
        latest = signals[-1] if signals and record.channel == Channel.GPC else chain[0]
        found.append(OptOut(record.type, record.channel == Channel.GPC, latest.occurred_at, latest.event_id,
                            latest.type))
    return found


def consent_decision(ledger: Ledger, consents: Consents, query: DecisionQuery, reader: Actor) -> DecisionOut:
    now = ledger.now()
    tag = tag_of(ledger, email_subject(query.consumer_email))
    state = consents.store.state(tag)
    decision = decide(state, consumer_opt_outs(ledger, consents.gpc, tag), query.purpose, now)
    evidence = [EvidenceOut(event_id=e.event_id, type=e.type, occurred_at=rfc3339(e.occurred_at))
                for e in decision.evidence]
    scope = {"consent_decision": {"consumer_tag": tag, "purpose": query.purpose, "allowed": decision.allowed,
                                  "reason": decision.reason, "evidence": [e.event_id for e in evidence]}}
    record_audit_read(ledger, reader, scope, tag)
    return DecisionOut(purpose=query.purpose, allowed=decision.allowed, reason=decision.reason, evidence=evidence,
                       decided_at=rfc3339(now), age_band=decision.age_band)


def list_consents(ledger: Ledger, consents: Consents, consumer_email: str, reader: Actor) -> ConsentListOut:
    """The consumer's consent records, oldest first, each body read at its pinned version and checked."""
    tag = tag_of(ledger, email_subject(consumer_email))
    events = consents.store.events(tag)
    with ThreadPoolExecutor(max_workers=8) as pool:
        envelopes = list(pool.map(lambda event: read_checked(ledger, event), events))
    withdrawn_by = {ended: env.details["consent"]["consent_id"] for env in envelopes
                    for ended in env.details["consent"].get("withdraws", [])}
    items = [_record_out(stored, envelope, withdrawn_by) for stored, envelope in zip(events, envelopes, strict=True)]
    record_audit_read(ledger, reader, {"consents": {"consumer_tag": tag, "results": len(items)}}, tag)
    return ConsentListOut(items=items)


def _record_out(stored: StoredEvent, envelope: Envelope, withdrawn_by: dict[str, str]) -> ConsentRecordOut:
    consent = envelope.details["consent"]
    return ConsentRecordOut(
        consent_id=consent["consent_id"], event_id=envelope.event_id, type=envelope.type, purpose=consent["purpose"],
        decision=consent["decision"], initiated_by=consent["initiated_by"], method=consent["method"],
        occurred_at=envelope.occurred_at, recorded_at=envelope.recorded_at, notice=consent["notice"],
        receipt=envelope.details["receipt"], withdraws=consent.get("withdraws"),
        withdrawn_by=withdrawn_by.get(consent["consent_id"]), event_hash=stored.event_hash)
