"""What a careful but careless client of API.md sends, through the intake and export handlers: times as Unix
numbers or out of range on every route that takes one, unreadable date filters, `to` before `from`, a lowercase
auth scheme, a notice effective from a date. Each refusal is a 422 naming the field in one plain sentence, and
nothing is written."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.consent_helpers import NOTICE, consent, publish

WEB = {"type": "delete", "channel": "web_form", "consumer": {"email": "ana@example.com"}}


def items(ddb, stack):
    return ddb.scan(TableName=stack.env["INDEX_TABLE"], Select="COUNT")["Count"]


def refused(status, body, field):
    assert status == 422, body
    assert body["details"][0]["field"] == field, body
    return body["message"]


def staff_request(received_at):
    return {"type": "opt_out_sale_sharing", "channel": "toll_free", "received_at": received_at,
            "consumer": {"email": "bo@example.com"}}


def test_a_unix_time_or_a_date_alone_is_not_a_receipt_time(intake, ddb, stack):
    before = items(ddb, stack)
    epoch = int((datetime.now(UTC) - timedelta(days=2)).timestamp())
    for sent in (epoch, float(epoch), (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d")):
        status, body, _ = intake("POST", "/requests", staff_request(sent), token="local-agent")
        assert "RFC 3339 timestamp with a UTC offset" in refused(status, body, "received_at")
    assert items(ddb, stack) == before


def test_notice_and_consent_times_keep_the_accepted_range_and_refuse_unix_time(intake, ddb, stack):
    before = items(ddb, stack)
    for effective_from in ("9999-12-31T00:00:00Z", "0001-01-01", 1700000000):
        refused(*publish(intake, effective_from=effective_from)[:2], "effective_from")
    assert items(ddb, stack) == before
    assert publish(intake, effective_from="2026-01-01T00:00:00Z")[0] == 201
    before = items(ddb, stack)
    for occurred_at in ("0001-01-01T00:00:00Z", 1795000000):
        refused(*consent(intake, occurred_at=occurred_at)[:2], "occurred_at")
    for at in ("0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "garbage"):
        refused(*intake("GET", f"/notices/{NOTICE['notice_id']}?at={at}")[:2], "at")
    assert items(ddb, stack) == before


def test_a_notice_effective_from_a_date_starts_at_that_days_first_instant_in_the_business_time_zone(intake):
    status, out, _ = publish(intake, effective_from="2026-07-01")
    assert status == 201, out
    assert out["effective_from"] == "2026-07-01T07:00:00.000Z"  # midnight in Los Angeles (PDT)
    again = publish(intake, effective_from="2026-07-01")
    assert again[0] == 200 and again[1] == out


@pytest.mark.parametrize("path", ["/requests", "/access-events"])
def test_an_unreadable_date_filter_is_one_sentence_naming_the_filter(intake, path):
    for value in ("yesterday", "2026-13-01", "2026-11-30T25:00:00Z"):
        status, body, _ = intake("GET", f"{path}?from={value}", token="local-analyst")
        assert "a date (YYYY-MM-DD) or an RFC 3339 timestamp" in refused(status, body, "from")
        assert len(body["details"]) == 1, body


@pytest.mark.parametrize("path", ["/requests", "/access-events"])
def test_a_search_whose_to_is_before_its_from_is_refused_naming_to(intake, path):
    for start, end in (("2026-11-30", "2026-11-01"), ("2026-11-30T12:00:00Z", "2026-11-30T11:00:00Z")):
        status, body, _ = intake("GET", f"{path}?from={start}&to={end}", token="local-analyst")
        refused(status, body, "to")
    assert intake("GET", f"{path}?from=2026-11-30&to=2026-11-30", token="local-analyst")[0] == 200


def test_an_export_of_timestamps_in_the_wrong_order_within_one_day_is_refused(exporter, intake):
    scope = {"from": "2026-11-30T12:00:00Z", "to": "2026-11-30T11:00:00Z"}
    refused(*exporter("POST", "/exports", scope, token="local-auditor")[:2], "to")


def test_the_bearer_scheme_is_case_insensitive(intake):
    status, body, _ = intake("POST", "/requests", WEB)
    assert status == 201
    for scheme in ("bearer", "BEARER"):
        got = intake("GET", f"/requests/{body['request_id']}", headers={"Authorization": f"{scheme} local-analyst"})
        assert got[0] == 200, got[1]
    assert intake("GET", "/requests", headers={"Authorization": "Basic local-analyst"})[0] == 401


def test_a_json_body_in_a_charset_other_than_utf8_is_415_naming_the_charset(intake, ddb, stack):
    before = items(ddb, stack)
    status, body, _ = intake("POST", "/requests", WEB, headers={"content-type": "application/json; charset=latin-1"})
    assert status == 415, body
    assert body["details"] == [{"field": "Content-Type", "issue": "charset latin-1 is not UTF-8"}]
    assert items(ddb, stack) == before


@pytest.mark.parametrize("content_type", ["application/json; charset=utf8", "Application/JSON;charset=UTF-8", " "])
def test_common_spellings_of_a_utf8_json_body_and_a_blank_content_type_are_read_as_json(intake, content_type):
    status, body, _ = intake("POST", "/requests", WEB, headers={"content-type": content_type})
    assert status == 201, body


def test_a_midnight_utc_timestamp_filter_is_that_instant_not_the_business_day(intake):
    day = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")
    status, body, _ = intake("POST", "/requests", staff_request(f"{day}T03:00:00Z"), token="local-agent")
    assert status == 201, body
    # 03:00Z is the evening before in Los Angeles: a business-day reading of `from` would start at 08:00Z.
    status, page, _ = intake("GET", f"/requests?from={day}T00:00:00Z&to={day}T04:00:00Z", token="local-analyst")
    assert status == 200, page
    assert [item["request_id"] for item in page["items"]] == [body["request_id"]]
    status, page, _ = intake("GET", f"/requests?from={day}&to={day}", token="local-analyst")
    assert status == 200 and page["items"] == []  # the business day starts at 08:00Z (07:00Z in summer)
    refused(*intake("GET", f"/requests?from={day}T00:00:00", token="local-analyst")[:2], "from")  # no offset


def test_an_unencoded_plus_offset_in_a_query_string_is_read_as_that_offset(intake):
    day = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")
    status, body, _ = intake("POST", "/requests", staff_request(f"{day}T03:00:00Z"), token="local-agent")
    assert status == 201, body
    # `from=...T00:00:00+00:00` typed into a URL: `+` decodes to a space.
    status, page, _ = intake("GET", f"/requests?from={day}T00:00:00+00:00&to={day}T04:00:00+00:00",
                             token="local-analyst")
    assert status == 200, page
    assert [item["request_id"] for item in page["items"]] == [body["request_id"]]
    assert intake("GET", f"/notices/{NOTICE['notice_id']}?at={day}T00:00:00+00:00")[0] == 404  # none published


@pytest.mark.stepfunctions
def test_an_honored_opt_out_records_its_7101_response_date_and_nature(fanout):
    fanout.register("mail", "confirm")
    status, body, _ = fanout.intake("POST", "/requests", {**WEB, "type": "opt_out_sale_sharing"})
    assert status == 201, body
    record = fanout.record(body["request_id"])
    assert record["record_7101"]["response_date"] is None and record["record_7101"]["response_nature"] is None
    assert fanout.settle(body["request_id"]) == "SUCCEEDED"
    record = fanout.record(body["request_id"])
    assert record["status"] == "honored"
    honored = next(event for event in record["timeline"] if event["type"] == "request_honored")
    assert record["record_7101"]["response_date"] == honored["occurred_at"]
    assert record["record_7101"]["response_nature"] == "honored"
    assert record["record_7101"]["denial_basis"] is None
