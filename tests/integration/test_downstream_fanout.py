"""Real suppression executions in moto: Map over systems, task tokens, retries, timeouts, finalize."""

import time

import pytest

pytestmark = pytest.mark.stepfunctions

OPT_OUT = {"type": "opt_out_sale_sharing", "channel": "web_form", "consumer": {"email": "ana@example.com",
                                                                              "phone": "555-0100"}}


def submit(fanout, body=OPT_OUT):
    status, out, _ = fanout.intake("POST", "/requests", body)
    assert status == 201, out
    return out["request_id"]


def types(record):
    return [event["type"] for event in record["timeline"]]


def downstream(record):
    return {item["system_id"]: item for item in record["downstream"]}


def test_request_is_honored_when_every_system_confirms_at_once_or_by_callback(fanout):
    fanout.register("mail", "confirm")
    fanout.register("ads", "later")
    rid = submit(fanout)

    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)

    assert record["status"] == "honored"
    assert record["clocks"]["honor_by"]["satisfied_at"] is not None and record["clocks"]["honor_by"]["met"]
    systems = downstream(record)
    assert {s["status"] for s in systems.values()} == {"confirmed"}
    assert all(s["instruction_sent_at"] and s["confirmed_at"] for s in systems.values())
    assert types(record)[:2] == ["request_received", "suppression_started"]
    assert types(record).count("instruction_sent") == 2 and types(record).count("confirmation_received") == 2
    assert types(record)[-1] == "request_honored"
    vias = {e["details"]["system_id"]: e["details"]["via"] for e in record["timeline"]
            if e["type"] == "confirmation_received"}
    assert vias == {"mail": "webhook_response", "ads": "callback"}
    # The systems got a signed instruction with only the identifiers they need, and a callback URL.
    assert fanout.demo.refused == 0
    sent = {i["system_id"]: i for i in fanout.demo.received}
    assert sent["mail"]["consumer"] == {"email": "ana@example.com"}
    assert sent["ads"]["callback_url"] == "https://privacy.example.com/callbacks/ads"
    assert sent["ads"]["due"] == record["clocks"]["honor_by"]["due"]
    assert [c[0] for c in fanout.callbacks] == [200]


def test_one_failing_system_leaves_a_partial_result_with_the_others_recorded(fanout):
    fanout.register("mail", "confirm")
    fanout.register("crm", "reject")
    rid = submit(fanout)

    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)

    assert record["status"] == "partially_honored"
    assert record["clocks"]["honor_by"]["satisfied_at"] is None
    systems = downstream(record)
    assert systems["mail"]["status"] == "confirmed" and systems["crm"]["status"] == "failed"
    assert systems["crm"]["last_error"] == "http_400"
    final = record["timeline"][-1]
    assert final["type"] == "request_partially_honored"
    assert {r["system_id"]: r["status"] for r in final["details"]["results"]} == {"mail": "confirmed",
                                                                                 "crm": "failed"}
    failed = [e for e in record["timeline"] if e["type"] == "instruction_failed"]
    assert len(failed) == 1 and failed[0]["details"]["transient"] is False


def test_partial_result_is_flagged_by_the_sweeper_and_closed_by_an_analyst_confirmation(fanout):
    from datetime import UTC, datetime

    from ccpa_audit.local.control import scheduled_event
    from ccpa_audit.local.gateway import LambdaContext
    from functions.deadline_sweeper import app as sweeper

    fanout.register("crm", "reject")
    rid = submit(fanout)
    fanout.settle(rid)

    swept = sweeper.lambda_handler(scheduled_event(datetime.now(UTC), "test"), LambdaContext("sweeper", "t"))
    flagged = [a for a in swept["alerts"] if a["request_id"] == rid]
    assert len(flagged) == 1 and flagged[0]["level"] == "at_risk" and flagged[0]["clock"] == "honor_by"
    assert fanout.record(rid)["timeline"][-1]["details"]["reason"] == "downstream_unconfirmed"
    again = sweeper.lambda_handler(scheduled_event(datetime.now(UTC), "test"), LambdaContext("sweeper", "t"))
    assert not [a for a in again["alerts"] if a["request_id"] == rid]

    status, record, _ = fanout.intake("POST", f"/requests/{rid}/actions", {
        "action": "confirm_system", "system_id": "crm", "evidence": "Ticket CRM-7: flag set by hand"},
        token="local-analyst")
    assert status == 200 and record["status"] == "honored"
    assert types(record)[-2:] == ["confirmation_received", "request_honored"]
    assert record["clocks"]["honor_by"]["satisfied_at"] is not None


