import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ccpa_audit.local.gateway import LambdaContext

WEB = {"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": "ana@example.com"}}


def objects(s3, stack):
    bucket = stack.env["EVIDENCE_BUCKET"]
    return [o["Key"] for o in s3.list_object_versions(Bucket=bucket).get("Versions", [])]


def received_objects(s3, stack):
    """The `request_received` objects (chain position 1); an opt-out's fan-out adds its own events after it."""
    return [key for key in objects(s3, stack) if key.endswith("/00000001.json")]


def index_items(ddb, stack):
    return ddb.scan(TableName=stack.env["INDEX_TABLE"])["Items"]  # test-side inspection only


def test_health_is_public_when_called_without_token(intake):
    assert intake("GET", "/health")[:2] == (200, {"status": "ok"})


def test_web_form_opt_out_is_created_with_honor_clock_when_posted(intake):
    status, body, headers = intake("POST", "/requests", WEB)
    assert status == 201
    assert body["status"] == "received" and body["channel"] == "web_form"
    assert body["time_zone"] == "America/Los_Angeles"
    assert set(body["clocks"]) == {"honor_by"}
    clock = body["clocks"]["honor_by"]
    assert clock["satisfied_at"] is None and clock["at_risk"] is False and clock["overdue"] is False
    assert body["received_at"].endswith("Z") and body["recorded_at"] == body["received_at"]
    assert headers["Location"] == f"/requests/{body['request_id']}"


def test_sample_event_file_is_accepted_when_sent_as_api_gateway_would(intake):
    from functions.intake import app

    event = json.loads(Path("tests/events/post_request_web_form.json").read_text())
    result = app.lambda_handler(event, LambdaContext(function_name="intake", aws_request_id="file"))
    assert result["statusCode"] == 201


def test_complete_record_has_timeline_and_7101_fields_when_read_by_analyst(intake):
    created = intake("POST", "/requests", {**WEB, "type": "delete"})[1]
    status, record, _ = intake("GET", f"/requests/{created['request_id']}", token="local-analyst")
    assert status == 200
    assert set(record["clocks"]) == {"acknowledge_by", "respond_by"}
    assert [e["type"] for e in record["timeline"]] == ["request_received"]
    event = record["timeline"][0]
    assert {"event_id", "type", "occurred_at", "recorded_at", "actor", "details"} <= set(event)
    assert event["actor"] == {"type": "consumer"}
    assert record["consumer"] == {"email": "ana@example.com"}
    assert record["downstream"] == []
    seven = record["record_7101"]
    assert seven["request_nature"] == "delete" and seven["request_manner"] == "web_form"
    assert seven["request_date"] and seven["response_date"] is None and seven["denial_basis"] is None


def test_staff_channel_keeps_received_and_recorded_times_when_agent_enters_it(intake):
    received = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    payload = {**WEB, "channel": "toll_free", "received_at": received.isoformat().replace("+00:00", "Z")}
    status, body, _ = intake("POST", "/requests", payload, token="local-agent")
    assert status == 201
    assert body["received_at"] == received.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert body["recorded_at"] > body["received_at"]


def test_authorized_agent_request_records_the_agent_when_entered(intake):
    payload = {**WEB, "type": "know", "channel": "authorized_agent", "agent": {"name": "Privacy Helpers LLC"},
               "details": {"scope": "specific_pieces"}}
    status, body, _ = intake("POST", "/requests", payload, token="local-agent")
    assert status == 201
    record = intake("GET", f"/requests/{body['request_id']}", token="local-auditor")[1]
    assert record["agent"] == {"name": "Privacy Helpers LLC"}
    assert record["timeline"][0]["actor"] == {"type": "staff", "id": "local-agent", "role": "agent"}


# --- auth: 401 / 403, checked before the body -------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "nope", "local-root", "local-"])
def test_reads_are_refused_401_when_token_is_missing_or_bad(intake, token):
    status, body, _ = intake("GET", "/requests", token=token)
    assert status == 401 and body["error"] == "unauthorized" and body["message"]


@pytest.mark.parametrize("token", ["local-agent", "local-service", "local-admin"])
def test_reads_are_refused_403_when_role_is_wrong(intake, token):
    assert intake("GET", "/requests/anything", token=token)[0] == 403


def test_staff_channel_is_refused_401_when_no_token_is_sent(intake):
    assert intake("POST", "/requests", {**WEB, "channel": "email"})[0] == 401


def test_staff_channel_is_refused_403_when_role_is_not_agent(intake):
    assert intake("POST", "/requests", {**WEB, "channel": "email"}, token="local-auditor")[0] == 403


def test_auth_is_checked_before_the_body_when_both_are_bad(intake):
    assert intake("POST", "/requests", {"type": "nope", "channel": "mail"}, token="local-auditor")[0] == 403
    assert intake("GET", "/requests?type=nope", token="local-agent")[0] == 403


