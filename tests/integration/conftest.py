import contextlib
import json

import boto3
import pytest
from moto import mock_aws

from ccpa_audit.local.gateway import LambdaContext, http_api_event
from ccpa_audit.local.resources import create_local_resources
from ccpa_audit.local.streams import StreamPoller, reads_access_events
from shared import wiring


class Api:
    """Calls a handler the way API Gateway would, with an HTTP API v2 event. Given the access stream's poller, it
    drains the stream before a request that reads access events, as the local stack does (read-your-writes)."""

    def __init__(self, handler, stream=None):
        self.handler = handler
        self.stream = stream

    def __call__(self, method, path, body=None, token=None, headers=None, raw=None):
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        event = http_api_event(method, path, sent, data, "198.51.100.7")
        if self.stream is not None and reads_access_events(method, event["rawPath"]):
            self.stream.drain()
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
def stack(monkeypatch, request):
    executes = request.node.get_closest_marker("stepfunctions") is not None
    with mock_aws(config={"stepfunctions": {"execute_state_machine": executes}}):
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
def stream(stack):
    """The access stream's event source mapping, as the local stack runs it: records go to AccessBatcherFunction's
    handler when a reader drains it (or a test pumps it)."""
    from functions.access_batcher import app

    kinesis = boto3.client("kinesis", region_name="us-east-1")
    return StreamPoller(kinesis, stack.env["ACCESS_STREAM"], app.lambda_handler, window=0.0)


@pytest.fixture
def intake(stack, stream):
    from functions.intake import app

    return Api(app.lambda_handler, stream)


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


class Fanout:
    """Drives real suppression executions in moto: demo downstream systems on loopback, the instruction queue
    pumped into SuppressFunction's handler, callbacks posted to the intake handler."""

    def __init__(self, intake, stack):
        from ccpa_audit.local.demo_systems import DemoDownstream
        from functions.suppress import app as suppress

        self.intake = intake
        self.stack = stack
        self.suppress = suppress.lambda_handler
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.sfn = boto3.client("stepfunctions", region_name="us-east-1")
        self.secrets = {}
        self.callbacks = []
        self.demo = DemoDownstream(self.secrets, callback_delay=0.3, deliver=self._deliver).start()

    def _deliver(self, url, body, headers):
        from urllib.parse import urlsplit

        self.callbacks.append(self.intake("POST", urlsplit(url).path, raw=body, headers=headers))

    def register(self, system_id, behaviour="confirm", applies_to=("opt_out_sale_sharing", "limit_sensitive_pi",
                 "delete"), sla_hours=1.0, backoff=(0,), connector=None):
        secret = f"secret-{system_id}-" + "x" * 32
        self.secrets[system_id] = secret
        connector = connector or {"type": "webhook", "url": f"{self.demo.url}/{behaviour}", "secret": secret}
        body = {"name": system_id.title(), "kind": "ad_platform", "applies_to": list(applies_to),
                "connector": connector, "sla_hours": sla_hours, "retry_backoff_seconds": list(backoff)}
        status, out, _ = self.intake("PUT", f"/systems/{system_id}", body, token="local-admin")
        assert status in (200, 201), out
        return out

    def execution_arn(self, request_id):
        machine = self.stack.env["SUPPRESSION_STATE_MACHINE_ARN"]
        return machine.replace(":stateMachine:", ":execution:") + f":{request_id}"

    def pump(self):
        from ccpa_audit.local.queues import pump_once

        return pump_once(self.sqs, self.stack.env["INSTRUCTION_QUEUE_URL"], self.suppress)

    def settle(self, request_id, timeout=20.0):
        """Pump until the request's execution has ended and nothing is left in the queue."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            handled = self.pump()
            status = self.sfn.describe_execution(executionArn=self.execution_arn(request_id))["status"]
            if status != "RUNNING" and not handled:
                return status
            time.sleep(0.05)
        raise AssertionError(f"execution for {request_id} did not finish")

    def record(self, request_id):
        status, record, _ = self.intake("GET", f"/requests/{request_id}", token="local-analyst")
        assert status == 200, record
        return record

    def close(self):
        # An execution left waiting would keep sending from moto's threads into the next test's queue of the
        # same name: stop every one still running before the mock is torn down.
        machine = self.stack.env["SUPPRESSION_STATE_MACHINE_ARN"]
        for execution in self.sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            # moto cannot stop an execution whose worker has not started yet; that one has sent nothing either.
            with contextlib.suppress(Exception):
                self.sfn.stop_execution(executionArn=execution["executionArn"])
        self.demo.stop()


@pytest.fixture
def fanout(intake, stack, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://privacy.example.com")
    wiring.reset()
    helper = Fanout(intake, stack)
    yield helper
    helper.close()


@pytest.fixture
def exporter(stack, stream):
    """The export function (POST/GET /exports, GET /reports/metrics) behind the same kind of event."""
    from functions.export import app

    return Api(app.lambda_handler, stream)


def alert_listeners(stack, name, event_pattern):
    """An SQS queue subscribed (raw) to the alerts topic and one behind an EventBridge rule with `event_pattern`;
    returns drain("sns" | "bus"), which takes and deletes everything waiting."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    queues = {}
    for side in ("sns", "bus"):
        url = sqs.create_queue(QueueName=f"{name}-{side}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queues[side] = (url, arn)
    boto3.client("sns", region_name="us-east-1").subscribe(
        TopicArn=stack.env["ALERTS_TOPIC_ARN"], Protocol="sqs", Endpoint=queues["sns"][1],
        Attributes={"RawMessageDelivery": "true"})
    events = boto3.client("events", region_name="us-east-1")
    events.put_rule(Name=name, EventPattern=json.dumps(event_pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queues["bus"][1]}])

    def drain(side):
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=queues[side][0], MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            out += [json.loads(m["Body"]) for m in got]
            for m in got:
                sqs.delete_message(QueueUrl=queues[side][0], ReceiptHandle=m["ReceiptHandle"])

    return drain