def test_a_system_that_never_answers_times_out_after_its_sla(fanout):
    fanout.register("mail", "confirm")
    fanout.register("quiet", "silent", sla_hours=1 / 3600)
    rid = submit(fanout)

    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)

    assert record["status"] == "partially_honored"
    assert downstream(record)["quiet"]["status"] == "timed_out"
    timed_out = [e for e in record["timeline"] if e["type"] == "instruction_timed_out"]
    assert [e["details"]["system_id"] for e in timed_out] == ["quiet"]


def test_an_unavailable_system_is_retried_and_then_confirms(fanout):
    fanout.register("flaky", "flaky", backoff=(0, 0))
    rid = submit(fanout)

    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)

    assert record["status"] == "honored"
    steps = [(e["type"], e["details"].get("attempt")) for e in record["timeline"]
             if e["type"] in ("instruction_sent", "instruction_failed", "confirmation_received")]
    assert steps == [("instruction_sent", 0), ("instruction_failed", 0), ("instruction_sent", 1),
                     ("confirmation_received", None)]
    failed = next(e for e in record["timeline"] if e["type"] == "instruction_failed")
    assert failed["details"]["transient"] is True and failed["details"]["will_retry"] is True
    assert downstream(record)["flaky"]["attempts"] == 2
    ids = [e["details"]["instruction_id"] for e in record["timeline"] if e["type"] == "instruction_sent"]
    assert len(set(ids)) == 2  # each attempt is its own instruction


def test_a_system_still_unavailable_after_its_retries_is_recorded_failed(fanout):
    fanout.register("down", "flaky", backoff=())
    rid = submit(fanout)
    fanout.settle(rid)
    record = fanout.record(rid)
    assert record["status"] == "partially_honored"
    failed = [e for e in record["timeline"] if e["type"] == "instruction_failed"]
    assert len(failed) == 1 and failed[0]["details"]["will_retry"] is False


def test_manual_system_waits_for_the_analyst_then_the_request_is_honored(fanout):
    fanout.register("vendor", connector={"type": "manual", "instructions": "Email the vendor's privacy desk"})
    rid = submit(fanout)
    for _ in range(40):
        fanout.pump()
        if downstream(fanout.record(rid)).get("vendor", {}).get("status") == "instructed":
            break
    record = fanout.record(rid)
    assert record["status"] == "in_progress"
    sent = next(e for e in record["timeline"] if e["type"] == "instruction_sent")
    assert sent["details"]["task"] == "Email the vendor's privacy desk"

    status, record, _ = fanout.intake("POST", f"/requests/{rid}/actions", {
        "action": "confirm_system", "system_id": "vendor", "evidence": {"ticket": "V-1"}}, token="local-analyst")
    assert status == 200
    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)
    assert record["status"] == "honored"
    confirmed = next(e for e in record["timeline"] if e["type"] == "confirmation_received")
    assert confirmed["details"]["via"] == "manual" and confirmed["actor"]["role"] == "analyst"


