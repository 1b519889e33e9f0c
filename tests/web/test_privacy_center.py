"""The privacy center in Chromium, found only by accessible names (API.md, web pages v2)."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.web.conftest import NARROW, WIDE

GPC_ON = {"headers": {"Sec-GPC": "1"},
          "init_script": "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"}
RIGHT_LABELS = {"opt_out_sale_sharing": "Do Not Sell or Share", "limit_sensitive_pi": "Limit the Use",
                "delete": "Delete", "know": "Know", "correct": "Correct"}


def fresh_email():
    return f"web-{uuid.uuid4().hex[:10]}@example.com"


def requests_of(api, email):
    status, page = api("GET", f"/requests?consumer_email={email}", token="local-analyst")
    assert status == 200, page
    return page["items"]


def submit(page, email, right):
    page.get_by_label("Email").fill(email)
    page.get_by_label(RIGHT_LABELS[right]).check()
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_role("heading", name="We received your request")).to_be_visible()


@pytest.mark.parametrize("right", list(RIGHT_LABELS))
def test_each_right_files_a_web_form_request_and_shows_id_deadline_and_status_link(open_page, api, right):
    page = open_page("/privacy/")
    email = fresh_email()
    submit(page, email, right)
    [item] = requests_of(api, email)
    assert (item["type"], item["channel"]) == (right, "web_form")
    clock = "honor_by" if right in ("opt_out_sale_sharing", "limit_sensitive_pi") else "respond_by"
    due = item["clocks"][clock]["due"]
    result = page.get_by_role("region", name="We received your request")
    expect(result).to_contain_text(item["request_id"])
    expect(result).to_contain_text(due)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.locator("#result-due").inner_text())
    link = page.get_by_role("link", name=re.compile("status", re.IGNORECASE))
    href = link.get_attribute("href")
    assert item["request_id"] not in href and email not in href
    link.click()
    expect(page.get_by_role("heading", name="Request status")).to_be_visible()
    expect(page.get_by_text(item["request_id"])).to_be_visible()
    expect(page.get_by_text(due, exact=True)).to_be_visible()
    fans_out = clock == "honor_by"  # opt-out and limit go to the downstream systems at once
    expect(page.locator("#status-display")).to_have_text(re.compile("Received|In progress") if fans_out else
                                                          "Received")
    assert page.errors == []


def test_know_sends_the_chosen_scope_and_a_look_back_to_2022(open_page, api):
    page = open_page("/privacy/")
    email = fresh_email()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Know").check()
    page.get_by_label("A copy of the specific pieces").check()
    page.get_by_label("Everything since January 1, 2022").check()
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_role("heading", name="We received your request")).to_be_visible()
    [item] = requests_of(api, email)
    record = api("GET", f"/requests/{item['request_id']}", token="local-analyst")[1]
    assert record["details"]["scope"] == "specific_pieces"
    # Midnight of 2022-01-01 in the business time zone.
    assert record["details"]["look_back_from"].startswith("2022-01-01T08:00:00")


def test_know_options_appear_only_for_know(open_page):
    page = open_page("/privacy/")
    expect(page.get_by_text("How far back?")).to_be_hidden()
    page.get_by_label("Know").check()
    expect(page.get_by_text("How far back?")).to_be_visible()
    page.get_by_text("Erase what we collected").click(force=True)  # the whole card selects its right
    expect(page.get_by_label("Delete")).to_be_checked()
    expect(page.get_by_text("How far back?")).to_be_hidden()


@pytest.mark.parametrize("bad", ["not-an-email", "ana@", "ana example.com", ""])
def test_bad_email_shows_a_message_at_the_field_and_stores_nothing(open_page, api, bad, screenshot):
    page = open_page("/privacy/")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and "/requests" in r.url else None)
    page.get_by_label("Email").fill(bad)
    page.get_by_label("Delete").check()
    page.get_by_role("button", name="Submit request").click()
    message = page.locator("#email-error")
    expect(message).to_be_visible()
    expect(message).to_contain_text("email")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email")).to_be_focused()
    assert sent == []
    if bad == "not-an-email":
        screenshot(page, "privacy-bad-email")
        assert requests_of(api, "not-an-email@example.com") == []


def test_api_refusal_of_an_email_is_shown_at_the_field_and_nothing_is_stored(open_page, api):
    # The page checks emails with the API's own rule, so the API's 422 is replayed here exactly as it answers it.
    status, refusal = api("POST", "/requests", {"type": "correct", "channel": "web_form",
                                                "consumer": {"email": "x@" + "a" * 70 + ".com"}})
    assert status == 422 and refusal["details"][0]["field"] == "consumer.email"
    page = open_page()
    page.route("**/requests", lambda route: route.fulfill(status=422, json=refusal))
    page.goto("/privacy/")
    page.get_by_label("Email").fill(fresh_email())
    page.get_by_label("Correct").check()
    page.get_by_role("button", name="Submit request").click()
    expect(page.locator("#email-error")).to_contain_text("email")
    expect(page.get_by_label("Email")).to_be_focused()
    expect(page.get_by_role("heading", name="We received your request")).to_be_hidden()


def test_a_request_can_be_filed_with_the_keyboard_alone(open_page, api):
    page = open_page("/privacy/")
    email = fresh_email()
    page.locator("body").focus()
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to the request form")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first right
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # the third: Delete
    expect(page.get_by_label("Delete")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Submit request")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="We received your request")).to_be_focused()
    [item] = requests_of(api, email)
    assert item["type"] == "delete"


def test_status_page_shows_opt_out_request_honored_once_the_opt_out_is_honored(open_page, api, honor, screenshot):
    page = open_page("/privacy/")
    email = fresh_email()
    submit(page, email, "opt_out_sale_sharing")
    [item] = requests_of(api, email)
    page.get_by_role("link", name=re.compile("status", re.IGNORECASE)).click()
    expect(page.locator("#status-display")).to_have_text(re.compile("Received|In progress"))
    screenshot(page, "privacy-status-in-progress")
    honor(item["request_id"])
    expect(page.get_by_text("Opt-Out Request Honored")).to_be_visible(timeout=20_000)
    screenshot(page, "privacy-status-honored")
    page.set_viewport_size({"width": NARROW, "height": 900})
    screenshot(page, "privacy-status-honored-390")


@pytest.mark.parametrize(("action", "words"), [
    ({"action": "deny", "basis": "unverifiable", "explanation": "We could not match you."}, "Denied"),
    ({"action": "respond", "method": "email", "summary": "Deleted."}, "Answered"),
])
def test_status_page_shows_a_closed_request_in_plain_words(open_page, api, screenshot, action, words):
    page = open_page("/privacy/")
    email = fresh_email()
    submit(page, email, "delete")
    [item] = requests_of(api, email)
    status, body = api("POST", f"/requests/{item['request_id']}/actions", {**action, "sent_at": item["received_at"]},
                       token="local-analyst")
    assert status == 200, body
    page.get_by_role("link", name=re.compile("status", re.IGNORECASE)).click()
    expect(page.locator("#status-display")).to_have_text(words)
    expect(page.get_by_role("list", name="Progress")).to_contain_text(words)
    screenshot(page, f"privacy-status-{words.lower()}")


def test_status_page_with_an_unknown_token_says_so_in_plain_words(open_page):
    page = open_page("/privacy/status.html#" + "A" * 43)
    expect(page.get_by_role("alert")).to_contain_text("could not find a request")
    page = open_page("/privacy/status.html")
    expect(page.get_by_role("alert")).to_contain_text("link is incomplete")


def test_gpc_signal_is_recorded_and_shown_until_honored(open_page, api, honor, screenshot):
    page = open_page("/privacy/", **GPC_ON)
    expect(page.get_by_text("Global Privacy Control").first).to_be_visible()
    screenshot(page, "privacy-gpc-processing")
    device = page.wait_for_function("() => localStorage.getItem('ccpa-audit.gpc-device-id')").json_value()
    shown = api("GET", f"/gpc/status?device_id={device}")[1]
    assert shown["opted_out"] is True
    honor(shown["request_id"])
    expect(page.get_by_text("Opt-Out Request Honored")).to_be_visible(timeout=20_000)
    screenshot(page, "privacy-gpc-honored")
    # The same browser sees its own status on a later visit: the device id stays in first-party storage.
    page.reload()
    expect(page.get_by_text("Opt-Out Request Honored")).to_be_visible()
    assert page.evaluate("localStorage.getItem('ccpa-audit.gpc-device-id')") == device
    assert page.errors == []


def test_a_request_filed_with_the_signal_on_opts_the_consumer_out_too(open_page, api):
    page = open_page("/privacy/", **GPC_ON)
    device = page.wait_for_function("() => localStorage.getItem('ccpa-audit.gpc-device-id')").json_value()
    email = fresh_email()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Delete").check()
    with page.expect_response(lambda r: r.url.endswith("/gpc") and "consumer" in (r.request.post_data or "")):
        page.get_by_role("button", name="Submit request").click()
    by_device = api("GET", f"/gpc/status?device_id={device}")[1]["request_id"]
    # The same person's signal from another browser is already covered: found by their email, no new request.
    status, other = api("POST", "/gpc", {"device_id": f"other-{device}", "consumer": {"email": email}},
                        headers={"Sec-GPC": "1"})
    assert status == 200 and other["request_id"] == by_device


def test_without_the_signal_no_gpc_text_appears_anywhere(open_page):
    for options in ({}, {"headers": {"Sec-GPC": "0"}}):
        page = open_page("/privacy/", **options)
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("button", name="Submit request")).to_be_visible()
        content = page.content()
        assert "Global Privacy Control" not in content and "Opt-Out Request Honored" not in content
        assert page.evaluate("localStorage.getItem('ccpa-audit.gpc-device-id')") is None


def test_the_privacy_notice_in_force_is_linked_and_recorded_when_one_is_published(open_page, api):
    notice = {"notice_id": "privacy-policy", "version": "2026-11", "title": "Privacy Policy",
              "url": "https://example.com/privacy", "text": "Our privacy policy."}
    status, _ = api("POST", "/notices", notice, token="local-admin")
    page = open_page("/privacy/")
    if status == 404:  # no notices API in this build: the page shows no notice line
        expect(page.get_by_role("button", name="Submit request")).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.locator("#notice-line")).to_be_hidden()
        return
    link = page.get_by_role("link", name="Privacy Policy")
    expect(link).to_have_attribute("href", "https://example.com/privacy")
    email = fresh_email()
    submit(page, email, "delete")
    [item] = requests_of(api, email)
    record = api("GET", f"/requests/{item['request_id']}", token="local-analyst")[1]
    assert record["details"]["notice_seen"] == {"notice_id": "privacy-policy", "version": "2026-11"}


@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_every_privacy_page_has_no_serious_accessibility_violation(open_page, axe, screenshot, width):
    def check(page, name):
        axe(page)
        screenshot(page, f"{name}-{width}")
        # Usable at this width: nothing wider than the screen, so nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        assert page.errors == []

    page = open_page("/privacy/", width=width)
    expect(page.get_by_role("button", name="Submit request")).to_be_visible()
    check(page, "privacy-form")
    page.get_by_label("Know").check()
    page.get_by_role("button", name="Submit request").click()  # no email: the errors state
    expect(page.locator("#email-error")).to_be_visible()
    check(page, "privacy-form-errors")
    page.get_by_label("Email").fill(fresh_email())
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_role("heading", name="We received your request")).to_be_visible()
    check(page, "privacy-result")
    page.get_by_role("link", name=re.compile("status", re.IGNORECASE)).click()
    expect(page.locator("#status-display")).to_have_text("Received")
    check(page, "privacy-status")
    page = open_page("/privacy/status.html#" + "B" * 43, width=width)
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "privacy-status-unknown")
    page = open_page("/privacy/no-such-page.html", width=width)
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check(page, "privacy-not-found")
    page = open_page("/privacy/", width=width, **GPC_ON)
    expect(page.get_by_text("Global Privacy Control").first).to_be_visible()
    check(page, "privacy-gpc")
