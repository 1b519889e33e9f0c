from datetime import UTC, date, datetime, timedelta

import pytest

WEB = {"channel": "web_form", "consumer": {"email": "ana@example.com"}}


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now():
    return datetime.now(UTC)


def create(intake, kind, days_ago=0, **extra):
    if days_ago:
        payload = {**WEB, "type": kind, "channel": "email", "received_at": iso(now() - timedelta(days=days_ago)),
                   **extra}
        status, body, _ = intake("POST", "/requests", payload, token="local-agent")
    else:
        status, body, _ = intake("POST", "/requests", {**WEB, "type": kind, **extra})
    assert status == 201
    return body["request_id"]


def act(intake, request_id, token="local-analyst", **action):
    return intake("POST", f"/requests/{request_id}/actions", action, token=token)


def ack(intake, rid, **kw):
    return act(intake, rid, action="acknowledge", sent_at=iso(now()), method="email", **kw)


def respond(intake, rid, **kw):
    return act(intake, rid, action="respond", sent_at=iso(now()), method="email", summary="Deleted.", **kw)


def test_acknowledge_satisfies_acknowledge_by_and_records_who_and_when(intake):
    rid = create(intake, "delete", days_ago=1)
    sent = now() - timedelta(minutes=5)
    status, record, _ = act(intake, rid, token="local-agent", action="acknowledge", sent_at=iso(sent), method="email")
    assert status == 200 and record["status"] == "acknowledged"
    clock = record["clocks"]["acknowledge_by"]
    assert clock["satisfied_at"] == iso(sent) and clock["met"] is True and clock["at_risk"] is False
    assert record["clocks"]["respond_by"]["satisfied_at"] is None
    event = record["timeline"][-1]
    assert event["type"] == "request_acknowledged"
    assert event["occurred_at"] == iso(sent) and event["recorded_at"] > event["occurred_at"]
    assert event["actor"] == {"type": "staff", "id": "local-agent", "role": "agent"}
    assert event["details"] == {"sent_at": iso(sent), "method": "email"}
    assert event["prev_event_hash"] == record["timeline"][0]["event_hash"]


def test_response_satisfies_respond_by_and_an_open_acknowledge_by_when_sent_first(intake):
    rid = create(intake, "know")
    status, record, _ = respond(intake, rid)
    assert status == 200 and record["status"] == "responded"
    assert all(c["satisfied_at"] and c["met"] for c in record["clocks"].values())
    seven = record["record_7101"]
    assert seven["response_date"] and seven["response_nature"] == "complied" and seven["denial_basis"] is None


def test_denial_satisfies_open_clocks_and_records_its_basis_when_denied(intake):
    rid = create(intake, "correct")
    status, record, _ = act(intake, rid, action="deny", basis="exemption", exemption="Civ. 1798.145(a)(1)",
                            explanation="Needed to comply with a legal obligation.", sent_at=iso(now()))
    assert status == 200 and record["status"] == "denied"
    assert all(c["satisfied_at"] for c in record["clocks"].values())
    assert record["record_7101"]["denial_basis"] == "exemption: Civ. 1798.145(a)(1)"
    assert record["record_7101"]["response_nature"] == "denied"


def test_unverifiable_deletion_is_denied_with_an_opt_out_offer_when_the_business_sells(intake):
    rid = create(intake, "delete")
    assert act(intake, rid, action="verify", method="email_code", outcome="failed", level="reasonable")[0] == 200
    refused = act(intake, rid, action="deny", basis="unverifiable", explanation="Could not verify.",
                  sent_at=iso(now()), opt_out_offered=False)
    assert refused[0] == 409 and refused[1]["error"] == "opt_out_offer_required"
    status, record, _ = act(intake, rid, action="deny", basis="unverifiable", explanation="Could not verify.",
                            sent_at=iso(now()))
    assert status == 200
    assert record["timeline"][-1]["details"]["opt_out_offered"] is True
    assert [e["type"] for e in record["timeline"]] == ["request_received", "identity_verification_failed",
                                                       "request_denied"]


def test_unverifiable_specific_pieces_request_is_downgraded_to_categories_when_verification_fails(intake):
    rid = create(intake, "know", details={"scope": "specific_pieces"})
    status, record, _ = act(intake, rid, action="verify", method="kba", outcome="failed", level="reasonably_high")
    assert status == 200
    assert record["timeline"][-1]["details"]["downgraded_to"] == "categories"
    final = respond(intake, rid)[1]
    assert final["timeline"][-1]["details"]["scope"] == "categories"


def test_verified_deletion_emits_the_event_that_starts_the_fan_out_when_verified(intake):
    rid = create(intake, "delete")
    status, record, _ = act(intake, rid, action="verify", method="email_code", outcome="verified", level="reasonable")
    assert status == 200 and record["status"] == "in_progress"
    types = [event["type"] for event in record["timeline"]]
    assert types[:3] == ["request_received", "identity_verified", "suppression_started"]
    assert record["timeline"][1]["details"]["starts_deletion"] is True


@pytest.mark.parametrize("kind", ["opt_out_sale_sharing", "limit_sensitive_pi"])
def test_verification_is_refused_409_when_the_request_is_an_opt_out_or_limit(intake, kind):
    rid = create(intake, kind)
    before = intake("GET", f"/requests/{rid}", token="local-analyst")[1]["timeline"]
    status, body, _ = act(intake, rid, action="verify", method="id", outcome="verified", level="reasonable")
    assert status == 409 and body["error"] == "verification_not_allowed"
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert record["timeline"] == before
    assert "identity_verified" not in [e["type"] for e in record["timeline"]]


