"""Consent records and decisions through the intake handler (API Gateway v2 events): who may record, every rule
and 409 of API.md, receipts, the decision across opt-out, opt-ins, GPC and withdrawal, minors, lock dates read
back from the stored objects, consumer exports that verify offline, and Query-only reads."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.ledger.retention import add_years
from tests.integration.conftest import Api
from tests.integration.consent_helpers import (
    EMAIL,
    NOTICE,
    RetentionWatch,
    consent,
    decision,
    events_of_type,
    evidence_keys,
    iso,
    publish,
    retained_until,
    stored_event,
)
from tests.integration.test_exports import bundle_of, verify


@pytest.fixture
def notice(intake):
    status, out, _ = publish(intake, effective_from=iso(datetime.now(UTC) - timedelta(days=1)))
    assert status == 201, out
    return out


def opt_out(intake, email=EMAIL, kind="opt_out_sale_sharing"):
    status, out, _ = intake("POST", "/requests", {"type": kind, "channel": "web_form", "consumer": {"email": email}})
    assert status == 201, out
    return out["request_id"]


def test_opt_in_answers_201_with_a_27560_shaped_receipt_and_a_locked_sealed_event(intake, notice):
    status, out, _ = consent(intake)
    assert status == 201, out
    receipt = out["receipt"]
    assert receipt["record_id"] == out["consent_id"] and receipt["jurisdiction"] == "US-CA"
    assert receipt["purpose"]["id"] == "sale_sharing" and receipt["method"] == "web_form"
    assert receipt["notice"] == {"notice_id": "privacy-policy", "version": "2026.1",
                                 "text_sha256": notice["text_sha256"]}
    assert receipt["event"]["type"] == "given" and receipt["controller"]["name"]
    assert len(receipt["subject"]["id"]) == 64 and EMAIL not in str(receipt)  # the subject is the consumer tag
    event = stored_event(out["event_id"])
    assert (event.type, event.record_type, event.consumer_tag) == ("consent_recorded", "consent",
                                                                  receipt["subject"]["id"])
    assert retained_until(out["event_id"]) >= datetime.now(UTC) + timedelta(days=730)


@pytest.mark.parametrize(("token", "changes", "status"), [
    (None, {}, 201),  # the privacy center: a consumer's own web-form record
    (None, {"initiated_by": "business"}, 401),
    (None, {"method": "email"}, 401),
    ("local-agent", {"method": "toll_free", "initiated_by": "business"}, 201),
    ("local-service", {"method": "email"}, 201),
    ("local-analyst", {}, 403),
    ("local-admin", {}, 403),
])
def test_who_may_record_a_consent(intake, notice, token, changes, status):
    assert consent(intake, token=token, **changes)[0] == status


def test_a_token_less_caller_gets_401_whatever_it_sent(intake, stack, notice):
    before = evidence_keys(stack)
    assert intake("POST", "/consents", raw=b"{not json")[0] == 401
    assert intake("POST", "/consents", {"junk": True})[0] == 401
    assert evidence_keys(stack) == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"purpose": "marketing"}, "purpose"),
    ({"decision": "maybe"}, "decision"),
    ({"age_band": "teen"}, "age_band"),
    ({"consumer": {"email": "not-an-email"}}, "consumer.email"),
    ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
    ({"occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
    ({"birth_year": 1990, "age_band": "13_to_15"}, "birth_year"),
    ({"notice": {"notice_id": "privacy-policy"}}, "notice.version"),
    ({"extra": 1}, "extra"),
])
def test_bad_consent_input_is_422_naming_the_field_and_stores_nothing(intake, stack, notice, changes, field):
    before = evidence_keys(stack)
    status, out, _ = consent(intake, **changes)
    assert status == 422 and out["details"][0]["field"] == field, out
    assert evidence_keys(stack) == before


def test_a_notice_never_published_is_409_notice_not_found(intake, stack, notice):
    before = evidence_keys(stack)
    status, out, _ = consent(intake, notice={"notice_id": "privacy-policy", "version": "9"})
    assert status == 409 and out["error"] == "notice_not_found"
    status, out, _ = consent(intake, notice={"notice_id": "cookie-notice", "version": "1"})
    assert status == 409 and out["error"] == "notice_not_found"
    assert evidence_keys(stack) == before


def test_a_notice_not_in_force_at_occurred_at_is_409(intake, stack, notice):
    publish(intake, version="2026.2", text="v2", effective_from=iso(datetime.now(UTC) - timedelta(hours=1)))
    before = evidence_keys(stack)
    status, out, _ = consent(intake)  # cites 2026.1, superseded an hour ago
    assert status == 409 and out["error"] == "notice_not_in_force"
    earlier = iso(datetime.now(UTC) - timedelta(hours=2))
    status, out, _ = consent(intake, notice={"notice_id": "privacy-policy", "version": "2026.2"}, occurred_at=earlier)
    assert status == 409 and out["error"] == "notice_not_in_force"
    assert evidence_keys(stack) == before
    assert consent(intake, occurred_at=earlier)[0] == 201  # 2026.1 was in force then


def test_an_under_13_opt_in_without_a_guardian_is_409_guardian_consent_required(intake, stack, notice):
    before = evidence_keys(stack)
    status, out, _ = consent(intake, age_band="under_13")
    assert status == 409 and out["error"] == "guardian_consent_required"
    assert evidence_keys(stack) == before
    guardian = {"name": "Pat Parent", "verification_method": "signed consent form"}
    assert consent(intake, age_band="under_13", guardian=guardian)[0] == 201


def test_a_business_opt_in_within_12_months_of_an_opt_out_is_409_and_allowed_after(intake, stack, notice, clock):
    opt_out(intake, kind="limit_sensitive_pi")  # a limit counts as much as an opt-out of sale
    before = evidence_keys(stack)
    status, out, _ = consent(intake, initiated_by="business", method="email")
    assert status == 409 and out["error"] == "opt_in_request_too_soon", out
    assert evidence_keys(stack) == before
    clock.offset = timedelta(days=366)
    assert consent(intake, initiated_by="business", method="email")[0] == 201


def test_the_decision_across_opt_out_business_opt_in_consumer_opt_in_gpc_and_withdrawal(intake, notice):
    assert decision(intake) | {"evidence": [], "decided_at": ""} == {
        "purpose": "sale_sharing", "allowed": True, "reason": "no_opt_out", "evidence": [], "decided_at": "",
        "age_band": "16_plus"}
    rid = opt_out(intake)
    out = decision(intake)
    assert (out["allowed"], out["reason"]) == (False, "opted_out")
    [evidence] = out["evidence"]
    assert evidence["type"] == "request_received"
    assert evidence["event_id"] == intake("GET", f"/requests/{rid}", token="local-analyst")[1]["timeline"][0][
        "event_id"]

    assert consent(intake, initiated_by="business", method="email")[1]["error"] == "opt_in_request_too_soon"
    assert decision(intake)["allowed"] is False

    opted_in = consent(intake)[1]
    out = decision(intake)
    assert (out["allowed"], out["reason"]) == (True, "consumer_opt_in_after_opt_out")
    assert [e["type"] for e in out["evidence"]] == ["request_received", "consent_recorded"]
    assert out["evidence"][1]["event_id"] == opted_in["event_id"]

    status, gpc, _ = intake("POST", "/gpc", {"device_id": "laptop-1", "consumer": {"email": EMAIL}},
                            headers={"Sec-GPC": "1"})
    assert status == 200 and gpc["gpc"] is True
    out = decision(intake)
    assert (out["allowed"], out["reason"]) == (False, "gpc_opt_out")  # 11 CCR 7025(c)(3): the later signal wins
    assert opted_in["event_id"] in [e["event_id"] for e in out["evidence"]]

    withdrawn = consent(intake, decision="withdraw")[1]
    assert withdrawn["withdraws"] == [opted_in["consent_id"]]
    out = decision(intake)
    assert (out["allowed"], out["reason"]) == (False, "consent_withdrawn")
    assert withdrawn["event_id"] in [e["event_id"] for e in out["evidence"]]


def test_a_repeated_gpc_signal_after_an_opt_in_is_recorded_once_and_wins(intake, notice):
    signal = {"device_id": "phone-7", "consumer": {"email": EMAIL}}
    rid = intake("POST", "/gpc", signal, headers={"Sec-GPC": "1"})[1]["request_id"]
    assert decision(intake)["reason"] == "gpc_opt_out"
    opted_in = consent(intake)[1]
    assert decision(intake)["reason"] == "consumer_opt_in_after_opt_out"
    for _ in range(2):  # the same browser keeps sending the signal
        assert intake("POST", "/gpc", signal, headers={"Sec-GPC": "1"})[1]["request_id"] == rid
    out = decision(intake)
    assert (out["allowed"], out["reason"]) == (False, "gpc_opt_out")
    timeline = intake("GET", f"/requests/{rid}", token="local-analyst")[1]["timeline"]
    again = [e for e in timeline if e["type"] == "gpc_signal_received"]
    assert len(again) == 1 and again[0]["details"]["conflicts_with"] == [opted_in["consent_id"]]
    assert again[0]["event_id"] in [e["event_id"] for e in out["evidence"]]


def test_each_decision_is_an_audit_read_of_the_consumer(intake, ddb, stack, notice):
    before = len(events_of_type(ddb, stack, "audit_read"))
    decision(intake)
    decision(intake, purpose="financial_incentive", token="local-auditor")
    reads = events_of_type(ddb, stack, "audit_read")
    assert len(reads) == before + 2
    assert intake("GET", f"/consents/decision?consumer_email={EMAIL}&purpose=sale_sharing",
                  token="local-agent")[0] == 403
    assert intake("GET", f"/consents/decision?consumer_email={EMAIL}&purpose=ads", token="local-service")[0] == 422


def test_sensitive_pi_follows_limit_requests_and_financial_incentives_need_an_opt_in(intake, notice):
    assert decision(intake, "sensitive_pi")["allowed"] is True
    opt_out(intake, kind="opt_out_sale_sharing")
    assert decision(intake, "sensitive_pi")["allowed"] is True  # an opt-out of sale does not limit sensitive PI
    opt_out(intake, kind="limit_sensitive_pi")
    assert decision(intake, "sensitive_pi")["reason"] == "limit_requested"
    assert decision(intake, "financial_incentive")["reason"] == "opt_in_required"
    consent(intake, purpose="financial_incentive")
    assert decision(intake, "financial_incentive")["allowed"] is True


GUARDIAN = {"name": "Pat Parent", "verification_method": "signed consent form"}


@pytest.mark.parametrize(("band", "extra", "without", "with_opt_in"), [
    ("under_13", {"guardian": GUARDIAN}, "guardian_consent_required", "guardian_opt_in"),
    ("13_to_15", {}, "minor_opt_in_required", "opt_in_in_force"),
    ("16_plus", {}, "no_opt_out", "opt_in_in_force"),
    ("unknown", {}, "no_opt_out", "opt_in_in_force"),
])
def test_minors_need_an_opt_in_and_under_13_a_guardians(intake, notice, band, extra, without, with_opt_in):
    # A withdrawal records the band without an opt-in in force.
    consent(intake, decision="withdraw", age_band=band, purpose="financial_incentive")
    out = decision(intake)
    assert (out["reason"], out["allowed"]) == (without, without == "no_opt_out")
    assert out["age_band"] == ("16_plus" if band == "unknown" else band)
    assert consent(intake, age_band=band, **extra)[0] == 201
    out = decision(intake)
    assert (out["allowed"], out["reason"]) == (True, with_opt_in)


def test_an_under_13_opt_in_made_before_a_guardian_is_not_enough_after_the_band_is_learned(intake, notice):
    consent(intake, age_band="unknown")
    assert decision(intake)["allowed"] is True
    consent(intake, decision="withdraw", purpose="financial_incentive", age_band="under_13")
    out = decision(intake)
    assert (out["allowed"], out["reason"]) == (False, "guardian_consent_required")


def test_a_minors_record_stays_locked_through_the_18th_birthday(intake, notice):
    now = datetime.now(UTC)
    by_year = consent(intake, age_band="under_13", birth_year=now.year - 5, guardian=GUARDIAN)[1]
    assert retained_until(by_year["event_id"]) >= datetime(now.year - 5 + 19, 1, 1, tzinfo=UTC)
    by_band = consent(intake, email="teen@example.com", age_band="13_to_15")[1]
    assert retained_until(by_band["event_id"]) >= add_years(now, 5)
    youngest = consent(intake, email="kid@example.com", age_band="under_13", guardian=GUARDIAN)[1]
    assert retained_until(youngest["event_id"]) >= add_years(now, 18)
    adult = consent(intake, email="adult@example.com")[1]
    assert retained_until(adult["event_id"]) < add_years(now, 3)


def test_a_withdrawal_extends_the_lock_of_the_records_it_ends(intake, ddb, stack, notice, clock):
    watch = RetentionWatch()
    opted_in = consent(intake)[1]
    other = consent(intake, purpose="sensitive_pi")[1]
    before = retained_until(opted_in["event_id"])
    clock.offset = timedelta(days=200)  # relied on for 200 days, then withdrawn
    withdrawn = consent(intake, decision="withdraw")[1]
    assert withdrawn["withdraws"] == [opted_in["consent_id"]]
    withdrawn_at = datetime.now(UTC) + clock.offset
    after = retained_until(opted_in["event_id"])
    assert after > before and after >= withdrawn_at + timedelta(days=730)
    assert retained_until(other["event_id"]) < after  # a purpose not withdrawn keeps its lock
    [extension] = events_of_type(ddb, stack, "retention_extended")
    assert extension["consumer_tag"]["S"] == opted_in["receipt"]["subject"]["id"]
    assert len(watch.sent) == 1 and watch.sent[0][0] == stored_event(opted_in["event_id"]).s3_key


def test_consent_history_is_oldest_first_names_withdrawals_and_is_audited(intake, ddb, stack, notice):
    first = consent(intake)[1]
    second = consent(intake, decision="withdraw")[1]
    consent(intake, email="someone-else@example.com")
    reads = len(events_of_type(ddb, stack, "audit_read"))
    status, out, _ = intake("GET", f"/consents?consumer_email={EMAIL}", token="local-auditor")
    assert status == 200
    assert [item["consent_id"] for item in out["items"]] == [first["consent_id"], second["consent_id"]]
    assert out["items"][0]["withdrawn_by"] == second["consent_id"]
    assert out["items"][1]["withdraws"] == [first["consent_id"]]
    assert out["items"][0]["receipt"] == first["receipt"]
    assert len(events_of_type(ddb, stack, "audit_read")) == reads + 1
    assert intake("GET", f"/consents?consumer_email={EMAIL}", token="local-service")[0] == 403


def test_consent_reads_and_decisions_query_and_never_scan(intake, aws_calls, notice):
    consent(intake)
    opt_out(intake)
    aws_calls.calls.clear()
    decision(intake)
    intake("GET", f"/consents?consumer_email={EMAIL}", token="local-analyst")
    ops = aws_calls.ops("dynamodb")
    assert "Scan" not in ops and "Query" in ops


def test_a_new_request_names_the_notice_versions_in_force_on_its_record_and_7101_view(intake, notice):
    publish(intake, notice_id="cookie-notice", version="1", text="Cookies.")
    rid = opt_out(intake)
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    expected = [{"notice_id": "cookie-notice", "version": "1", "text_sha256": record["notice_in_force"][0][
        "text_sha256"]}, {"notice_id": "privacy-policy", "version": "2026.1", "text_sha256": notice["text_sha256"]}]
    assert record["notice_in_force"] == expected
    assert record["record_7101"]["notice_in_force"] == expected


def test_a_consumers_export_carries_consents_and_cited_notices_and_verifies(intake, notice, stack, tmp_path):
    from functions.export import app

    exporter = Api(app.lambda_handler)
    opt_out(intake)
    opted_in = consent(intake)[1]
    withdrawn = consent(intake, decision="withdraw")[1]
    status, out, _ = exporter("POST", "/exports", {"consumer_email": EMAIL}, token="local-auditor")
    assert status == 201, out
    data, archive = bundle_of(out)
    lines = archive.read("events.jsonl").decode().splitlines()
    assert any(opted_in["event_id"] in line for line in lines)
    assert any(withdrawn["event_id"] in line for line in lines)
    assert any(notice["event_id"] in line and NOTICE["text"] in line for line in lines)
    consents = json.loads(archive.read("consents.json"))
    assert [r["record_id"] for r in consents["receipts"]] == [opted_in["consent_id"], withdrawn["consent_id"]]
    assert consents["receipts"][0]["jurisdiction"] == "US-CA"
    assert consents["notices"][0]["text"] == NOTICE["text"]
    assert consents["notices"][0]["text_sha256"] == notice["text_sha256"]
    assert verify(data, tmp_path) == 0
