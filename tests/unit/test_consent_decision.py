"""The consent decision as a pure function of the consumer's opt-outs and consent state, and the consent services
over in-memory ports: receipts, withdrawals extending locks, minors' locks."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import GuardianConsentRequiredError, NoticeNotInForceError, OptInRequestTooSoonError
from shared.ledger.envelope import Actor
from shared.models.consent import AgeFact, ConsentBody, ConsentEntry, ConsentState, DecisionQuery, NoticeBody
from shared.models.domain import RequestType
from shared.services.consent_decision import OptOut, band_now, decide
from shared.services.consents import Consents, consent_decision, record_consent
from shared.services.notices import publish_notice
from tests.fakes import FakeConsentStore, FakeGpcIdentities, FakeNoticeCatalog

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TAG = "ab" * 32


def entry(consent_id, at, initiated_by="consumer", purpose="sale_sharing", guardian=False):
    return ConsentEntry(consent_id=consent_id, event_id=f"e-{consent_id}", type="consent_recorded", purpose=purpose,
                        decision="opt_in", initiated_by=initiated_by, occurred_at=at, guardian=guardian,
                        s3_key=f"k/{consent_id}", s3_version_id="v")


def state(*in_force, withdrawals=None, band=None, band_at=T0):
    age = AgeFact(band=band, event_id="e-age", type="consent_recorded", occurred_at=band_at) if band else None
    return ConsentState(consumer_tag=TAG, seq=len(in_force), in_force=list(in_force),
                        withdrawals=withdrawals or {}, age=age)


def out(at, gpc=False, kind=RequestType.OPT_OUT_SALE_SHARING):
    return OptOut(kind, gpc, at, f"e-out-{at.isoformat()}", "gpc_signal_received" if gpc else "request_received")


def test_nothing_recorded_allows_sale_and_sensitive_pi_but_not_a_financial_incentive():
    assert (decide(None, [], "sale_sharing", T0).reason, decide(None, [], "sale_sharing", T0).allowed) == \
        ("no_opt_out", True)
    assert decide(None, [], "sensitive_pi", T0).allowed is True
    assert decide(None, [], "financial_incentive", T0).reason == "opt_in_required"


def test_an_opt_out_is_lifted_only_by_a_later_consumer_opt_in():
    opted_out = [out(T0)]
    assert decide(state(), opted_out, "sale_sharing", T0 + timedelta(days=1)).reason == "opted_out"
    business = state(entry("b", T0 + timedelta(days=400), initiated_by="business"))
    assert decide(business, opted_out, "sale_sharing", T0 + timedelta(days=401)).allowed is False
    earlier = state(entry("c", T0 - timedelta(days=1)))
    assert decide(earlier, opted_out, "sale_sharing", T0 + timedelta(days=1)).allowed is False
    later = state(entry("c", T0 + timedelta(days=1)))
    decision = decide(later, opted_out, "sale_sharing", T0 + timedelta(days=2))
    assert (decision.allowed, decision.reason) == (True, "consumer_opt_in_after_opt_out")
    assert [e.event_id for e in decision.evidence] == [opted_out[0].event_id, "e-c"]


def test_a_gpc_signal_after_an_opt_in_wins_and_names_the_overridden_opt_in():
    opted_in = state(entry("c", T0))
    decision = decide(opted_in, [out(T0 + timedelta(hours=1), gpc=True)], "sale_sharing", T0 + timedelta(hours=2))
    assert (decision.allowed, decision.reason) == (False, "gpc_opt_out")
    assert "e-c" in [e.event_id for e in decision.evidence]


def test_a_withdrawal_after_the_opt_out_is_the_reason_and_a_future_opt_out_is_ignored():
    withdrawal = entry("w", T0 + timedelta(days=2)).model_copy(update={"decision": "withdraw",
                                                                      "type": "consent_withdrawn"})
    decision = decide(state(withdrawals={"sale_sharing": withdrawal}), [out(T0)], "sale_sharing",
                      T0 + timedelta(days=3))
    assert decision.reason == "consent_withdrawn"
    assert decide(state(), [out(T0 + timedelta(days=9))], "sale_sharing", T0).allowed is True


@pytest.mark.parametrize(("band", "later_years", "expected"), [
    ("13_to_15", 0, "13_to_15"),
    ("13_to_15", 3, "16_plus"),  # known to be at least 13 three years ago: at least 16 now
    ("under_13", 12, "under_13"),
    ("under_13", 13, "13_to_15"),
    ("16_plus", 0, "16_plus"),
])
def test_the_age_band_ages_from_the_youngest_possible_age(band, later_years, expected):
    assert band_now(state(band=band), T0.replace(year=T0.year + later_years)) == expected
    assert band_now(None, T0) == "16_plus"


def test_minors_need_an_opt_in_and_under_13_a_guardians():
    assert decide(state(band="13_to_15"), [], "sale_sharing", T0).reason == "minor_opt_in_required"
    assert decide(state(entry("m", T0), band="13_to_15"), [], "sale_sharing", T0).allowed is True
    no_guardian = state(entry("k", T0), band="under_13")
    assert decide(no_guardian, [], "sale_sharing", T0).reason == "guardian_consent_required"
    guarded = state(entry("k", T0, guardian=True), band="under_13")
    assert decide(guarded, [], "sale_sharing", T0).reason == "guardian_opt_in"
    assert decide(state(band="under_13"), [], "sensitive_pi", T0).allowed is True


# ------------------------------------------------------------------------------------------ services, fakes


@pytest.fixture
def consents(ledger):
    ledger.notices = FakeNoticeCatalog(ledger.index)
    body = NoticeBody(notice_id="privacy-policy", version="1", title="Privacy", url="https://example.com/p",
                      text="We sell.", effective_from=ledger.now() - timedelta(days=10))
    publish_notice(ledger, body, Actor(type="staff", id="admin"))
    return Consents(store=FakeConsentStore(ledger.index), gpc=FakeGpcIdentities())


def body(**changes):
    return ConsentBody.model_validate({"consumer": {"email": "dee@example.com"}, "purpose": "sale_sharing",
                                       "decision": "opt_in", "initiated_by": "consumer", "age_band": "16_plus",
                                       "method": "email", "notice": {"notice_id": "privacy-policy", "version": "1"},
                                       **changes})


AGENT = Actor(type="staff", id="agent-1", role="agent")


def test_a_withdrawal_extends_the_ended_records_lock_from_its_own_time(ledger, consents, clock):
    opted_in = record_consent(ledger, consents, body(), AGENT)
    key = consents.store.events(opted_in.receipt["subject"]["id"])[0].s3_key
    first_lock = ledger.evidence.objects[key][2]
    clock.moment += timedelta(days=300)
    withdrawn = record_consent(ledger, consents, body(decision="withdraw"), AGENT)
    assert withdrawn.withdraws == [opted_in.consent_id]
    assert ledger.evidence.objects[key][2] >= clock.moment + timedelta(days=730) > first_lock
    query = DecisionQuery(consumer_email="dee@example.com", purpose="sale_sharing")
    assert consent_decision(ledger, consents, query, AGENT).reason == "consent_withdrawn"


def test_refusals_store_nothing(ledger, consents, clock):
    objects = dict(ledger.evidence.objects)
    with pytest.raises(GuardianConsentRequiredError):
        record_consent(ledger, consents, body(age_band="under_13"), AGENT)
    with pytest.raises(NoticeNotInForceError):
        record_consent(ledger, consents, body(occurred_at=clock.moment - timedelta(days=20)), AGENT)
    assert ledger.evidence.objects == objects


def test_a_gpc_opt_out_forbids_a_business_opt_in_for_12_months(ledger, consents, clock):
    from shared.ledger.identity import email_subject
    from tests.fakes import FakeTagger

    ledger.index.requests["gpc-1"] = _gpc_request(ledger, FakeTagger().tag(email_subject("dee@example.com")),
                                                  clock.moment - timedelta(days=30))
    with pytest.raises(OptInRequestTooSoonError):
        record_consent(ledger, consents, body(initiated_by="business"), AGENT)
    clock.moment += timedelta(days=340)
    assert record_consent(ledger, consents, body(initiated_by="business"), AGENT).consent_id


def _gpc_request(ledger, tag, received_at):
    from shared.models.domain import Channel, RequestStatus
    from shared.models.records import RequestRecord, StoredEvent

    ledger.index.events["gpc-e1"] = StoredEvent(
        event_id="gpc-e1", type="request_received", request_id="gpc-1", seq=1, event_hash="0" * 64,
        prev_event_hash=None, consumer_tag=tag, occurred_at=received_at, recorded_at=received_at,
        record_type="consumer_request", actor_type="consumer", actor_role=None, s3_key="k", s3_version_id="v")
    return RequestRecord(request_id="gpc-1", type=RequestType.OPT_OUT_SALE_SHARING, channel=Channel.GPC,
                         status=RequestStatus.IN_PROGRESS, received_at=received_at, recorded_at=received_at,
                         consumer_tag=tag, clocks={}, chain_seq=1, chain_head="0" * 64, intake_key="k",
                         intake_version="v")