def test_extension_moves_respond_by_to_the_90th_day_when_allowed(intake):
    rid = create(intake, "delete", days_ago=20)
    before = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    status, record, _ = act(intake, rid, action="extend", reason="Data spread over many archives.",
                            notice_sent_at=iso(now()))
    assert status == 200
    original = date.fromisoformat(before["clocks"]["respond_by"]["due"])
    extended = record["clocks"]["respond_by"]
    assert date.fromisoformat(extended["due"]) == original + timedelta(days=45) and extended["extended"] is True
    details = record["timeline"][-1]["details"]
    assert details["original_due"] == original.isoformat() and details["new_due"] == extended["due"]


def test_second_extension_is_refused_409_when_already_extended(intake):
    rid = create(intake, "know")
    assert act(intake, rid, action="extend", reason="Volume.", notice_sent_at=iso(now()))[0] == 200
    status, body, _ = act(intake, rid, action="extend", reason="Again.", notice_sent_at=iso(now()))
    assert status == 409 and body["error"] == "extension_not_allowed"


def test_extension_is_refused_409_when_the_original_respond_by_has_passed(intake, clock):
    rid = create(intake, "delete", days_ago=30)
    clock.offset = timedelta(days=16)  # receipt day + 46: the 45-day period is over
    status, body, _ = act(intake, rid, action="extend", reason="Late.", notice_sent_at=iso(clock()))
    assert status == 409 and body["error"] == "extension_not_allowed"
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert record["clocks"]["respond_by"]["overdue"] is True and record["clocks"]["respond_by"]["met"] is False


def test_extension_is_refused_409_when_the_notice_went_out_after_the_45th_day(intake, clock):
    rid = create(intake, "know", days_ago=30)
    late_notice = clock() + timedelta(days=20)
    clock.offset = timedelta(days=21)
    status, body, _ = act(intake, rid, action="extend", reason="Late.", notice_sent_at=iso(late_notice))
    assert status == 409 and body["error"] == "extension_not_allowed"


def test_late_response_marks_respond_by_missed_when_sent_after_the_due_day(intake, clock):
    rid = create(intake, "delete", days_ago=40)
    clock.offset = timedelta(days=10)
    record = act(intake, rid, action="respond", sent_at=iso(clock()), method="email", summary="Done late.")[1]
    assert record["clocks"]["respond_by"]["met"] is False and record["clocks"]["acknowledge_by"]["met"] is False


def test_extension_is_refused_409_when_the_request_is_an_opt_out(intake):
    rid = create(intake, "opt_out_sale_sharing")
    status, body, _ = act(intake, rid, action="extend", reason="No.", notice_sent_at=iso(now()))
    assert status == 409 and body["error"] == "extension_not_allowed"


@pytest.mark.parametrize("action", [
    {"action": "acknowledge", "method": "email"},
    {"action": "respond", "method": "email", "summary": "Again."},
    {"action": "verify", "method": "x", "outcome": "verified", "level": "reasonable"},
    {"action": "extend", "reason": "Late."},
])
def test_any_action_is_refused_409_when_the_request_is_closed(intake, action):
    rid = create(intake, "delete")
    assert respond(intake, rid)[0] == 200
    body = {**action}
    body.setdefault("sent_at", iso(now())) if action["action"] in ("acknowledge", "respond") else None
    if action["action"] == "extend":
        body["notice_sent_at"] = iso(now())
    status, error, _ = act(intake, rid, **body)
    assert status == 409 and error["error"] == "request_closed"


def test_second_acknowledgement_and_opt_out_acknowledgement_are_refused_409(intake):
    rid = create(intake, "delete")
    assert ack(intake, rid)[0] == 200
    assert ack(intake, rid)[1]["error"] == "already_acknowledged"
    optout = create(intake, "opt_out_sale_sharing")
    assert ack(intake, optout)[1]["error"] == "acknowledgement_not_applicable"
    assert respond(intake, optout)[1]["error"] == "response_not_applicable"


@pytest.mark.parametrize(("action", "field"), [
    ({"action": "dance"}, "action"),
    ({}, "action"),
    ({"action": "acknowledge", "method": "email"}, "sent_at"),
    ({"action": "verify", "method": "x", "outcome": "maybe", "level": "reasonable"}, "outcome"),
    ({"action": "deny", "basis": "exemption", "explanation": "x", "sent_at": "2026-11-20T00:00:00Z"}, "exemption"),
    ({"action": "deny", "basis": "because", "explanation": "x", "sent_at": "2026-11-20T00:00:00Z"}, "basis"),
    ({"action": "acknowledge", "method": "email", "sent_at": "2099-01-01T00:00:00Z"}, "sent_at"),
    ({"action": "acknowledge", "method": "email", "sent_at": "2020-01-01T00:00:00Z"}, "sent_at"),
    ({"action": "acknowledge", "method": "email", "sent_at": "2026-11-20T00:00:00Z", "x": 1}, "x"),
])
def test_bad_actions_are_422_naming_the_field_and_write_nothing(intake, action, field):
    rid = create(intake, "delete")
    status, body, _ = act(intake, rid, **action)
    assert status == 422 and field in [d["field"] for d in body["details"]]
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert len(record["timeline"]) == 1


def test_actions_need_agent_or_analyst_and_a_known_request(intake):
    rid = create(intake, "delete")
    body = {"action": "acknowledge", "sent_at": iso(now()), "method": "email"}
    assert intake("POST", f"/requests/{rid}/actions", body)[0] == 401
    assert intake("POST", f"/requests/{rid}/actions", body, token="local-auditor")[0] == 403
    assert intake("POST", "/requests/nope/actions", body, token="local-analyst")[0] == 404
    status, error, _ = act(intake, rid, action="confirm_system", system_id="crm", evidence="ticket 42")
    assert status == 404 and error["error"] == "system_not_found"