def test_confirm_system_answers_with_the_state_after_the_confirmation_and_the_last_one_honors(fanout):
    fanout.register("vendor", connector={"type": "manual"})
    fanout.register("broker", connector={"type": "manual"})
    rid = submit(fanout)
    for _ in range(40):
        fanout.pump()
        if {s.get("status") for s in downstream(fanout.record(rid)).values()} == {"instructed"}:
            break
    assert len(downstream(fanout.record(rid))) == 2

    # When the first of two systems is confirmed: the answer shows it confirmed, the request still in progress
    status, first, _ = fanout.intake("POST", f"/requests/{rid}/actions", {
        "action": "confirm_system", "system_id": "vendor", "evidence": "ticket V-1"}, token="local-analyst")
    assert status == 200
    assert first["status"] == "in_progress" and types(first)[-1] == "confirmation_received"
    assert downstream(first)["vendor"]["status"] == "confirmed"
    assert downstream(first)["broker"]["status"] == "instructed"

    # When the last one is confirmed: the answer is already the honored request, not the state before
    status, last, _ = fanout.intake("POST", f"/requests/{rid}/actions", {
        "action": "confirm_system", "system_id": "broker", "evidence": "ticket B-2"}, token="local-analyst")
    assert status == 200
    assert last["status"] == "honored"
    assert types(last)[-2:] == ["confirmation_received", "request_honored"]
    assert last["clocks"]["honor_by"]["satisfied_at"] is not None
    assert last == fanout.record(rid)

    # Then the state machine's own finalize step finds it honored and records nothing twice
    assert fanout.settle(rid) == "SUCCEEDED"
    settled = fanout.record(rid)
    assert settled["status"] == "honored" and types(settled).count("request_honored") == 1
    assert settled["timeline"] == last["timeline"]


def test_confirming_a_system_twice_or_one_not_in_the_request_is_refused(fanout):
    fanout.register("vendor", connector={"type": "manual"})
    rid = submit(fanout)
    for _ in range(40):
        fanout.pump()
        if downstream(fanout.record(rid)).get("vendor", {}).get("status") == "instructed":
            break
    confirm = {"action": "confirm_system", "system_id": "vendor", "evidence": "done"}
    assert fanout.intake("POST", f"/requests/{rid}/actions", confirm, token="local-analyst")[0] == 200
    fanout.settle(rid)
    status, body, _ = fanout.intake("POST", f"/requests/{rid}/actions", confirm, token="local-analyst")
    assert status == 409  # honored opt-out is closed
    status, body, _ = fanout.intake("POST", f"/requests/{submit(fanout)}/actions",
                                    {**confirm, "system_id": "nope"}, token="local-analyst")
    assert status == 404 and body["error"] == "system_not_found"


def test_deletion_fans_out_only_after_identity_is_verified_and_only_to_deletion_systems(fanout):
    fanout.register("warehouse", "confirm", applies_to=("delete",))
    fanout.register("ads", "confirm", applies_to=("opt_out_sale_sharing",))
    rid = submit(fanout, {"type": "delete", "channel": "web_form", "consumer": {"email": "del@example.com"}})
    assert fanout.pump() == 0
    record = fanout.record(rid)
    assert "suppression_started" not in types(record) and record["downstream"] == []

    status, record, _ = fanout.intake("POST", f"/requests/{rid}/actions", {
        "action": "verify", "method": "email_code", "outcome": "verified", "level": "reasonable"},
        token="local-analyst")
    assert status == 200
    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)
    assert set(downstream(record)) == {"warehouse"}
    assert record["status"] == "honored" and types(record)[-1] == "request_honored"
    # A deletion honored downstream still owes the consumer a response.
    assert record["clocks"]["respond_by"]["satisfied_at"] is None
    status, record, _ = fanout.intake("POST", f"/requests/{rid}/actions", {
        "action": "respond", "sent_at": record["timeline"][-1]["recorded_at"], "method": "email",
        "summary": "Deleted"}, token="local-analyst")
    assert status == 200 and record["status"] == "responded"


