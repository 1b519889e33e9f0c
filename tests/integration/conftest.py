import json

import boto3
import pytest
from moto import mock_aws

from ccpa_audit.local.gateway import LambdaContext, http_api_event
from ccpa_audit.local.resources import create_local_resources
from shared import wiring


class Api:
    """Calls a handler the way API Gateway would, with an HTTP API v2 event."""

    def __init__(self, handler):
        self.handler = handler

    def __call__(self, method, path, body=None, token=None, headers=None, raw=None):
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        event = http_api_event(method, path, sent, data, "198.51.100.7")
        result = self.handler(event, LambdaContext(function_name="intake", aws_request_id="test"))
        text = result.get("body") or ""
        return result["statusCode"], (json.loads(text) if text else None), result.get("headers") or {}


class AwsCalls:
    """Records every AWS operation our code sends, per service."""

    def __init__(self):
        self.calls = []

    def __call__(self, event_name, **kwargs):
        # event_name: before-call.<service>.<Operation>
        _, service, operation = event_name.split(".", 2)
        self.calls.append((service, operation))

    def ops(self, service):
        return [op for svc, op in self.calls if svc == service]


@pytest.fixture
def stack(monkeypatch):
    with mock_aws():
        local = create_local_resources(lambda service: boto3.client(service, region_name="us-east-1"))
        for key, value in local.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("AUTH_MODE", "local")
        wiring.reset()
        yield local
        wiring.reset()


@pytest.fixture
def aws_calls(stack):
    recorder = AwsCalls()
    for service in ("s3", "dynamodb", "kms"):
        wiring.aws_client(service).meta.events.register("before-call.*.*", recorder)
    return recorder


@pytest.fixture
def intake(stack):
    from functions.intake import app

    return Api(app.lambda_handler)


@pytest.fixture
def s3(stack):
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def ddb(stack):
    return boto3.client("dynamodb", region_name="us-east-1")


class ShiftedClock:
    """Moves the handlers' notion of now; real time keeps flowing underneath."""

    def __init__(self):
        from datetime import timedelta

        self.offset = timedelta()

    def __call__(self):
        from shared.timefmt import utc_now

        return utc_now() + self.offset


@pytest.fixture
def clock(stack):
    shifted = ShiftedClock()
    wiring.ledger().now = shifted
    return shifted
