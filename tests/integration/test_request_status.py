"""A web form request's status link: `status_token` on the 201 and the public GET /status/{token} (API.md v2)."""

import pytest

WEB_FORM = {"type": "delete", "channel": "web_form", "consumer": {"email": "sam@example.com"}}


def file_request(intake, body=WEB_FORM, key=None, token=None):
    headers = {"Idempotency-Key": key} if key else {}
    return intake("POST", "/requests", body, token=token, headers=headers)


def status_items(ddb, stack):
    items = ddb.scan(TableName=stack.env["INDEX_TABLE"])["Items"]
    return [item for item in items if item["pk"]["S"].startswith("STATUS#")]


def test_web_form_201_carries_an_unguessable_token_that_opens_the_status(intake, ddb, stack):
    status, created, _ = file_request(intake)
    assert status == 201
    token = created["status_token"]
    assert len(token) == 43 and created["request_id"] not in token
    status, shown, headers = intake("GET", f"/status/{token}")
    assert status == 200
    assert shown == {"request_id": created["request_id"], "type": "delete", "status": "received",
                     "received_at": created["received_at"], "due": created["clocks"]["respond_by"]["due"],
                     "display": "Received"}
    # Only the HMAC of the token is indexed, never the token, and never consumer identifiers.
    [item] = status_items(ddb, stack)
    assert token not in str(item) and "sam@example.com" not in str(item)
    assert item["request_id"]["S"] == created["request_id"]


def test_same_idempotency_key_returns_the_same_token_when_retried(intake, ddb, stack):
    first = file_request(intake, key="form-1")[1]
    status, again, _ = file_request(intake, key="form-1")
    assert status == 200 and again["status_token"] == first["status_token"]
    assert len(status_items(ddb, stack)) == 1
    other = file_request(intake, {**WEB_FORM, "consumer": {"email": "kim@example.com"}}, key="form-2")[1]
    assert other["status_token"] != first["status_token"]


def test_staff_entered_requests_get_no_status_token(intake):
    body = {"type": "know", "channel": "email", "consumer": {"email": "lee@example.com"}}
    status, created, _ = file_request(intake, body, token="local-agent")
    assert status == 201 and "status_token" not in created


@pytest.mark.parametrize("token", ["nope", "A" * 43, "A" * 44, "%2e%2e"])
def test_unknown_or_malformed_tokens_are_404_in_the_api_error_shape(intake, token):
    file_request(intake)
    status, body, _ = intake("GET", f"/status/{token}")
    assert status == 404
    assert body["error"] == "not_found" and "status link" in body["message"]


def test_the_bare_request_id_is_not_a_status_token(intake):
    created = file_request(intake)[1]
    assert intake("GET", f"/status/{created['request_id']}")[0] == 404


def test_opt_out_due_is_honor_by_and_status_shows_plain_words(intake):
    body = {"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": "ola@example.com"}}
    created = file_request(intake, body)[1]
    shown = intake("GET", f"/status/{created['status_token']}")[1]
    assert shown["due"] == created["clocks"]["honor_by"]["due"]
    assert shown["display"] in ("Received", "In progress")


def test_status_follows_the_request_to_denied_and_answered(intake):
    denied = file_request(intake)[1]
    answered = file_request(intake, {**WEB_FORM, "type": "know"})[1]
    deny = {"action": "deny", "basis": "unverifiable", "explanation": "No match", "sent_at": denied["received_at"]}
    assert intake("POST", f"/requests/{denied['request_id']}/actions", deny, token="local-analyst")[0] == 200
    respond = {"action": "respond", "sent_at": answered["received_at"], "method": "email", "summary": "Sent"}
    assert intake("POST", f"/requests/{answered['request_id']}/actions", respond, token="local-analyst")[0] == 200
    assert intake("GET", f"/status/{denied['status_token']}")[1]["display"] == "Denied"
    shown = intake("GET", f"/status/{answered['status_token']}")[1]
    assert (shown["status"], shown["display"]) == ("responded", "Answered")


def test_the_notice_version_seen_is_kept_in_the_request_details(intake):
    details = {"notice_seen": {"notice_id": "privacy-policy", "version": "2026-01"}}
    created = file_request(intake, {**WEB_FORM, "details": details})[1]
    record = intake("GET", f"/requests/{created['request_id']}", token="local-analyst")[1]
    assert record["details"]["notice_seen"] == {"notice_id": "privacy-policy", "version": "2026-01"}
    status, body, _ = file_request(intake, {**WEB_FORM, "details": {"notice_seen": {"notice_id": "x"}}})
    assert status == 422 and body["details"][0]["field"] == "details.notice_seen.version"


def test_openapi_document_lists_the_public_status_route(intake):
    spec = intake("GET", "/openapi.json")[1]
    assert "security" not in spec["paths"]["/status/{token}"]["get"]
    assert set(spec["components"]["schemas"]["RequestStatusOut"]["required"]) == {
        "request_id", "type", "status", "received_at", "due", "display"}


def test_the_token_never_reaches_the_service_logs_even_at_debug(intake, capsys):
    from shared.observability import logger

    created = file_request(intake)[1]
    token = created["status_token"]
    previous = logger.log_level
    logger.setLevel("DEBUG")
    try:
        assert intake("GET", f"/status/{token}")[0] == 200
        assert intake("GET", f"/status/{token[:-1]}x")[0] == 404
    finally:
        logger.setLevel(previous)
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err
    assert token[:-1] not in captured.out + captured.err
