from datetime import UTC, datetime, timedelta

WEB = {"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": "ana@example.com"}}


def staff(intake, days_ago, **fields):
    received = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    payload = {**WEB, "channel": "email", "received_at": received, **fields}
    status, body, _ = intake("POST", "/requests", payload, token="local-agent")
    assert status == 201
    return body


def ids(intake, query):
    status, body, _ = intake("GET", f"/requests{query}", token="local-analyst")
    assert status == 200
    return [item["request_id"] for item in body["items"]], body["cursor"]


def test_search_by_consumer_email_finds_only_that_consumer_when_case_differs(intake):
    mine = staff(intake, 3)
    staff(intake, 2, consumer={"email": "bob@example.com"})
    found, cursor = ids(intake, "?consumer_email=ANA@example.com")
    assert found == [mine["request_id"]] and cursor is None


def test_search_by_type_and_status_returns_newest_first_when_combined(intake):
    older = staff(intake, 5, type="delete")
    newer = staff(intake, 1, type="delete")
    staff(intake, 2, type="know")
    assert ids(intake, "?type=delete")[0] == [newer["request_id"], older["request_id"]]
    assert ids(intake, "?type=delete&status=received")[0] == [newer["request_id"], older["request_id"]]
    assert ids(intake, "?status=responded")[0] == []


def test_search_by_date_range_bounds_receipt_time_when_given(intake):
    staff(intake, 30)
    inside = staff(intake, 10)
    staff(intake, 1)
    start = (datetime.now(UTC) - timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(intake, f"?from={start}&to={end}")[0] == [inside["request_id"]]
    assert ids(intake, f"?type=opt_out_sale_sharing&from={start}&to={end}")[0] == [inside["request_id"]]


def test_pages_cover_every_request_exactly_once_when_following_the_cursor(intake):
    created = [staff(intake, days)["request_id"] for days in (40, 33, 20, 12, 9, 4, 2)]
    seen, cursor, pages = [], "", 0
    while True:
        found, cursor = ids(intake, f"?limit=3{'&cursor=' + cursor if cursor else ''}")
        seen += found
        pages += 1
        if cursor is None:
            break
    assert seen == list(reversed(created))
    assert pages == 3


def test_search_rejects_bad_parameters_with_422_when_malformed(intake):
    status, body, _ = intake("GET", "/requests?type=nonsense", token="local-analyst")
    assert status == 422 and body["details"][0]["field"] == "type"
    assert intake("GET", "/requests?limit=0", token="local-analyst")[0] == 422
    assert intake("GET", "/requests?colour=red", token="local-analyst")[0] == 422


def test_every_read_is_recorded_as_an_audit_read_event_when_analysts_look(intake, ddb, stack):
    created = staff(intake, 1)
    intake("GET", f"/requests/{created['request_id']}", token="local-auditor")
    intake("GET", "/requests?consumer_email=ana@example.com", token="local-analyst")
    reads = ddb.query(
        TableName=stack.env["INDEX_TABLE"], IndexName="ByKind",
        KeyConditionExpression="kind_pk = :k", ExpressionAttributeValues={":k": {"S": "T#audit_read"}},
    )["Items"]
    assert len(reads) == 2
    assert {r["actor_role"]["S"] for r in reads} == {"auditor", "analyst"}
    assert all(r["consumer_tag"]["S"] == created_tag(ddb, stack, created["request_id"]) for r in reads)


def created_tag(ddb, stack, request_id):
    item = ddb.get_item(TableName=stack.env["INDEX_TABLE"], Key={"pk": {"S": f"REQ#{request_id}"},
                                                                  "sk": {"S": "META"}})["Item"]
    return item["consumer_tag"]["S"]


def test_attention_filters_list_overdue_and_at_risk_requests_most_urgent_first_when_asked(intake, aws_calls):
    late_optout = staff(intake, 40)  # honor_by (15 business days) passed about three weeks ago
    late_delete = staff(intake, 40, type="delete")  # acknowledge_by overdue; respond_by (day 45) days away
    staff(intake, 0)  # fresh opt-out: nothing to worry about yet
    assert ids(intake, "?overdue=true")[0] == [late_delete["request_id"], late_optout["request_id"]]
    assert ids(intake, "?at_risk=true")[0] == [late_delete["request_id"]]
    assert ids(intake, "?overdue=true&type=opt_out_sale_sharing")[0] == [late_optout["request_id"]]
    assert ids(intake, "?at_risk=false")[0].__len__() == 3
    first, cursor = ids(intake, "?overdue=true&limit=1")
    second, last = ids(intake, f"?overdue=true&limit=1&cursor={cursor}")
    assert first + second == [late_delete["request_id"], late_optout["request_id"]] and last is None
    assert "Scan" not in aws_calls.ops("dynamodb")


def test_open_filter_lists_requests_with_an_open_clock_earliest_due_first_when_asked(intake, aws_calls):
    fresh_delete = staff(intake, 0, type="delete")  # acknowledge_by in 10 business days
    late_optout = staff(intake, 40)  # honor_by passed weeks ago
    fresh_optout = staff(intake, 0)  # honor_by in 15 business days: after the deletion's acknowledge_by
    closed = staff(intake, 1, type="delete")
    denial = {"action": "deny", "basis": "other", "explanation": "Not a consumer of ours.",
              "sent_at": datetime.now(UTC).isoformat()}
    assert intake("POST", f"/requests/{closed['request_id']}/actions", denial, token="local-analyst")[0] == 200
    expected = [late_optout["request_id"], fresh_delete["request_id"], fresh_optout["request_id"]]
    assert ids(intake, "?open=true")[0] == expected
    assert ids(intake, "?open=true&type=delete")[0] == [fresh_delete["request_id"]]
    first, cursor = ids(intake, "?open=true&limit=2")
    rest, last = ids(intake, f"?open=true&limit=2&cursor={cursor}")
    assert first + rest == expected and last is None
    assert ids(intake, "?open=true&consumer_email=nobody@example.com") == ([], None)
    assert ids(intake, f"?open=true&limit=1&cursor={cursor}") == ([fresh_optout["request_id"]], None)  # listed once
    assert intake("GET", "/requests?overdue=true&limit=1", token="local-analyst")[1]["total"] == 1
    assert "Query" in aws_calls.ops("dynamodb")
    assert "Scan" not in aws_calls.ops("dynamodb")