def test_failed_verification_starts_no_deletion_fan_out(fanout):
    fanout.register("warehouse", "confirm", applies_to=("delete",))
    rid = submit(fanout, {"type": "delete", "channel": "web_form", "consumer": {"email": "del@example.com"}})
    fanout.intake("POST", f"/requests/{rid}/actions", {
        "action": "verify", "method": "email_code", "outcome": "failed", "level": "reasonable"}, token="local-analyst")
    assert fanout.pump() == 0
    assert "suppression_started" not in types(fanout.record(rid))


def test_no_applicable_system_honors_the_request_with_an_empty_result(fanout):
    fanout.register("warehouse", "confirm", applies_to=("delete",))
    rid = submit(fanout)
    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)
    assert record["status"] == "honored" and record["timeline"][-1]["details"]["results"] == []


def test_redelivered_queue_messages_add_no_events(fanout):
    import json

    fanout.register("ads", "silent", sla_hours=1)
    rid = submit(fanout)
    sqs, url = fanout.sqs, fanout.stack.env["INSTRUCTION_QUEUE_URL"]
    message = None
    deadline = time.monotonic() + 10
    while message is None and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=0).get("Messages", [])
        message = got[0] if got else time.sleep(0.05)
    assert message is not None
    from ccpa_audit.local.gateway import LambdaContext
    from ccpa_audit.local.queues import sqs_event

    for _ in range(3):  # SQS at-least-once: the same message three times
        fanout.suppress(sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:q"), LambdaContext("s", "t"))
    record = fanout.record(rid)
    assert types(record).count("instruction_sent") == 1
    assert len([i for i in fanout.demo.received if i["system_id"] == "ads"]) == 3
    assert len({i["instruction_id"] for i in fanout.demo.received}) == 1
    assert json.loads(message["Body"])["action"] == "instruct"


def test_an_injected_failure_callback_with_a_made_up_instruction_leaves_the_opt_out_honored(fanout):
    import json
    from datetime import UTC, datetime

    from ccpa_audit.local.control import scheduled_event
    from ccpa_audit.local.gateway import LambdaContext
    from functions.deadline_sweeper import app as sweeper
    from shared.services import webhook_signing

    def inject(rid, instruction_id):
        body = json.dumps({"instruction_id": instruction_id, "request_id": rid, "status": "failed",
                           "reason": "injected"}).encode()
        headers = {"Ccpa-Signature": webhook_signing.sign(fanout.secrets["ads"], body, datetime.now(UTC))}
        return fanout.intake("POST", "/callbacks/ads", raw=body, headers=headers)

    fanout.register("mail", "confirm")
    fanout.register("ads", "later")
    rid = submit(fanout)
    deadline = time.monotonic() + 10
    while downstream(fanout.record(rid)).get("ads", {}).get("status") != "instructed":
        assert time.monotonic() < deadline, "the instruction to ads was never sent"
        fanout.pump()

    status, out, _ = inject(rid, "0193a1b2-0000-8000-8000-00000000beef")  # while ads's real answer is awaited
    assert status == 404 and out["error"] == "unknown_instruction"
    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)
    assert record["status"] == "honored" and record["clocks"]["honor_by"]["met"]
    assert "instruction_failed" not in types(record) and "request_partially_honored" not in types(record)

    real = next(e["details"]["instruction_id"] for e in record["timeline"]
                if e["type"] == "confirmation_received" and e["details"]["system_id"] == "ads")
    assert inject(rid, real)[1]["error"] == "instruction_not_pending"  # answered already: refused too
    assert inject(rid, "0193a1b2-0000-8000-8000-00000000f00d")[0] == 404
    assert fanout.record(rid)["status"] == "honored"
    swept = sweeper.lambda_handler(scheduled_event(datetime.now(UTC), "test"), LambdaContext("sweeper", "t"))
    assert not [a for a in swept["alerts"] if a["request_id"] == rid]
