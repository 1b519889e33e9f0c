"""A consumer's consent state as a pure fold over their consent events, so the index can be rebuilt from the
evidence: the opt-ins still in force, the last withdrawal per purpose and the latest age band given."""

from shared.ledger.envelope import Envelope
from shared.models.consent import AgeFact, ConsentEntry, ConsentState
from shared.models.records import StoredEvent
from shared.timefmt import parse_rfc3339


def apply_consent_event(state: ConsentState, envelope: Envelope, stored: StoredEvent) -> ConsentState:
    consent = envelope.details["consent"]
    occurred_at = parse_rfc3339(envelope.occurred_at)
    entry = ConsentEntry(consent_id=consent["consent_id"], event_id=envelope.event_id, type=envelope.type,
                         purpose=consent["purpose"], decision=consent["decision"],
                         initiated_by=consent["initiated_by"], occurred_at=occurred_at,
                         guardian=consent.get("guardian") is not None, s3_key=stored.s3_key,
                         s3_version_id=stored.s3_version_id)
    in_force = list(state.in_force)
    withdrawals = dict(state.withdrawals)
    if consent["decision"] == "opt_in":
        in_force.append(entry)
    else:
        ended = set(consent.get("withdraws", []))
        in_force = [held for held in in_force if held.consent_id not in ended]
        withdrawals[entry.purpose] = entry
    age = state.age
    if consent.get("age_band", "unknown") != "unknown" and (age is None or occurred_at >= age.occurred_at):
        age = AgeFact(band=consent["age_band"], event_id=envelope.event_id, type=envelope.type,
                      occurred_at=occurred_at)
    return state.model_copy(update={"seq": state.seq + 1, "in_force": in_force, "withdrawals": withdrawals,
                                    "age": age})
