"""Shared steps of the console's browser tests: sign in as a role, create requests through the API."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ROLES = ("agent", "analyst", "auditor", "admin")


def sign_in(open_page, role, width=1280, route=""):
    """A fresh browser context signed in through the `Access token` field; `route` like "#/metrics"."""
    page = open_page("/console/", width=width)
    page.get_by_label("Access token").fill(f"local-{role}")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Console").wait_for()
    if route:
        page.goto(f"/console/{route}")
    return page


def unique_email(prefix="c"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def new_request(api, type="delete", days_ago=0, email=None, channel="email"):
    """A staff-entered request received `days_ago` days ago (the API allows up to 45); answers its 201 body."""
    body = {"type": type, "channel": channel, "consumer": {"email": email or unique_email()}}
    token = None
    if channel == "web_form":
        assert days_ago == 0
    else:
        token = "local-agent"
        body["received_at"] = (datetime.now(UTC) - timedelta(days=days_ago, minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, created = api("POST", "/requests", body, token=token)
    assert status == 201, created
    return created


def record(api, request_id):
    status, body = api("GET", f"/requests/{request_id}", token="local-analyst")
    assert status == 200, body
    return body


def acknowledge(api, request_id):
    sent = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, body = api("POST", f"/requests/{request_id}/actions", {"action": "acknowledge", "sent_at": sent,
                                                                   "method": "email"}, token="local-analyst")
    assert status == 200, body
    return body


def business_day(instant):
    """The YYYY-MM-DD an RFC 3339 instant falls on in the business time zone (what the date filters mean)."""
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()
