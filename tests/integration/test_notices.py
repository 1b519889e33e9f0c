"""Privacy-notice versions through the intake handler (API Gateway v2 events): publication, replays and refusals,
reads by time, and the predecessor's lock extended on the stored object when a successor is published."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from shared.ledger.retention import add_years
from tests.integration.consent_helpers import (
    NOTICE,
    RetentionWatch,
    events_of_type,
    evidence_keys,
    iso,
    publish,
    retained_until,
    stored_event,
)


def test_publish_answers_201_with_the_contract_fields_and_locks_a_sealed_event(intake):
    status, out, headers = publish(intake, effective_from="2026-01-01T00:00:00Z")
    assert status == 201, out
    assert out["notice_id"] == "privacy-policy" and out["version"] == "2026.1"
    assert out["text_sha256"] == hashlib.sha256(NOTICE["text"].encode()).hexdigest()
    assert out["effective_from"] == "2026-01-01T00:00:00.000Z" and out["effective_to"] is None
    event = stored_event(out["event_id"])
    assert event.type == "notice_published" and event.record_type == "privacy_notice"
    assert event.consumer_tag is None  # a notice is about no one
    assert retained_until(out["event_id"]) >= datetime.now(UTC) + timedelta(days=730)
    assert headers["Location"] == "/notices/privacy-policy"


def test_same_version_again_answers_200_with_the_same_body_and_stores_nothing(intake, stack):
    first = publish(intake, effective_from="2026-01-01T00:00:00Z")[1]
    before = evidence_keys(stack)
    status, again, _ = publish(intake, effective_from="2026-01-01T00:00:00Z")
    assert (status, again) == (200, first)
    status, omitted, _ = publish(intake)  # no effective_from: the stored one, not "now"
    assert (status, omitted) == (200, first)
    assert evidence_keys(stack) == before


@pytest.mark.parametrize("change", [{"title": "Privacy Notice"}, {"url": "https://example.com/p2"},
                                    {"text": "We sell nothing."}, {"effective_from": "2026-01-02T00:00:00Z"}])
def test_same_version_with_other_fields_is_409_notice_version_exists(intake, stack, change):
    publish(intake, effective_from="2026-01-01T00:00:00Z")
    before = evidence_keys(stack)
    status, out, _ = publish(intake, **{"effective_from": "2026-01-01T00:00:00Z", **change})
    assert status == 409 and out["error"] == "notice_version_exists", out
    assert evidence_keys(stack) == before


@pytest.mark.parametrize("effective_from", ["2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"])
def test_a_version_not_after_the_latest_is_409_notice_out_of_order(intake, stack, effective_from):
    publish(intake, effective_from="2026-01-01T00:00:00Z")
    before = evidence_keys(stack)
    status, out, _ = publish(intake, version="2026.2", effective_from=effective_from)
    assert status == 409 and out["error"] == "notice_out_of_order", out
    assert out["details"][0]["field"] == "effective_from"
    assert evidence_keys(stack) == before


def test_reads_are_public_and_pick_the_version_in_force_at_a_time(intake):
    publish(intake, effective_from="2026-01-01T00:00:00Z")
    future = datetime.now(UTC) + timedelta(days=30)
    publish(intake, version="2026.2", text="We sell and share.", effective_from=iso(future))
    status, listed, _ = intake("GET", "/notices")
    assert status == 200
    [group] = listed["items"]
    assert group["notice_id"] == "privacy-policy" and group["in_force"] == "2026.1"
    assert [(v["version"], v["effective_to"]) for v in group["versions"]] == [("2026.1", iso(future)),
                                                                               ("2026.2", None)]
    status, now_version, _ = intake("GET", "/notices/privacy-policy")
    assert status == 200 and now_version["version"] == "2026.1" and now_version["text"] == NOTICE["text"]
    later = intake("GET", f"/notices/privacy-policy?at={iso(future + timedelta(seconds=1))}")[1]
    assert later["version"] == "2026.2" and later["text"] == "We sell and share."
    status, out, _ = intake("GET", "/notices/privacy-policy?at=2025-06-01T00:00:00Z")
    assert status == 404 and out["error"] == "notice_not_found"
    assert intake("GET", "/notices/unknown-notice")[0] == 404


def test_a_version_published_by_hash_only_is_served_without_text(intake):
    digest = "ab" * 32
    status, out, _ = publish(intake, text=None, text_sha256=digest.upper())
    assert status == 201 and out["text_sha256"] == digest
    shown = intake("GET", "/notices/privacy-policy")[1]
    assert shown["text_sha256"] == digest and "text" not in shown


@pytest.mark.parametrize(("change", "field"), [
    ({"text": None}, "text"),
    ({"text_sha256": "00" * 32}, "text_sha256"),
    ({"url": "not a url"}, "url"),
    ({"notice_id": "has space"}, "notice_id"),
    ({"effective_from": "2026-01-01T00:00:00"}, "effective_from"),
    ({"color": "blue"}, "color"),
    ({"title": ""}, "title"),
])
def test_bad_notice_input_is_422_naming_the_field_and_stores_nothing(intake, stack, change, field):
    body = {key: value for key, value in {**NOTICE, **change}.items() if value is not None}
    status, out, _ = intake("POST", "/notices", body, token="local-admin")
    assert status == 422 and out["details"][0]["field"] == field, out
    assert evidence_keys(stack) == []


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("local-analyst", 403), ("local-agent", 403)])
def test_only_admins_publish_whatever_the_body(intake, stack, token, status):
    assert intake("POST", "/notices", {"junk": 1}, token=token)[0] == status
    assert evidence_keys(stack) == []


def test_a_successor_extends_the_predecessors_lock_to_12_months_after_it_ends(intake, ddb, stack):
    watch = RetentionWatch()
    first = publish(intake)[1]
    before = retained_until(first["event_id"])
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3 * 365)  # announced years ahead
    status, second, _ = publish(intake, version="2026.2", text="New text.", effective_from=iso(ends))
    assert status == 201, second
    after = retained_until(first["event_id"])
    assert after > before and after >= add_years(ends, 1)
    extended = events_of_type(ddb, stack, "retention_extended")
    assert len(extended) == 1 and len(watch.sent) == 1
    # The successor's own lock is untouched, and a repeat of its publication extends nothing again.
    assert publish(intake, version="2026.2", text="New text.", effective_from=iso(ends))[0] == 200
    assert len(events_of_type(ddb, stack, "retention_extended")) == 1 and len(watch.sent) == 1


def test_a_successor_soon_after_leaves_a_longer_lock_alone_and_sends_no_retention(intake, ddb, stack):
    watch = RetentionWatch()
    first = publish(intake)[1]
    before = retained_until(first["event_id"])
    publish(intake, version="2026.2", effective_from=iso(datetime.now(UTC) + timedelta(days=1)))
    assert retained_until(first["event_id"]) == before  # already past effective_to + 12 months: never shortened
    assert watch.sent == [] and events_of_type(ddb, stack, "retention_extended") == []


def test_openapi_document_covers_notices_and_consents(intake):
    spec = intake("GET", "/openapi.json")[1]
    assert {"/notices", "/notices/{notice_id}", "/consents", "/consents/decision"} <= set(spec["paths"])
    assert set(spec["paths"]["/notices"]) == {"get", "post"} and set(spec["paths"]["/consents"]) == {"get", "post"}
    assert {"NoticeBody", "NoticeOut", "ConsentBody", "ConsentOut", "DecisionOut"} <= set(spec["components"]["schemas"])
