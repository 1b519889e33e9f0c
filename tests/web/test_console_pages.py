"""The staff console in Chromium through accessible names (API.md, web pages v2): sign-in, navigation, every page
for every role at 1280 and 390 px with axe-core, the request list and search, the access log and the registry."""

import re

import pytest
from playwright.sync_api import expect

from tests.web.console_helpers import ROLES, acknowledge, business_day, new_request, sign_in, unique_email

PAGES = ("Requests", "Access log", "Exports", "Metrics", "Systems")


def test_sign_in_refuses_a_malformed_token_in_plain_words_when_typed(open_page):
    page = open_page("/console/")
    page.get_by_label("Access token").fill("analyst")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    assert page.errors == []


def test_sign_out_forgets_the_token_and_nothing_is_kept_in_local_storage_when_clicked(open_page):
    page = sign_in(open_page, "analyst")
    assert page.evaluate("() => window.localStorage.length") == 0
    assert "local-analyst" in page.evaluate("() => JSON.stringify(window.sessionStorage)")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Access token")).to_be_visible()
    assert "local-analyst" not in page.evaluate("() => JSON.stringify(window.sessionStorage)")
    page.reload()
    expect(page.get_by_label("Access token")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_serious_axe_violation_when_signed_in_as_each_role(open_page, api, axe, screenshot, role, width):
    opt_out = new_request(api, "opt_out_sale_sharing", days_ago=20)
    page = sign_in(open_page, role, width)
    for name in PAGES:
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        expect(page.locator(".loading")).to_have_count(0, timeout=30_000)
        axe(page)
        screenshot(page, f"console-{role}-{width}-{name}")
    page.goto(f"/console/#/requests/{opt_out['request_id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(opt_out["request_id"])
    expect(page.locator(".loading")).to_have_count(0, timeout=30_000)
    axe(page)
    screenshot(page, f"console-{role}-{width}-request")
    assert page.errors == []


def test_requests_lists_open_requests_most_urgent_first_with_markers_and_attention_counts(open_page, api):
    fresh = new_request(api, "delete")
    at_risk = new_request(api, "delete", days_ago=39)  # respond_by (day 45) within 7 calendar days
    acknowledge(api, at_risk["request_id"])  # late, but it closes the overdue acknowledge_by clock
    overdue = new_request(api, "opt_out_sale_sharing", days_ago=40)  # honor_by long past
    page = sign_in(open_page, "analyst")
    expect(page.get_by_role("heading", name="Open requests, most urgent first")).to_be_visible()
    links = page.get_by_role("region", name="Open requests, most urgent first").get_by_role("link")
    expect(links.first).to_be_visible()
    order = [text.strip() for text in links.all_inner_texts()]
    wanted = [overdue["request_id"], at_risk["request_id"], fresh["request_id"]]
    if fresh["request_id"] not in order:  # the shared stack may hold more than a page: the urgent ones still lead
        wanted = wanted[:2]
    assert [rid for rid in order if rid in wanted] == wanted
    row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=overdue["request_id"]))
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("Opt-out of sale or sharing")
    expect(row).to_contain_text(re.compile(r"Honor by \d{4}-\d{2}-\d{2}"))
    risk_row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=at_risk["request_id"]))
    expect(risk_row).to_contain_text("At risk")
    expect(risk_row).to_contain_text("days left")
    attention = page.get_by_role("navigation", name="Console").locator("#attention")
    expect(attention).to_contain_text(re.compile(r"[1-9]\d*\+? at-risk"))
    expect(attention).to_contain_text(re.compile(r"[1-9]\d*\+? overdue"))


def test_search_by_consumer_email_pages_with_next_page_when_results_exceed_a_page(open_page, api):
    email = unique_email("pages")
    created = [new_request(api, kind, days_ago=days, email=email)["request_id"]
               for kind, days in (("delete", 9), ("know", 6), ("correct", 3))]
    other = new_request(api, "delete")
    page = sign_in(open_page, "auditor")
    page.get_by_label("Consumer email").fill(email)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()
    for request_id in created:
        expect(page.get_by_role("link", name=request_id)).to_be_visible()
    expect(page.get_by_role("link", name=other["request_id"])).to_have_count(0)
    page.goto(f"/console/#/requests?search=1&consumer_email={email}&limit=2")
    expect(page.get_by_role("link", name=created[2])).to_be_visible()  # newest first
    expect(page.get_by_role("link", name=created[0])).to_have_count(0)
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_role("link", name=created[0])).to_be_visible()
    expect(page.get_by_role("button", name="Next page")).to_have_count(0)
    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_role("link", name=created[2])).to_be_visible()


def test_search_filters_by_request_id_type_status_and_dates_when_combined(open_page, api):
    email = unique_email("filters")
    delete = new_request(api, "delete", days_ago=10, email=email)
    know = new_request(api, "know", days_ago=2, email=email)
    page = sign_in(open_page, "analyst")
    page.get_by_label("Request id").fill(know["request_id"])
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=know["request_id"])).to_be_visible()
    expect(page.get_by_role("link", name=delete["request_id"])).to_have_count(0)
    page.get_by_label("Request id").fill("")
    page.get_by_label("Consumer email").fill(email)
    page.get_by_label("Type").select_option("delete")
    page.get_by_label("Status").select_option("received")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=delete["request_id"])).to_be_visible()
    expect(page.get_by_role("link", name=know["request_id"])).to_have_count(0)
    day = business_day(delete["received_at"])
    page.get_by_label("Type").select_option("")
    page.get_by_label("Status").select_option("")
    page.get_by_label("Received from").fill(day)
    page.get_by_label("Received to").fill(day)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=know["request_id"])).to_have_count(0)
    page.get_by_label("Received from").fill(business_day(know["received_at"]))
    page.get_by_label("Received to").fill("")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=know["request_id"])).to_be_visible()
    expect(page.get_by_role("link", name=delete["request_id"])).to_have_count(0)
    page.get_by_label("Request id").fill("no-such-request")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No request has that id.")).to_be_visible()


