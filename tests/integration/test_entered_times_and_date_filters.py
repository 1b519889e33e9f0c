"""Entered times compared at the precision given; `from`/`to` as dates or timestamps on every search and export;
absurd dates refused; date-partitioned reads bounded per call, with a cursor carrying the rest."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from shared.adapters.merged_query import QUERY_BUDGET

WEB = {"type": "delete", "channel": "web_form", "consumer": {"email": "ana@example.com"}}


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def whole_second(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def whole_minute(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ").replace("Z", ":00Z")


def parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def received(intake):
    """A web-form delete request, received (server time, with milliseconds) just now."""
    status, body, _ = intake("POST", "/requests", WEB)
    assert status == 201
    return body["request_id"], parse(body["received_at"])


def act(intake, rid, **action):
    return intake("POST", f"/requests/{rid}/actions", action, token="local-analyst")


@pytest.mark.parametrize("entered", [whole_second, whole_minute])
def test_an_acknowledgement_entered_at_the_precision_of_a_mail_client_is_not_before_the_receipt(
        intake, received, entered):
    rid, at = received
    status, record, _ = act(intake, rid, action="acknowledge", sent_at=entered(at), method="email")
    assert status == 200, record
    assert record["clocks"]["acknowledge_by"]["satisfied_at"] == iso(parse(entered(at)))


def test_an_acknowledgement_a_whole_second_before_the_receipt_is_still_refused(intake, received):
    rid, at = received
    status, out, _ = act(intake, rid, action="acknowledge", sent_at=whole_second(at - timedelta(seconds=1)),
                         method="email")
    assert status == 422 and out["details"][0] == {"field": "sent_at", "issue": "is before the request was received"}


def test_a_millisecond_time_before_the_receipt_is_refused(intake, received):
    rid, at = received
    status, out, _ = act(intake, rid, action="respond", sent_at=iso(at - timedelta(milliseconds=1)),
                         method="email", summary="Done.")
    assert status == 422 and out["details"][0]["field"] == "sent_at"


def test_an_extension_notice_entered_in_whole_minutes_is_accepted(intake, received):
    rid, at = received
    status, record, _ = act(intake, rid, action="extend", reason="Records held by a vendor.",
                            notice_sent_at=whole_minute(at))
    assert status == 200, record


def test_a_staff_receipt_entered_in_whole_minutes_at_the_edge_of_the_window_is_accepted(intake, clock):
    # Whole minutes: the minute 45 days ago that contains the window's edge is inside the window.
    edge = datetime.now(UTC) - timedelta(days=45)
    body = {**WEB, "channel": "email", "received_at": whole_minute(edge)}
    status, out, _ = intake("POST", "/requests", body, token="local-agent")
    assert status == 201, out
    earlier = {**body, "received_at": whole_minute(edge - timedelta(minutes=1))}
    status, out, _ = intake("POST", "/requests", earlier, token="local-agent")
    assert status == 422 and out["details"][0]["field"] == "received_at"


def business_today():
    return datetime.now(ZoneInfo("America/Los_Angeles")).date()


def test_get_requests_takes_dates_as_whole_business_days(intake, received):
    rid, _ = received
    today = business_today().isoformat()
    status, page, _ = intake("GET", f"/requests?from={today}&to={today}", token="local-analyst")
    assert status == 200, page
    assert rid in [item["request_id"] for item in page["items"]]
    yesterday = (business_today() - timedelta(days=1)).isoformat()
    status, page, _ = intake("GET", f"/requests?from={yesterday}&to={yesterday}", token="local-analyst")
    assert status == 200 and rid not in [item["request_id"] for item in page["items"]]


def test_get_access_events_takes_dates_too(intake):
    event = {"event_id": "e-1", "occurred_at": iso(datetime.now(UTC)), "actor": {"id": "svc", "type": "service"},
             "action": "read", "source": {"service": "crm"}, "consumer": {"email": "ana@example.com"},
             "data_categories": ["identifiers"], "purpose": "support"}
    assert intake("POST", "/access-events", {"events": [event]}, token="local-service")[0] == 202
    today = business_today().isoformat()
    status, page, _ = intake("GET", f"/access-events?service=crm&from={today}&to={today}", token="local-auditor")
    assert status == 200 and [item["producer_event_id"] for item in page["items"]] == ["e-1"]


@pytest.mark.parametrize("query", ["to=9999-12-31T00:00:00Z", "to=9999-12-31", "from=0001-01-01",
                                   "from=1999-12-31T23:59:59Z", "to=2100-01-01", "from=2026-02-30",
                                   "to=9999-12-31T23:00:00-05:00", "from=1700000000"])
@pytest.mark.parametrize("path", ["/requests", "/access-events"])
def test_absurd_dates_in_search_filters_are_422_naming_the_filter(intake, path, query):
    status, out, _ = intake("GET", f"{path}?{query}", token="local-auditor")
    assert status == 422 and out["details"][0]["field"] == query.split("=")[0]


@pytest.mark.parametrize("scope", [{"to": "9999-12-31"}, {"from": "0001-01-01"}, {"to": "9999-12-31T23:59:59Z"},
                                   {"from": "1999-12-31"}])
def test_absurd_dates_in_an_export_scope_are_422_not_500(exporter, scope):
    status, out, _ = exporter("POST", "/exports", scope, token="local-auditor")
    assert status == 422 and out["details"][0]["field"] == next(iter(scope))


def queries_per_call(aws_calls, call):
    before = len(aws_calls.ops("dynamodb"))
    result = call()
    return result, aws_calls.ops("dynamodb")[before:].count("Query")


def test_a_search_over_decades_does_bounded_work_per_call_and_pages_on_with_a_cursor(intake, received, aws_calls):
    rid, _ = received
    found, calls, cursor = [], 0, None
    while True:
        path = "/requests?from=2000-01-01" + (f"&cursor={cursor}" if cursor else "")
        (status, page, _), queries = queries_per_call(
            aws_calls, lambda path=path: intake("GET", path, token="local-analyst"))
        assert status == 200 and queries <= QUERY_BUDGET
        found += [item["request_id"] for item in page["items"]]
        calls += 1
        cursor = page["cursor"]
        if cursor is None:
            break
    # 27 years of 4 month shards: more than one call's budget, so the cursor carried the rest.
    assert calls > 1 and found == [rid]


def test_an_access_log_search_over_decades_is_bounded_per_call_too(intake, aws_calls):
    (status, page, _), queries = queries_per_call(
        aws_calls, lambda: intake("GET", "/access-events?from=2000-01-01", token="local-auditor"))
    assert status == 200 and queries <= QUERY_BUDGET and page["items"] == [] and page["cursor"]
    status, page, _ = intake("GET", f"/access-events?from=2000-01-01&cursor={page['cursor']}", token="local-auditor")
    assert status == 200


def test_an_export_over_decades_is_selected_by_the_queued_build_not_within_the_call(
        intake, exporter, received, stack, aws_calls):
    from ccpa_audit.local.queues import pump_once
    from functions.export import app

    rid, _ = received
    (status, out, _), queries = queries_per_call(
        aws_calls, lambda: exporter("POST", "/exports", {"from": "2000-01-01"}, token="local-auditor"))
    assert status == 202 and out["status"] == "building" and queries == 0
    sqs = boto3.client("sqs", region_name="us-east-1")
    assert pump_once(sqs, stack.env["EXPORT_QUEUE_URL"], app.lambda_handler, batch=1) == 1
    status, ready, _ = exporter("GET", f"/exports/{out['export_id']}", token="local-auditor")
    assert ready["status"] == "ready" and ready["event_count"] >= 1


def test_an_export_of_a_few_months_is_still_built_within_the_call(exporter, received):
    status, out, _ = exporter("POST", "/exports", {"from": business_today().isoformat()}, token="local-auditor")
    assert status == 201 and out["status"] == "ready"
