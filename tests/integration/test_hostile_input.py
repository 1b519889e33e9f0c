"""Hostile bodies, headers and dates on every JSON route of both API functions: each is a named 4xx, never a 500,
and nothing is written."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from ccpa_audit.local.gateway import LambdaContext, http_api_event

WEB = {"type": "delete", "channel": "web_form", "consumer": {"email": "ana@example.com"}}
SYSTEM = {"name": "Vendor", "kind": "service_provider", "applies_to": ["delete"],
          "connector": {"type": "manual"}, "sla_hours": 48}


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def access_item(**overrides):
    return {"event_id": "e-1", "occurred_at": iso(datetime.now(UTC) - timedelta(minutes=1)),
            "actor": {"id": "svc-crm", "type": "service"}, "action": "read", "source": {"service": "crm"},
            "consumer": {"email": "ana@example.com"}, "data_categories": ["identifiers"], "purpose": "support",
            **overrides}


@pytest.fixture
def rid(intake):
    status, body, _ = intake("POST", "/requests", WEB)
    assert status == 201
    return body["request_id"]


@pytest.fixture
def routes(intake, exporter, rid):
    """Every route that reads a JSON body: (api, method, path, token, a valid body)."""
    return {
        "requests": (intake, "POST", "/requests", None, WEB),
        "actions": (intake, "POST", f"/requests/{rid}/actions", "local-analyst",
                    {"action": "acknowledge", "sent_at": iso(datetime.now(UTC)), "method": "email"}),
        "gpc": (intake, "POST", "/gpc", None, {"device_id": "d-1"}),
        "systems": (intake, "PUT", "/systems/vendor", "local-admin", SYSTEM),
        "access": (intake, "POST", "/access-events", "local-service", {"events": [access_item()]}),
        "exports": (exporter, "POST", "/exports", "local-auditor", {"request_id": rid}),
    }


ROUTES = ["requests", "actions", "gpc", "systems", "access", "exports"]


def deep(levels):
    return "[" * levels + "]" * levels


def index_items(ddb, stack):
    return ddb.scan(TableName=stack.env["INDEX_TABLE"], Select="COUNT")["Count"]


@pytest.mark.parametrize("route", ROUTES)
def test_json_nested_ten_thousand_deep_is_refused_before_parsing_when_it_is_the_body(routes, route):
    api, method, path, token, _ = routes[route]
    status, out, _ = api(method, path, token=token, raw=deep(10_000).encode())
    assert status == 422 and out["error"] == "validation_failed"
    assert out["details"][0] == {"field": "body", "issue": "nests deeper than 32 levels"}


@pytest.mark.parametrize("route", ROUTES)
def test_json_nested_ten_thousand_deep_is_refused_when_it_is_in_a_field(routes, route, ddb, stack):
    api, method, path, token, body = routes[route]
    before = index_items(ddb, stack)
    text = json.dumps(body)
    raw = text[:-1] + ', "nested": ' + deep(10_000) + "}"
    status, out, _ = api(method, path, token=token, raw=raw.encode())
    assert status == 422 and "nests deeper" in out["message"]
    assert index_items(ddb, stack) == before


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("media_type", ["text/plain", "application/octet-stream", "application/x-www-form-urlencoded"])
def test_a_body_declared_as_something_else_than_json_is_415(routes, route, media_type):
    api, method, path, token, body = routes[route]
    status, out, _ = api(method, path, body, token=token, headers={"content-type": media_type})
    assert status == 415 and out["error"] == "unsupported_media_type"
    assert out["details"][0]["field"] == "Content-Type"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON;charset=\"UTF-8\""])
def test_json_declared_in_any_spelling_is_read(intake, content_type):
    status, _, _ = intake("POST", "/requests", WEB, headers={"content-type": content_type})
    assert status == 201


@pytest.mark.parametrize("route", ROUTES)
def test_duplicate_keys_are_refused_naming_the_field(routes, route):
    api, method, path, token, body = routes[route]
    key = next(iter(body))
    raw = json.dumps(body)[:-1] + f', "{key}": {json.dumps(body[key])}}}'
    status, out, _ = api(method, path, token=token, raw=raw.encode())
    assert status == 422 and out["details"][0] == {"field": key, "issue": "appears twice in one object"}


def test_a_nested_duplicate_key_is_named_by_its_path(intake):
    raw = b'{"type": "delete", "channel": "web_form", "consumer": {"email": "a@example.com", "email": "b@example.com"}}'
    status, out, _ = intake("POST", "/requests", raw=raw)
    assert status == 422 and out["details"][0]["field"] == "consumer.email"


@pytest.mark.parametrize("route", ROUTES)
def test_a_body_that_is_not_utf8_is_refused_when_the_gateway_passes_it_base64_encoded(routes, route):
    # API Gateway hands a body that is not valid UTF-8 to the function base64-encoded.
    api, method, path, token, body = routes[route]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    event = http_api_event(method, path, headers, b"", "198.51.100.7")
    event["body"] = base64.b64encode(json.dumps(body).encode()[:-1] + b', "x": "\xff\xfe"}').decode()
    event["isBase64Encoded"] = True
    result = api.handler(event, LambdaContext(function_name="api", aws_request_id="t"))
    out = json.loads(result["body"])
    assert result["statusCode"] == 422 and out["details"][0]["field"] == "body"
    assert out["details"][0]["issue"].startswith("is not valid UTF-8")


def test_a_valid_base64_encoded_body_is_read(intake):
    event = http_api_event("POST", "/requests", {}, b"", "198.51.100.7")
    event["body"] = base64.b64encode(json.dumps(WEB).encode()).decode()
    event["isBase64Encoded"] = True
    assert intake.handler(event, LambdaContext(function_name="api", aws_request_id="t"))["statusCode"] == 201


@pytest.mark.parametrize(("text", "code_point"), [("abc\u202egnp.exe", "U+202E"), ("a\x00b", "U+0000"),
                                                  ("x\u2066y\u2069", "U+2066"), ("bell\x07", "U+0007"),
                                                  ("\ud800", "U+D800")])
def test_control_and_bidi_characters_are_refused_in_a_system_name(intake, text, code_point):
    status, out, _ = intake("PUT", "/systems/vendor", {**SYSTEM, "name": text}, token="local-admin")
    assert status == 422 and out["details"][0]["field"] == "name" and code_point in out["details"][0]["issue"]
    assert intake("GET", "/systems/vendor", token="local-admin")[0] == 404


@pytest.mark.parametrize(("body", "field"), [
    ({**WEB, "consumer": {"email": "ana@example.com", "name": "Ana\u202eK"}}, "consumer.name"),
    ({**WEB, "channel": "authorized_agent", "agent": {"name": "A\x00gent"}}, "agent.name"),
    ({**WEB, "details": {"note": "see \u2067attached"}}, "details.note"),
])
def test_control_and_bidi_characters_are_refused_in_names_and_notes(intake, body, field):
    status, out, _ = intake("POST", "/requests", body, token="local-agent" if "agent" in body else None)
    assert status == 422 and out["details"][0]["field"] == field


@pytest.mark.parametrize(("action", "field"), [
    ({"action": "extend", "reason": "More time \u202e", "notice_sent_at": "NOW"}, "reason"),
    ({"action": "confirm_system", "system_id": "vendor", "evidence": "ticket\x1b[31m 44"}, "evidence"),
    ({"action": "confirm_system", "system_id": "vendor", "evidence": {"ticket": "4\u202d4"}}, "evidence.ticket"),
    ({"action": "respond", "sent_at": "NOW", "method": "em\nail", "summary": "Done."}, "method"),
])
def test_control_and_bidi_characters_are_refused_in_reasons_evidence_and_methods(intake, rid, action, field):
    action = {k: iso(datetime.now(UTC)) if v == "NOW" else v for k, v in action.items()}
    status, out, _ = intake("POST", f"/requests/{rid}/actions", action, token="local-analyst")
    assert status == 422 and out["details"][0]["field"] == field


def test_line_breaks_and_tabs_stay_allowed_in_free_text(intake, rid):
    action = {"action": "respond", "sent_at": iso(datetime.now(UTC)), "method": "email",
              "summary": "Deleted:\n\t- CRM\r\n\t- billing"}
    assert intake("POST", f"/requests/{rid}/actions", action, token="local-analyst")[0] == 200


def test_bidi_characters_are_refused_in_an_access_event_naming_its_item(intake):
    events = [access_item(), access_item(event_id="e-2", source={"service": "cr\u202em"})]
    status, out, _ = intake("POST", "/access-events", {"events": events}, token="local-service")
    assert status == 422 and out["details"][0]["field"] == "events[1].source.service"


def test_bidi_characters_are_refused_in_query_parameters(intake):
    status, out, _ = intake("GET", "/access-events?service=cr%E2%80%AEm", token="local-auditor")
    assert status == 422 and out["details"][0]["field"] == "service"


@pytest.mark.parametrize("email", ["an\u200ba@example.com", "ana@exa\u200dmple.com", "ana\u2060@example.com",
                                   "ana\ufeff@example.com", "a\x00na@example.com"])
def test_an_email_with_an_invisible_character_is_refused(intake, email):
    status, out, _ = intake("POST", "/requests", {**WEB, "consumer": {"email": email}})
    assert status == 422 and out["details"][0]["field"] == "consumer.email"


def test_an_email_with_an_invisible_character_is_refused_in_searches_and_access_events(intake):
    status, out, _ = intake("GET", "/requests?consumer_email=an%E2%80%8Ba@example.com", token="local-analyst")
    assert status == 422 and out["details"][0]["field"] == "consumer_email"
    events = [access_item(consumer={"email": "an\u200ba@example.com"})]
    status, out, _ = intake("POST", "/access-events", {"events": events}, token="local-service")
    assert status == 422 and out["details"][0]["field"] == "events[0].consumer.email"


def test_an_international_email_is_still_accepted(intake):
    assert intake("POST", "/requests", {**WEB, "consumer": {"email": "josé@example.com"}})[0] == 201


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1999-12-31T23:59:59Z"])
def test_an_access_event_dated_before_the_accepted_range_is_422(intake, occurred_at):
    events = [access_item(occurred_at=occurred_at)]
    status, out, _ = intake("POST", "/access-events", {"events": events}, token="local-service")
    assert status == 422 and out["details"][0]["field"] == "events[0].occurred_at"
    assert "2000-01-01" in out["details"][0]["issue"]


@pytest.mark.parametrize("header", ["Bearer local-auditor, Bearer local-admin", "Bearer local-admin,Bearer local-admin",
                                    "Bearer local-admin Bearer local-admin", "Bearer"])
def test_two_authorization_headers_joined_by_the_gateway_are_refused(intake, header):
    status, out, _ = intake("GET", "/systems", headers={"Authorization": header})
    assert status == 401 and out["error"] == "unauthorized" and "exactly one Authorization header" in out["message"]


def test_two_authorization_headers_are_refused_on_a_public_route_too(intake):
    status, _, _ = intake("POST", "/requests", WEB, headers={"Authorization": "Bearer local-agent, Bearer local-agent"})
    assert status == 401


def test_a_signed_callback_nested_deep_is_422_not_500(intake):
    from datetime import UTC as utc

    from shared import wiring
    from shared.services import webhook_signing

    secret = "s" * 40
    system = {**SYSTEM, "connector": {"type": "webhook", "url": "https://ads.example.com/ccpa", "secret": secret}}
    assert intake("PUT", "/systems/ads", system, token="local-admin")[0] == 201
    assert wiring.downstream().secrets.get("ads") is not None
    data = b'{"status": "completed", "evidence": ' + deep(10_000).encode() + b"}"
    headers = {"Ccpa-Signature": webhook_signing.sign(secret, data, datetime.now(utc))}
    status, out, _ = intake("POST", "/callbacks/ads", raw=data, headers=headers)
    assert status == 422 and "nests deeper" in out["message"]


def test_two_authorization_headers_are_refused_behind_the_jwt_authorizer(intake, monkeypatch):
    from shared import wiring

    monkeypatch.setenv("AUTH_MODE", "jwt")
    wiring.reset()
    event = http_api_event("GET", "/systems", {"Authorization": "Bearer aaa.bbb.ccc, Bearer ddd.eee.fff"}, b"",
                           "198.51.100.7")
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "u-1", "cognito:groups": "[admin]"}}}
    result = intake.handler(event, LambdaContext(function_name="api", aws_request_id="t"))
    assert result["statusCode"] == 401 and "exactly one Authorization header" in json.loads(result["body"])["message"]
    event["headers"]["authorization"] = "Bearer aaa.bbb.ccc"
    assert intake.handler(event, LambdaContext(function_name="api", aws_request_id="t"))["statusCode"] == 200
