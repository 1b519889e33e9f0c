"""Signed downstream callbacks (401 and a recorded refusal for anything not provably fresh and first-seen) and the
downstream registry (admin writes, analysts read, secrets never returned)."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from shared.services import webhook_signing

SECRET = "s" * 40
WEBHOOK = {"name": "Ad audiences", "kind": "ad_platform", "applies_to": ["opt_out_sale_sharing"],
           "connector": {"type": "webhook", "url": "https://ads.example.com/ccpa", "secret": SECRET},
           "sla_hours": 48}


def refused_events(ddb, stack):
    items = ddb.query(TableName=stack.env["INDEX_TABLE"], IndexName="ByKind",
                      KeyConditionExpression="kind_pk = :k",
                      ExpressionAttributeValues={":k": {"S": "T#callback_refused"}})["Items"]
    return items


def signed(body, secret=SECRET, moment=None):
    data = json.dumps(body).encode()
    return data, {"Ccpa-Signature": webhook_signing.sign(secret, data, moment or datetime.now(UTC))}


@pytest.fixture
def ads(intake):
    assert intake("PUT", "/systems/ads", WEBHOOK, token="local-admin")[0] == 201


@pytest.fixture
def pending(intake, ads):
    """An opt-out whose fan-out recorded an instruction to `ads` (the branch's token is stored)."""
    from shared import wiring
    from shared.models.downstream import InstructionInput, SystemTask
    from shared.services.deliver_instruction import deliver_instruction

    class Quiet:
        def post(self, url, body, headers):
            from shared.models.downstream import WebhookReply

            return WebhookReply(status=202, body=b'{"status": "accepted"}')

    rid = intake("POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                       "consumer": {"email": "cb@example.com"}})[1]["request_id"]
    downstream = wiring.downstream()
    downstream.webhooks = Quiet()
    message = InstructionInput(action="instruct", task_token="token-1", execution_id="exec-1", request_id=rid,
                               request_type="opt_out_sale_sharing", due="2026-12-31", attempt=0,
                               system=SystemTask(system_id="ads", connector="webhook", sla_seconds=60,
                                                 retry_backoff_seconds=[], max_retries=0))
    assert deliver_instruction(wiring.ledger(), downstream, message) == "instructed"
    record = wiring.ledger().index.get_request(rid)
    return rid, record.downstream["ads"].instruction_id


def test_valid_signed_callback_confirms_the_system(intake, pending):
    rid, instruction = pending
    body, headers = signed({"instruction_id": instruction, "request_id": rid, "status": "completed",
                            "evidence": {"audience_removed": True}})
    status, out, _ = intake("POST", "/callbacks/ads", raw=body, headers=headers)
    assert status == 200 and out == {"accepted": True, "request_id": rid, "system_id": "ads", "status": "confirmed"}
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    confirmed = [e for e in record["timeline"] if e["type"] == "confirmation_received"]
    assert len(confirmed) == 1 and confirmed[0]["details"]["evidence"] == {"audience_removed": True}
    assert confirmed[0]["actor"] == {"type": "downstream", "id": "ads"}


@pytest.mark.parametrize("case", ["bad", "stale", "future", "missing", "malformed", "unknown_system"])
def test_callback_is_refused_401_and_recorded_when_not_provably_from_the_system(intake, pending, ddb, stack, case):
    rid, instruction = pending
    payload = {"instruction_id": instruction, "request_id": rid, "status": "completed"}
    body, headers = signed(payload)
    path = "/callbacks/ads"
    if case == "bad":
        headers = signed(payload, secret="t" * 40)[1]
    elif case == "stale":
        headers = signed(payload, moment=datetime.now(UTC) - timedelta(minutes=6))[1]
    elif case == "future":
        headers = signed(payload, moment=datetime.now(UTC) + timedelta(minutes=6))[1]
    elif case == "missing":
        headers = {}
    elif case == "malformed":
        headers = {"Ccpa-Signature": "sha256=abc"}
    else:
        path = "/callbacks/nobody"
    status, out, _ = intake("POST", path, raw=body, headers=headers)
    assert status == 401 and out["error"] == "callback_refused"
    refused = refused_events(ddb, stack)
    assert len(refused) == 1
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert "confirmation_received" not in [e["type"] for e in record["timeline"]]


def test_replayed_callback_is_refused_the_second_time(intake, pending, ddb, stack):
    rid, instruction = pending
    body, headers = signed({"instruction_id": instruction, "request_id": rid, "status": "completed"})
    assert intake("POST", "/callbacks/ads", raw=body, headers=headers)[0] == 200
    status, out, _ = intake("POST", "/callbacks/ads", raw=body, headers=headers)
    assert status == 401 and out["details"][0]["issue"] == "replayed"
    assert len(refused_events(ddb, stack)) == 1


def test_signature_within_the_window_but_a_second_old_is_accepted(intake, pending):
    rid, instruction = pending
    body, headers = signed({"instruction_id": instruction, "request_id": rid, "status": "completed"},
                           moment=datetime.now(UTC) - timedelta(minutes=4))
    assert intake("POST", "/callbacks/ads", raw=body, headers=headers)[0] == 200


def test_signed_failure_callback_records_the_failure(intake, pending):
    rid, instruction = pending
    body, headers = signed({"instruction_id": instruction, "request_id": rid, "status": "failed",
                            "reason": "no such subscriber"})
    assert intake("POST", "/callbacks/ads", raw=body, headers=headers)[0] == 200
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    failed = [e for e in record["timeline"] if e["type"] == "instruction_failed"]
    assert failed[-1]["details"]["detail"] == "no such subscriber"
    assert {d["system_id"]: d["status"] for d in record["downstream"]}["ads"] == "failed"


# --- registry -------------------------------------------------------------------------------------------


def test_registry_round_trip_never_returns_the_secret(intake):
    status, created, headers = intake("PUT", "/systems/ads", WEBHOOK, token="local-admin")
    assert status == 201 and headers["Location"] == "/systems/ads"
    assert created["connector"] == {"type": "webhook", "url": "https://ads.example.com/ccpa", "instructions": None,
                                    "secret_set": True}
    assert SECRET not in json.dumps(created)
    manual = {**WEBHOOK, "name": "Vendor", "kind": "service_provider", "applies_to": ["delete"],
              "connector": {"type": "manual", "instructions": "Open a ticket"}}
    assert intake("PUT", "/systems/vendor", manual, token="local-admin")[0] == 201
    status, listing, _ = intake("GET", "/systems", token="local-analyst")
    assert status == 200 and [s["system_id"] for s in listing["items"]] == ["ads", "vendor"]
    assert SECRET not in json.dumps(listing)
    # Updating without the secret keeps it; the version moves on.
    update = {**WEBHOOK, "sla_hours": 24, "connector": {"type": "webhook", "url": "https://ads.example.com/v2"}}
    status, updated, _ = intake("PUT", "/systems/ads", update, token="local-admin")
    assert status == 200 and updated["version"] == 2 and updated["sla_hours"] == 24
    assert updated["created_at"] == created["created_at"]
    assert intake("DELETE", "/systems/ads", token="local-admin")[0] == 204
    assert intake("GET", "/systems/ads", token="local-analyst")[0] == 404
    assert [s["system_id"] for s in intake("GET", "/systems", token="local-admin")[1]["items"]] == ["vendor"]


def test_registry_changes_are_recorded_as_ledger_events(intake, ddb, stack, s3):
    intake("PUT", "/systems/ads", WEBHOOK, token="local-admin")
    intake("DELETE", "/systems/ads", token="local-admin")
    kinds = {}
    for kind in ("system_registered", "system_removed"):
        kinds[kind] = ddb.query(TableName=stack.env["INDEX_TABLE"], IndexName="ByKind",
                                KeyConditionExpression="kind_pk = :k",
                                ExpressionAttributeValues={":k": {"S": f"T#{kind}"}})["Items"]
    assert len(kinds["system_registered"]) == 1 and len(kinds["system_removed"]) == 1
    key = kinds["system_registered"][0]["s3_key"]["S"]
    body = s3.get_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key=key)["Body"].read()
    assert SECRET.encode() not in body and b'"sla_seconds":172800' in body


@pytest.mark.parametrize("token,method,expected", [
    (None, "PUT", 401), ("local-analyst", "PUT", 403), ("local-agent", "GET", 403), ("local-auditor", "DELETE", 403),
])
def test_registry_roles_are_checked_before_the_body(intake, token, method, expected):
    status, _, _ = intake(method, "/systems/ads", {"junk": True} if method == "PUT" else None, token=token)
    assert status == expected


@pytest.mark.parametrize("change,field", [
    ({"kind": "friend"}, "kind"),
    ({"applies_to": []}, "applies_to"),
    ({"sla_hours": 0}, "sla_hours"),
    ({"connector": {"type": "webhook", "url": "http://ads.example.com/x", "secret": SECRET}}, "connector.webhook.url"),
    ({"connector": {"type": "webhook", "url": "https://ads.example.com/x"}}, "connector.secret"),
    ({"connector": {"type": "webhook", "url": "https://ads.example.com/x", "secret": "short"}},
     "connector.webhook.secret"),
    ({"identifiers": ["ssn"]}, "identifiers[0]"),
])
def test_bad_registry_entries_are_422_naming_the_field_and_nothing_is_stored(intake, change, field):
    status, body, _ = intake("PUT", "/systems/ads", {**WEBHOOK, **change}, token="local-admin")
    assert status == 422 and body["details"][0]["field"] == field, body
    assert intake("GET", "/systems/ads", token="local-admin")[0] == 404


def test_bad_system_id_is_422(intake):
    status, body, _ = intake("PUT", "/systems/Not%20OK", WEBHOOK, token="local-admin")
    assert status == 422 and body["details"][0]["field"] == "system_id"


def test_signature_binds_the_timestamp_and_the_body_when_checked():
    # The signature binds the timestamp: changing either the time or the body breaks it.
    body = b'{"a":1}'
    header = webhook_signing.sign(SECRET, body, datetime.now(UTC))
    parsed = webhook_signing.parse(header)
    assert webhook_signing.matches(SECRET, parsed, body)
    assert not webhook_signing.matches(SECRET, parsed, b'{"a":2}')
    shifted = webhook_signing.parse(header.replace(f"t={parsed.timestamp}", f"t={parsed.timestamp + 1}"))
    assert not webhook_signing.matches(SECRET, shifted, body)
    assert time.time() - parsed.timestamp < 5


# --- callbacks bound to what was sent -------------------------------------------------------------------


def refused_details(ddb, stack, s3):
    out = []
    for item in refused_events(ddb, stack):
        body = s3.get_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key=item["s3_key"]["S"])["Body"].read()
        out.append(json.loads(body)["details"])
    return out


