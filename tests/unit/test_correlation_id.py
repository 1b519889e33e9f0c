"""The logs' correlation id is API Gateway's request id, read from the event without a JMESPath query."""

import pytest
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.jmespath_utils import query

from ccpa_audit.local.gateway import LambdaContext, http_api_event
from shared.observability import api_request_id, logger


@pytest.mark.parametrize("event", [
    http_api_event("GET", "/health", {}, b"", "127.0.0.1"),
    {"requestContext": {"requestId": "abc-123"}},
    {"requestContext": {}},
    {"requestContext": "not an object"},
    {"Records": []},
    {},
])
def test_request_id_is_what_the_powertools_path_selects_when_read_from_any_event(event):
    assert api_request_id(event) == query(envelope=correlation_paths.API_GATEWAY_HTTP, data=event)


def test_intake_logs_carry_the_request_id_when_a_request_is_handled(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    from functions.intake.app import lambda_handler

    event = http_api_event("GET", "/health", {}, b"", "127.0.0.1")
    event["requestContext"]["requestId"] = "req-42"
    assert lambda_handler(event, LambdaContext(function_name="intake", aws_request_id="x"))["statusCode"] == 200
    assert logger.get_correlation_id() == "req-42"
