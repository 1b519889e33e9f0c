"""A request's page in Chromium: its record, and each action form (API.md POST /requests/{id}/actions) opened by its
button and submitted with `Record`; refusals said in plain words next to the form; auditors read only."""

import re
import time
from datetime import UTC, datetime

from playwright.sync_api import expect

from tests.web.console_helpers import new_request, record, sign_in


def open_request(open_page, role, request_id):
    page = sign_in(open_page, role, route=f"#/requests/{request_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(request_id)
    return page


def record_action(page, button):
    page.get_by_role("button", name=button).click()
    page.get_by_role("button", name="Record").click()


def test_request_page_shows_clocks_7101_fields_downstream_and_the_timeline_in_words(open_page, api):
    created = new_request(api, "opt_out_sale_sharing", days_ago=3)
    page = open_request(open_page, "auditor", created["request_id"])
    expect(page.get_by_text("Opt-out of sale or sharing").first).to_be_visible()
    clocks = page.get_by_role("region", name="Clocks", exact=True)
    expect(clocks).to_contain_text("Honor by")
    expect(clocks).to_contain_text(created["clocks"]["honor_by"]["due"])
    expect(clocks).to_contain_text(re.compile(r"Open, \d+ days left"))
    record7101 = page.get_by_role("region", name="Record under 11 CCR 7101", exact=True)
    expect(record7101).to_contain_text("Manner made")
    expect(record7101).to_contain_text("Nature of request")
    downstream = page.get_by_role("region", name="Downstream systems", exact=True)
    expect(downstream).to_contain_text("demo-vendor")
    timeline = page.get_by_role("region", name="Timeline", exact=True)
    expect(timeline).to_contain_text("Request received by email")
    expect(timeline).to_contain_text("By local-agent (agent)")


def test_auditors_see_no_action_button_when_reading_a_request(open_page, api):
    created = new_request(api, "delete")
    page = open_request(open_page, "auditor", created["request_id"])
    for name in ("Acknowledge", "Verify identity", "Extend", "Deny", "Respond", "Confirm", "Record"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("button", name="Export")).to_be_visible()


def test_acknowledge_then_verify_identity_are_recorded_with_times_defaulting_to_now(open_page, api):
    created = new_request(api, "delete", days_ago=1)
    page = open_request(open_page, "analyst", created["request_id"])
    page.get_by_role("button", name="Acknowledge").click()
    sent_at = page.get_by_label("Sent at")
    expect(sent_at).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"))
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Acknowledge receipt: recorded.")).to_be_visible()
    expect(page.get_by_role("region", name="Clocks", exact=True).get_by_role("row", name=re.compile("Acknowledge by"))).to_contain_text("Met")
    expect(page.get_by_role("region", name="Timeline", exact=True)).to_contain_text("Receipt acknowledged to the consumer by email.")
    record_action(page, "Verify identity")
    expect(page.get_by_role("region", name="Timeline", exact=True)).to_contain_text("Identity verified (reasonable degree")
    after = record(api, created["request_id"])
    assert [e["type"] for e in after["timeline"]][1:3] == ["request_acknowledged", "identity_verified"]
    acknowledged = datetime.fromisoformat(after["timeline"][1]["details"]["sent_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - acknowledged).total_seconds()) < 120


def test_extend_moves_respond_by_and_a_second_extension_is_refused_in_plain_words(open_page, api):
    created = new_request(api, "know", days_ago=5)
    page = open_request(open_page, "agent", created["request_id"])
    expect(page.get_by_text("Your role records actions but cannot read the record.")).to_be_visible()
    record_action(page, "Extend")
    clocks = page.get_by_role("region", name="Clocks", exact=True)
    expect(clocks.get_by_role("row", name=re.compile("Respond by"))).to_contain_text("Extended")
    extended = record(api, created["request_id"])["clocks"]["respond_by"]
    assert extended["extended"] is True and extended["due"] > created["clocks"]["respond_by"]["due"]
    record_action(page, "Extend")
    form = page.get_by_role("form", name=re.compile("Extend"))
    expect(form.get_by_role("alert")).to_contain_text("Not recorded:")
    expect(form.get_by_role("alert")).to_contain_text("already extended once")


def test_deny_records_the_basis_and_closes_the_request(open_page, api):
    created = new_request(api, "know", days_ago=2)
    page = open_request(open_page, "analyst", created["request_id"])
    page.get_by_role("button", name="Deny").click()
    page.get_by_label("Basis").select_option("not_california_consumer")
    page.get_by_label("Explanation to the consumer").fill("Our records show no California residence.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("region", name="Timeline", exact=True)).to_contain_text("Denied: not a california consumer.")
    expect(page.get_by_role("region", name="Record under 11 CCR 7101", exact=True)).to_contain_text("Not a California consumer")
    expect(page.get_by_text("This request is closed")).to_be_visible()
    assert record(api, created["request_id"])["status"] == "denied"


def test_respond_satisfies_respond_by_and_an_empty_summary_is_named_in_the_message(open_page, api):
    created = new_request(api, "correct", days_ago=4)
    page = open_request(open_page, "analyst", created["request_id"])
    page.get_by_role("button", name="Respond").click()
    page.get_by_label("Summary").fill("")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("form", name="Record the response").get_by_role("alert")).to_contain_text("summary")
    page.get_by_label("Summary").fill("We corrected the postal address in our records.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("region", name="Clocks", exact=True).get_by_role("row", name=re.compile("Respond by"))).to_contain_text("Met")
    expect(page.get_by_role("region", name="Timeline", exact=True)).to_contain_text("Response sent by email: We corrected the postal address")
    assert record(api, created["request_id"])["status"] == "responded"


def test_confirm_a_manual_system_with_evidence_and_verification_of_an_opt_out_is_refused(open_page, api):
    created = new_request(api, "opt_out_sale_sharing", days_ago=1)
    deadline = time.monotonic() + 30
    while not any(s["system_id"] == "demo-vendor" for s in record(api, created["request_id"])["downstream"]):
        assert time.monotonic() < deadline, "the fan-out never instructed demo-vendor"
        time.sleep(0.5)
    page = open_request(open_page, "analyst", created["request_id"])
    record_action(page, "Verify identity")
    form = page.get_by_role("form", name="Verify identity")
    expect(form.get_by_role("alert")).to_contain_text("Not recorded:")
    page.get_by_role("button", name="Confirm demo-vendor").click()
    page.get_by_label("Evidence").fill("Vendor ticket 4411: suppressed")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("region", name="Timeline", exact=True)).to_contain_text("demo-vendor confirmed (manual): Vendor ticket 4411")
    expect(page.get_by_role("region", name="Downstream systems", exact=True)).to_contain_text("Vendor ticket 4411: suppressed")
    expect(page.get_by_role("button", name="Confirm demo-vendor")).to_have_count(0)
