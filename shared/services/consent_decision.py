"""May this consumer's data be used for a purpose now, and on what evidence (API.md v2, GET /consents/decision).

The answer is a pure function of what the ledger holds about the consumer: their opt-out requests (form, staff or
GPC, honored or not yet), their consent state (opt-ins in force, withdrawals, age band), and the time.

- Sale/sharing: not allowed after an opt-out unless a later consumer-initiated opt-in is in force; a GPC signal
  after an opt-in wins (11 CCR 7025(c)(3)). Under 16 it needs an opt-in in force, under 13 a guardian's
  (Civ. Code 1798.120(c)).
- Sensitive PI: the same against requests to limit (Civ. Code 1798.121).
- Financial incentive: only with an opt-in in force (Civ. Code 1798.125(b)(3)); under 13, a guardian's.
- Age band: the latest any record gave (none: 16 or over, the law's "actual knowledge"). A band ages: a consumer
  known to be 13 to 15 three years ago is 16 or over now (from the youngest age of the band).
"""

from dataclasses import dataclass
from datetime import datetime

from shared.models.consent import AGE_BANDS, ConsentEntry, ConsentState
from shared.models.domain import RequestType

MINORS = ("under_13", "13_to_15")
OPT_OUT_TYPES = {
    "sale_sharing": (RequestType.OPT_OUT_SALE_SHARING,),
    "sensitive_pi": (RequestType.LIMIT_SENSITIVE_PI,),
    "financial_incentive": (),
}


@dataclass(frozen=True)
class OptOut:
    """An opt-out of the consumer found in the ledger: a request (channel gpc for a GPC signal)."""

    request_type: RequestType
    gpc: bool
    at: datetime
    event_id: str
    event_type: str


@dataclass(frozen=True)
class Evidence:
    event_id: str
    type: str
    occurred_at: datetime


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    evidence: list[Evidence]
    age_band: str


def band_now(state: ConsentState | None, now: datetime) -> str:
    age = state.age if state else None
    if age is None or age.band not in AGE_BANDS:
        return "16_plus"
    youngest = AGE_BANDS[age.band][0] + _whole_years(age.occurred_at, now)
    return "under_13" if youngest < 13 else "13_to_15" if youngest < 16 else "16_plus"


def decide(state: ConsentState | None, opt_outs: list[OptOut], purpose: str, now: datetime) -> Decision:
    band = band_now(state, now)
    in_force = [entry for entry in (state.in_force if state else []) if entry.purpose == purpose]
    withdrawal = state.withdrawals.get(purpose) if state else None
    outs = [out for out in opt_outs if out.request_type in OPT_OUT_TYPES[purpose] and out.at <= now]
    last_out = max(outs, key=lambda out: out.at) if outs else None
    guardian_needed = band == "under_13" and purpose != "sensitive_pi"
    opt_in_required = purpose == "financial_incentive" or (purpose == "sale_sharing" and band in MINORS)

    usable = [entry for entry in in_force if entry.guardian or not guardian_needed]
    if last_out is not None:  # only the consumer can lift their own opt-out, and only by a later opt-in
        usable = [e for e in usable if e.initiated_by == "consumer" and e.occurred_at > last_out.at]
    opt_in = max(usable, key=lambda entry: entry.occurred_at) if usable else None

    evidence: list[Evidence] = []
    if state is not None and state.age is not None and band in MINORS:
        evidence.append(Evidence(state.age.event_id, state.age.type, state.age.occurred_at))
    if last_out is not None:
        evidence.append(Evidence(last_out.event_id, last_out.event_type, last_out.at))
    if opt_in is not None:
        evidence.append(_entry(opt_in))
        reason = "consumer_opt_in_after_opt_out" if last_out else "guardian_opt_in" if guardian_needed and \
            opt_in_required else "opt_in_in_force"
        return Decision(True, reason, _ordered(evidence), band)

    overridden = [entry for entry in in_force if last_out is not None and entry.occurred_at <= last_out.at]
    evidence.extend(_entry(entry) for entry in overridden)
    if withdrawal is not None:
        evidence.append(_entry(withdrawal))
    if last_out is not None and (withdrawal is None or withdrawal.occurred_at < last_out.at):
        reason = "gpc_opt_out" if last_out.gpc else "limit_requested" if purpose == "sensitive_pi" else "opted_out"
    elif withdrawal is not None:
        reason = "consent_withdrawn"
    elif not opt_in_required:
        return Decision(True, "no_opt_out", _ordered(evidence), band)
    elif guardian_needed:
        reason = "guardian_consent_required"
        evidence.extend(_entry(entry) for entry in in_force if entry not in overridden)
    elif band in MINORS and purpose == "sale_sharing":
        reason = "minor_opt_in_required"
    else:
        reason = "opt_in_required"
    return Decision(False, reason, _ordered(evidence), band)


def _entry(entry: ConsentEntry) -> Evidence:
    return Evidence(entry.event_id, entry.type, entry.occurred_at)


def _ordered(evidence: list[Evidence]) -> list[Evidence]:
    unique = {item.event_id: item for item in evidence}
    return sorted(unique.values(), key=lambda item: (item.occurred_at, item.event_id))


def _whole_years(start: datetime, end: datetime) -> int:
    years = end.year - start.year
    return years - 1 if (end.month, end.day) < (start.month, start.day) else years