# --- 404 / 409 / 413 / 422, and nothing written --------------------------------------------------------

def test_unknown_request_is_404_when_read(intake):
    status, body, _ = intake("GET", "/requests/0190b2a0-0000-7000-8000-000000000000", token="local-analyst")
    assert status == 404 and body["error"] == "request_not_found"


def test_unknown_route_is_404_with_error_shape_when_called(intake):
    status, body, _ = intake("GET", "/nowhere")
    assert status == 404 and set(body) == {"error", "message", "details"}


BAD_BODIES = [
    ({**WEB, "extra": 1}, "extra"),
    ({**WEB, "consumer": {"email": "not-an-email"}}, "consumer.email"),
    ({**WEB, "consumer": {"email": "ana@example.com", "shoe": 9}}, "consumer.shoe"),
    ({**WEB, "type": "sell_my_soul"}, "type"),
    ({**WEB, "channel": "carrier_pigeon"}, "channel"),
    ({**WEB, "consumer": "ana@example.com"}, "consumer"),
    ({**WEB, "received_at": "2026-11-20T10:00:00Z"}, "received_at"),
    ({**WEB, "details": {"scope": "specific_pieces"}}, "details.scope"),
    ({k: v for k, v in WEB.items() if k != "consumer"}, "consumer"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_BODIES)
def test_bad_input_is_422_naming_the_field_and_writes_nothing_when_posted(intake, s3, ddb, stack, payload, field):
    status, body, _ = intake("POST", "/requests", payload)
    assert status == 422
    assert body["error"] == "validation_failed"
    assert field in [d["field"] for d in body["details"]]
    assert field in body["message"]
    assert objects(s3, stack) == [] and index_items(ddb, stack) == []


def test_authorized_agent_without_agent_is_422_when_posted(intake):
    payload = {**WEB, "channel": "authorized_agent"}
    status, body, _ = intake("POST", "/requests", payload, token="local-agent")
    assert status == 422 and body["details"][0]["field"] == "agent"


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b"\"text\""])
def test_non_object_body_is_422_when_posted(intake, raw):
    status, body, _ = intake("POST", "/requests", raw=raw)
    assert status == 422 and body["details"][0]["field"] == "body"


@pytest.mark.parametrize("when", [timedelta(hours=3), -timedelta(days=46)])
def test_staff_receipt_time_is_422_when_in_the_future_or_too_old(intake, s3, stack, when):
    moment = (datetime.now(UTC) + when).isoformat()
    status, body, _ = intake("POST", "/requests", {**WEB, "channel": "mail", "received_at": moment},
                             token="local-agent")
    assert status == 422 and body["details"][0]["field"] == "received_at"
    assert objects(s3, stack) == []


def test_body_over_256_kib_is_413_and_writes_nothing_when_posted(intake, s3, stack):
    payload = {**WEB, "details": {"note": "x" * (300 * 1024)}}
    status, body, _ = intake("POST", "/requests", payload)
    assert status == 413 and body["error"] == "payload_too_large"
    assert objects(s3, stack) == []


def test_same_idempotency_key_and_body_returns_same_request_when_double_submitted(intake, s3, stack):
    first = intake("POST", "/requests", WEB, headers={"Idempotency-Key": "k-42"})
    second = intake("POST", "/requests", WEB, headers={"Idempotency-Key": "k-42"})
    assert first[0] == 201 and second[0] == 200
    assert first[1]["request_id"] == second[1]["request_id"]
    assert first[1]["received_at"] == second[1]["received_at"]
    assert len(received_objects(s3, stack)) == 1


def test_same_idempotency_key_with_other_body_is_409_when_reused(intake, s3, stack):
    intake("POST", "/requests", WEB, headers={"Idempotency-Key": "k-43"})
    status, body, _ = intake("POST", "/requests", {**WEB, "type": "delete"}, headers={"Idempotency-Key": "k-43"})
    assert status == 409 and body["error"] == "idempotency_key_reused"
    assert len(received_objects(s3, stack)) == 1


def test_retry_completes_exactly_once_when_the_index_write_failed_after_the_object_was_stored(
    intake, s3, ddb, stack
):
    from shared import wiring

    def refuse(**kwargs):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "TransactWriteItems")

    client = wiring.aws_client("dynamodb")
    client.meta.events.register("before-call.dynamodb.TransactWriteItems", refuse, unique_id="outage")
    failed = intake("POST", "/requests", WEB, headers={"Idempotency-Key": "crash-1"})
    assert failed[0] == 503
    assert len(objects(s3, stack)) == 1 and index_items(ddb, stack) == []
    client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="outage")

    retried = intake("POST", "/requests", WEB, headers={"Idempotency-Key": "crash-1"})
    assert retried[0] == 200
    assert len(received_objects(s3, stack)) == 1
    record = intake("GET", f"/requests/{retried[1]['request_id']}", token="local-analyst")[1]
    # The retry also starts the fan-out the failed call never reached, once.
    assert [e["type"] for e in record["timeline"]] == ["request_received", "suppression_started"]


