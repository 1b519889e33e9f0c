"""Global Privacy Control: only `Sec-GPC: 1` counts; one opt-out request per identity, with the form's fan-out."""

import pytest

pytestmark = pytest.mark.stepfunctions


def signal(intake, device, email=None, header="1"):
    body = {"device_id": device, **({"consumer": {"email": email}} if email else {})}
    headers = {"Sec-GPC": header} if header is not None else {}
    return intake("POST", "/gpc", body, headers=headers)


def evidence_keys(s3, stack):
    return [o["Key"] for o in s3.list_object_versions(Bucket=stack.env["EVIDENCE_BUCKET"]).get("Versions", [])
            if o["Key"].startswith("events/requests/")]


def test_signal_1_opens_a_gpc_opt_out_that_fans_out_like_a_form_and_is_shown_honored(fanout):
    fanout.register("ads", "confirm", applies_to=("opt_out_sale_sharing",))
    status, out, _ = signal(fanout.intake, "dev-1")
    assert status == 200 and out["gpc"] is True and out["status"] in ("received", "in_progress")
    rid = out["request_id"]
    status, shown, _ = fanout.intake("GET", "/gpc/status?device_id=dev-1")
    assert status == 200 and shown["opted_out"] is True and shown["honored"] is False

    assert fanout.settle(rid) == "SUCCEEDED"
    record = fanout.record(rid)
    assert record["type"] == "opt_out_sale_sharing" and record["channel"] == "gpc"
    assert record["status"] == "honored" and set(record["clocks"]) == {"honor_by"}
    assert {d["system_id"] for d in record["downstream"]} == {"ads"}
    assert fanout.demo.received[0]["consumer"] == {}  # no email given, and this system needs only emails
    shown = fanout.intake("GET", "/gpc/status?device_id=dev-1")[1]
    assert shown == {"device_id": "dev-1", "opted_out": True, "request_id": rid, "status": "honored",
                     "honored": True, "display": "Opt-Out Request Honored"}


@pytest.mark.parametrize("header", ["0", "true", None, " 1", "1, 1"])
def test_anything_but_exactly_1_is_no_signal_and_stores_nothing(fanout, s3, stack, header):
    status, out, _ = signal(fanout.intake, "dev-2", "x@example.com", header=header)
    assert status == 200 and out == {"gpc": False}
    assert evidence_keys(s3, stack) == []
    assert fanout.intake("GET", "/gpc/status?device_id=dev-2")[1]["opted_out"] is False


def test_repeated_signal_adds_no_request_and_no_event(fanout, s3, stack):
    first = signal(fanout.intake, "dev-3")[1]
    fanout.settle(first["request_id"])
    before = evidence_keys(s3, stack)
    again = signal(fanout.intake, "dev-3")[1]
    assert again["request_id"] == first["request_id"] and again["gpc"] is True
    assert evidence_keys(s3, stack) == before


def test_known_consumer_is_opted_out_across_devices_and_found_by_email(fanout):
    first = signal(fanout.intake, "laptop", "kim@example.com")[1]
    second = signal(fanout.intake, "phone", "kim@example.com")[1]
    assert second["request_id"] == first["request_id"]  # one request for the consumer, now covering both devices
    assert fanout.intake("GET", "/gpc/status?device_id=phone")[1]["opted_out"] is True
    found = fanout.intake("GET", "/requests?consumer_email=kim@example.com", token="local-analyst")[1]["items"]
    assert [item["request_id"] for item in found] == [first["request_id"]]
    record = fanout.record(first["request_id"])
    linked = [e for e in record["timeline"] if e["type"] == "gpc_signal_received"]
    assert len(linked) == 1 and linked[0]["details"]["linked"] == "device"


def test_a_device_later_linked_to_a_consumer_records_the_link_once(fanout):
    rid = signal(fanout.intake, "tablet")[1]["request_id"]
    assert signal(fanout.intake, "tablet", "lee@example.com")[1]["request_id"] == rid
    assert signal(fanout.intake, "tablet", "lee@example.com")[1]["request_id"] == rid
    record = fanout.record(rid)
    assert [e["details"]["linked"] for e in record["timeline"] if e["type"] == "gpc_signal_received"] == ["consumer"]


def test_missing_signal_later_never_opts_a_known_consumer_back_in(fanout):
    rid = signal(fanout.intake, "dev-4", "pat@example.com")[1]["request_id"]
    fanout.settle(rid)
    assert signal(fanout.intake, "dev-4", "pat@example.com", header=None)[1] == {"gpc": False}
    assert signal(fanout.intake, "dev-4", "pat@example.com", header="0")[1] == {"gpc": False}
    shown = fanout.intake("GET", "/gpc/status?device_id=dev-4")[1]
    assert shown["opted_out"] is True and shown["request_id"] == rid
    assert fanout.record(rid)["status"] == "honored"


def test_signal_wins_over_an_earlier_page_load_without_it(fanout):
    assert signal(fanout.intake, "dev-5", header="0")[1] == {"gpc": False}
    assert signal(fanout.intake, "dev-5")[1]["gpc"] is True
    assert fanout.intake("GET", "/gpc/status?device_id=dev-5")[1]["opted_out"] is True


def test_bad_gpc_bodies_and_queries_are_422(fanout):
    assert fanout.intake("POST", "/gpc", {"consumer": {}}, headers={"Sec-GPC": "1"})[0] == 422
    status, body, _ = fanout.intake("POST", "/gpc", {"device_id": "d", "consumer": {"email": "nope"}},
                                    headers={"Sec-GPC": "1"})
    assert status == 422 and body["details"][0]["field"] == "consumer.email"
    assert fanout.intake("GET", "/gpc/status")[0] == 422


def test_well_known_gpc_json_is_public(intake):
    status, body, _ = intake("GET", "/.well-known/gpc.json")
    assert status == 200 and body["gpc"] is True and len(body["lastUpdate"]) == 10