@pytest.mark.parametrize("case", ["made_up_instruction", "other_request", "unknown_request"])
def test_signed_callback_naming_an_instruction_never_sent_is_404_and_changes_nothing(intake, pending, ddb, stack,
                                                                                       s3, case):
    rid, instruction = pending
    other = intake("POST", "/requests", {"type": "opt_out_sale_sharing", "channel": "web_form",
                                         "consumer": {"email": "other@example.com"}})[1]["request_id"]
    target, named = {"made_up_instruction": (rid, "0193a1b2-0000-8000-8000-000000000000"),
                     "other_request": (other, instruction),
                     "unknown_request": ("0193a1b2-0000-7000-8000-000000000000", instruction)}[case]
    body, headers = signed({"instruction_id": named, "request_id": target, "status": "failed",
                            "reason": "injected"})
    status, out, _ = intake("POST", "/callbacks/ads", raw=body, headers=headers)
    assert status == 404 and out["error"] == "unknown_instruction", out
    assert out["details"] == [{"field": "instruction_id", "issue": "unknown_instruction"}]
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert "instruction_failed" not in [e["type"] for e in record["timeline"]]
    assert {d["system_id"]: d["status"] for d in record["downstream"]}["ads"] == "instructed"
    refused = refused_details(ddb, stack, s3)
    assert [(d["reason"], d["instruction_id"], d["request_id"]) for d in refused] == [
        ("unknown_instruction", named, target)]
    # The real instruction is still awaited: its answer is accepted.
    body, headers = signed({"instruction_id": instruction, "request_id": rid, "status": "completed"})
    assert intake("POST", "/callbacks/ads", raw=body, headers=headers)[0] == 200


def test_signed_callback_for_an_answered_instruction_is_409_and_recorded_apart(intake, pending, ddb, stack, s3):
    rid, instruction = pending
    body, headers = signed({"instruction_id": instruction, "request_id": rid, "status": "completed"})
    assert intake("POST", "/callbacks/ads", raw=body, headers=headers)[0] == 200
    before = intake("GET", f"/requests/{rid}", token="local-analyst")[1]["timeline"]

    body, headers = signed({"instruction_id": instruction, "request_id": rid, "status": "failed",
                            "reason": "changed my mind"})
    status, out, _ = intake("POST", "/callbacks/ads", raw=body, headers=headers)

    assert status == 409 and out["error"] == "instruction_not_pending", out
    after = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert [e["event_id"] for e in after["timeline"]] == [e["event_id"] for e in before]
    assert {d["system_id"]: d["status"] for d in after["downstream"]}["ads"] == "confirmed"
    assert [d["reason"] for d in refused_details(ddb, stack, s3)] == ["instruction_not_pending"]