def test_access_log_searches_by_consumer_email_actor_service_and_action_when_filtered(open_page, api):
    email = unique_email("log")
    event = {"event_id": "console-log-1", "occurred_at": "2026-11-02T17:00:00Z",
             "actor": {"id": "support-jo", "type": "user", "role": "support"}, "action": "read",
             "source": {"service": "helpdesk", "ip": "203.0.113.9"}, "consumer": {"email": email},
             "data_categories": ["identifiers"], "purpose": "support ticket", "resource": "helpdesk/tickets"}
    status, _ = api("POST", "/access-events", {"events": [event]}, token="local-service")
    assert status == 202
    page = sign_in(open_page, "auditor", route="#/access-log")
    page.get_by_label("Consumer email").fill(email)
    page.get_by_role("button", name="Search").click()
    table = page.get_by_role("region", name="Access events (table)")
    expect(table).to_contain_text("support-jo")
    expect(table).to_contain_text("helpdesk/tickets")
    expect(table).to_contain_text(re.compile(r"Nov 2, 2026, 9:00\sAM PST"))  # 17:00 UTC in the business time zone
    page.get_by_label("Consumer email").fill("")
    page.get_by_label("Actor").fill("support-jo")
    page.get_by_label("Service").fill("helpdesk")
    page.get_by_label("Action").select_option("read")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("region", name="Access events (table)")).to_contain_text(email)
    page.get_by_label("Action").select_option("delete")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No access event matches.")).to_be_visible()


def test_staff_reads_appear_in_the_access_log_in_words_not_json(open_page, api, screenshot):
    request = new_request(api, "know", email=unique_email("scope"))
    status, _ = api("GET", "/requests?status=received&type=know", token="local-analyst")
    assert status == 200
    status, _ = api("POST", "/exports", {"request_id": request["request_id"]}, token="local-analyst")
    assert status in (201, 202)
    page = sign_in(open_page, "auditor", route="#/access-log")
    page.get_by_label("Service").fill("ccpa-audit")
    page.get_by_role("button", name="Search").click()
    table = page.get_by_role("region", name="Access events (table)")
    expect(table).to_contain_text(f"request id {request['request_id']}")
    expect(table).not_to_contain_text("{")
    width = page.evaluate("() => [document.querySelector('.table-wrap').scrollWidth, document.querySelector('.table-wrap').clientWidth]")
    assert width[0] <= width[1] + 1, f"the table overflows its region: {width}"
    screenshot(page, "console-auditor-1280-access-log-staff-reads")


def test_systems_are_read_only_for_analysts_and_edited_by_admins(open_page):
    page = sign_in(open_page, "analyst", route="#/systems")
    expect(page.get_by_role("heading", name=re.compile("demo-vendor"))).to_be_visible()
    expect(page.get_by_role("button", name="Add a system")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Edit|Delete) "))).to_have_count(0)

    page = start_adding_a_system(open_page, "console-crm", "Support CRM")
    page.get_by_label("Kind").select_option("crm")
    page.get_by_label("Instructions").fill("Delete the contact in the CRM and paste the audit entry.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("console-crm was saved.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"Support CRM \(console-crm\)"))).to_be_visible()
    page.get_by_role("button", name="Edit console-crm").click()
    page.get_by_label("System name").fill("Support CRM (EU)")
    page.get_by_label("Deadline in hours").fill("48")
    page.get_by_role("button", name="Save").click()
    card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=re.compile("console-crm")))
    expect(card).to_contain_text("Support CRM (EU)")
    expect(card).to_contain_text("48 hours")
    expect(card).to_contain_text("2, updated")
    page.get_by_role("button", name="Delete console-crm").click()
    page.get_by_role("button", name="Yes, remove console-crm").click()
    expect(page.get_by_text("console-crm was removed.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("console-crm"))).to_have_count(0)


def test_a_bad_system_shows_the_api_refusal_in_plain_words_when_saved(open_page):
    page = start_adding_a_system(open_page, "console-bad", "Bad webhook")
    page.get_by_label("Connector").select_option("webhook")
    page.get_by_label("Webhook URL").fill("http://example.com/hook")
    page.get_by_label("Signing secret").fill("s" * 40)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("https")


def start_adding_a_system(open_page, system_id, name):
    page = sign_in(open_page, "admin", route="#/systems")
    page.get_by_role("button", name="Add a system").click()
    page.get_by_label("System id").fill(system_id)
    page.get_by_label("System name").fill(name)
    return page


def test_the_console_works_by_keyboard_alone_from_sign_in_to_a_request(open_page, api):
    created = new_request(api, "opt_out_sale_sharing", days_ago=30)  # overdue: near the top of the list
    page = open_page("/console/")
    expect(page.get_by_label("Access token")).to_be_focused()
    page.keyboard.type("local-analyst")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back into the header: the sign-out button, then the navigation
    for _ in range(12):
        if page.evaluate("() => document.activeElement.textContent") == "Metrics":
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Metrics")
    page.goto(f"/console/#/requests?search=1&request_id={created['request_id']}")
    link = page.get_by_role("link", name=created["request_id"])
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(created["request_id"])
    page.get_by_role("button", name="Deny").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Basis")).to_be_focused()
