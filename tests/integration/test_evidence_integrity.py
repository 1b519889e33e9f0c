"""A locked evidence object that is gone or altered: every read that loads bodies answers a named error naming the
event (503 evidence_missing / evidence_altered), an integrity alert goes to SNS and EventBridge with a metric, and
an export that meets one ends `failed` with that error."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from shared import wiring
from tests.integration.conftest import alert_listeners



@pytest.fixture
def listeners(stack):
    """Queues behind the alerts topic and behind an EventBridge rule for ccpa.integrity.*."""
    pattern = {"source": ["ccpa-audit"], "detail-type": [{"prefix": "ccpa.integrity."}]}
    return alert_listeners(stack, "integrity", pattern)


@pytest.fixture
def counted(monkeypatch):
    from shared.observability import metrics

    names = []
    original = metrics.add_metric

    def spy(*args, **kwargs):
        names.append(kwargs.get("name") or args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(metrics, "add_metric", spy)
    return names


def create(intake):
    status, body, _ = intake("POST", "/requests", {"type": "delete", "channel": "web_form",
                                                   "consumer": {"email": "ana@example.com"}})
    assert status == 201, body
    rid = body["request_id"]
    status, body, _ = intake("POST", f"/requests/{rid}/actions", {
        "action": "acknowledge", "sent_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "method": "email"}, token="local-analyst")
    assert status == 200, body
    return rid, wiring.ledger().index.request_events(rid)


def remove(stack, event):
    """What only someone with power over the bucket can do: shorten the lock (moto allows it), then delete."""
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = stack.env["EVIDENCE_BUCKET"]
    s3.put_object_retention(Bucket=bucket, Key=event.s3_key, VersionId=event.s3_version_id,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": datetime.now(UTC) - timedelta(days=1)})
    s3.delete_object(Bucket=bucket, Key=event.s3_key, VersionId=event.s3_version_id, BypassGovernanceRetention=True)


def alter(stack, event):
    """The index points at other bytes than the ones it hashed (a second version written beside the locked one)."""
    s3 = boto3.client("s3", region_name="us-east-1")
    body = s3.get_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key=event.s3_key,
                         VersionId=event.s3_version_id)["Body"].read()
    forged = body.replace(b'"method":"email"', b'"method":"phone"')
    assert forged != body
    version = s3.put_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key=event.s3_key, Body=forged)["VersionId"]
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.update_item(TableName=stack.env["INDEX_TABLE"], Key={"pk": {"S": f"REQ#{event.request_id}"},
                                                             "sk": {"S": f"E#{event.seq:08d}"}},
                    UpdateExpression="SET s3_version_id = :v", ExpressionAttributeValues={":v": {"S": version}})


@pytest.mark.parametrize(("damage", "code"), [(remove, "evidence_missing"), (alter, "evidence_altered")])
def test_reading_a_request_with_damaged_evidence_names_the_event_alerts_and_counts(intake, stack, listeners, counted,
                                                                                  damage, code):
    rid, events = create(intake)
    damaged = events[1]
    damage(stack, damaged)

    status, body, _ = intake("GET", f"/requests/{rid}", token="local-analyst")

    assert status == 503 and body["error"] == code, body
    assert damaged.event_id in body["message"]
    assert body["details"][0]["event_id"] == damaged.event_id and body["details"][0]["request_id"] == rid
    sent = listeners("sns")
    assert [(m["kind"], m["event_id"], m["request_id"]) for m in sent] == [(code, damaged.event_id, rid)]
    bus = listeners("bus")
    assert [(e["detail-type"], e["detail"]["event_id"]) for e in bus] == [(f"ccpa.integrity.{code}",
                                                                           damaged.event_id)]
    assert "ana@example.com" not in json.dumps(sent + bus)
    assert "EvidenceIntegrityFailures" in counted


def test_an_export_meeting_missing_evidence_ends_failed_with_that_error(intake, exporter, stack, listeners):
    rid, events = create(intake)
    remove(stack, events[0])

    status, body, _ = exporter("POST", "/exports", {"request_id": rid}, token="local-auditor")

    assert status == 503 and body["error"] == "evidence_missing", body
    export_id = next(d["export_id"] for d in body["details"] if "export_id" in d)
    status, job, _ = exporter("GET", f"/exports/{export_id}", token="local-auditor")
    assert status == 200 and job["status"] == "failed" and job["url"] is None
    assert job["error"].startswith("evidence_missing: ") and events[0].event_id in job["error"]
    assert [m["kind"] for m in listeners("sns")] == ["evidence_missing"]


def test_a_queued_export_meeting_altered_evidence_fails_on_its_first_delivery(intake, exporter, stack, monkeypatch):
    from ccpa_audit.local.queues import pump_once
    from functions.export import app

    rid, events = create(intake)
    create(intake)
    monkeypatch.setenv("EXPORT_SYNC_MAX_EVENTS", "1")
    wiring.reset()
    alter(stack, events[1])
    status, out, _ = exporter("POST", "/exports", {"action_type": "delete"}, token="local-auditor")
    assert status == 202 and out["status"] == "building"

    assert pump_once(boto3.client("sqs", region_name="us-east-1"), stack.env["EXPORT_QUEUE_URL"], app.lambda_handler,
                     batch=1) == 1

    status, job, _ = exporter("GET", f"/exports/{out['export_id']}", token="local-auditor")
    assert job["status"] == "failed" and job["error"].startswith("evidence_altered: ")
    assert events[1].event_id in job["error"]


def test_the_access_log_and_the_fan_out_refuse_damaged_bodies_by_name(intake, stack):
    from shared.errors import EvidenceMissingError
    from shared.models.downstream import InstructionInput, SystemTask
    from shared.services.deliver_instruction import deliver_instruction

    status, body, _ = intake("GET", "/access-events", token="local-auditor")  # records an audit_read of the log
    read = wiring.exports().scopes.events(event_type="audit_read")[0]
    remove(stack, read)
    status, body, _ = intake("GET", "/access-events", token="local-auditor")
    assert status == 503 and body["error"] == "evidence_missing" and read.event_id in body["message"]

    rid = intake("POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                       "consumer": {"email": "ana@example.com"}})[1]["request_id"]
    intake("PUT", "/systems/ads", {"name": "Ads", "kind": "ad_platform", "applies_to": ["opt_out_sale_sharing"],
                                   "connector": {"type": "webhook", "url": "https://ads.example.com/ccpa",
                                                 "secret": "s" * 40}, "sla_hours": 48}, token="local-admin")
    remove(stack, wiring.ledger().index.request_events(rid)[0])
    message = InstructionInput(action="instruct", task_token="token-1", execution_id="exec-1", request_id=rid,
                               request_type="opt_out_sale_sharing", due="2026-12-31", attempt=0,
                               system=SystemTask(system_id="ads", connector="webhook", sla_seconds=60,
                                                 retry_backoff_seconds=[], max_retries=0))
    with pytest.raises(EvidenceMissingError):  # nothing is sent to the system on the strength of a missing intake
        deliver_instruction(wiring.ledger(), wiring.downstream(), message)