# --- storage guarantees --------------------------------------------------------------------------------

def test_event_object_is_compliance_locked_for_730_days_and_cannot_be_deleted_when_stored(intake, s3, stack):
    body = intake("POST", "/requests", WEB)[1]
    bucket = stack.env["EVIDENCE_BUCKET"]
    version = s3.list_object_versions(Bucket=bucket)["Versions"][0]
    head = s3.head_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    received = datetime.fromisoformat(body["received_at"].replace("Z", "+00:00"))
    assert head["ObjectLockRetainUntilDate"] >= received + timedelta(days=730)
    assert head["ServerSideEncryption"] == "aws:kms"
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_stored_object_hash_matches_the_timeline_when_recomputed(intake, s3, stack):
    from shared.ledger.canonical import sha256_hex

    created = intake("POST", "/requests", WEB)[1]
    record = intake("GET", f"/requests/{created['request_id']}", token="local-analyst")[1]
    key = f"events/requests/{created['request_id']}/00000001.json"
    stored = s3.get_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key=key)["Body"].read()
    assert sha256_hex(stored) == record["timeline"][0]["event_hash"]


def test_index_never_holds_raw_identifiers_when_requests_are_stored(intake, ddb, stack):
    intake("POST", "/requests", {**WEB, "consumer": {"email": "Zed.Person@Example.org", "name": "Zed Person",
                                                     "phone": "+1 555 0100"}})
    dump = json.dumps(index_items(ddb, stack)).lower()
    assert "zed" not in dump and "example.org" not in dump and "555 0100" not in dump


def test_request_paths_never_scan_or_change_retention_when_exercised(intake, aws_calls):
    created = intake("POST", "/requests", WEB, headers={"Idempotency-Key": "x"})[1]
    intake("POST", "/requests", WEB, headers={"Idempotency-Key": "x"})
    intake("GET", f"/requests/{created['request_id']}", token="local-analyst")
    for query in ("", "?consumer_email=ana@example.com", "?type=delete", "?status=received",
                  "?from=2026-01-01T00:00:00Z&to=2030-01-01T00:00:00Z"):
        assert intake("GET", f"/requests{query}", token="local-auditor")[0] == 200
    assert "Scan" not in aws_calls.ops("dynamodb")
    assert {"Query", "TransactWriteItems", "GetItem"} <= set(aws_calls.ops("dynamodb"))
    forbidden = {"PutObjectRetention", "DeleteObject", "DeleteObjects", "PutObjectLegalHold"}
    assert not forbidden & set(aws_calls.ops("s3"))


def test_openapi_document_lists_every_served_route_with_its_models_when_fetched(intake):
    status, spec, _ = intake("GET", "/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.1")
    assert {"/health", "/requests", "/requests/{request_id}", "/requests/{request_id}/actions"} <= set(spec["paths"])
    actions = spec["components"]["schemas"]["ActionBody"]
    tags = {ref["$ref"].rsplit("/", 1)[-1] for ref in actions["oneOf"]}
    assert tags == {"AcknowledgeAction", "VerifyAction", "ExtendAction", "DenyAction", "RespondAction",
                    "ConfirmSystemAction"}
    assert set(tags) <= set(spec["components"]["schemas"])


def test_openapi_document_covers_exports_reports_and_the_access_log(intake):
    spec = intake("GET", "/openapi.json")[1]
    assert {"/exports", "/exports/{export_id}", "/reports/metrics", "/access-events"} <= set(spec["paths"])
    assert set(spec["paths"]["/access-events"]) == {"get", "post"}
    assert {"ExportBody", "ExportOut", "AccessEventBatch", "AccessAcceptedOut"} <= set(spec["components"]["schemas"])


def test_a_created_request_is_counted_in_one_compact_emf_line_when_metrics_are_on(intake, capsys, monkeypatch):
    from shared.observability import metrics

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()  # with metrics off, earlier tests' counts were kept, not flushed
    capsys.readouterr()
    assert intake("POST", "/requests", WEB)[0] == 201
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert len(lines) == 1
    blob = json.loads(lines[0])
    assert blob["_aws"]["CloudWatchMetrics"][0] == {"Namespace": "CcpaAudit", "Dimensions": [["service"]],
                                                    "Metrics": [{"Name": "RequestsReceived", "Unit": "Count"}]}
    assert blob["RequestsReceived"] == [1.0] and blob["service"] == "ccpa-audit-test"
    assert lines[0] == json.dumps(blob, separators=(",", ":"))  # as Powertools' json.dumps writes it
