"""The personal-data access log through the intake handler against moto: batches all or nothing, idempotent per
producer id, stored like every event, searchable by consumer, actor, action, service and date (Queries only),
exported with the consumer, and every read of the log recorded in the log."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.ledger.parquet_batches import decode_batch
from shared.models.access_batch import PREFIX
from tests.integration.test_ledger_seal import seal

CLOUDTRAIL = Path(__file__).parent.parent / "events" / "cloudtrail"


def item(number=0, **overrides):
    base = {
        "event_id": f"crm-{number}",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat().replace("+00:00", "Z"),
        "actor": {"id": "agent-7@acme.example", "type": "user", "role": "support"},
        "action": "read",
        "source": {"service": "crm", "ip": "203.0.113.9"},
        "consumer": {"email": "ana@example.com"},
        "data_categories": ["identifiers", "customer_records"],
        "purpose": "customer support ticket 88",
        "resource": "crm/contacts/ana",
    }
    base.update(overrides)
    return base


def post(intake, events, token="local-service"):
    return intake("POST", "/access-events", {"events": events}, token=token)


def search(intake, query, token="local-auditor"):
    status, page, _ = intake("GET", f"/access-events?{query}", token=token)
    assert status == 200, page
    return page["items"]


def data_access_events():
    from shared import wiring

    return wiring.scope_index().events(event_type="data_access")


def batch_objects(s3, bucket):
    versions = s3.list_object_versions(Bucket=bucket, Prefix=PREFIX).get("Versions", [])
    return [(v["Key"], v["VersionId"]) for v in versions]


def rows_of(s3, bucket, key, version):
    return decode_batch(s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read())


def stored_rows(stream, s3, bucket):
    """Every event row of every batch object, once the stream's pending records are delivered."""
    stream.drain()
    return [row for key, version in batch_objects(s3, bucket) for row in rows_of(s3, bucket, key, version)]


def test_a_batch_is_accepted_stored_locked_and_indexed_without_identifiers(intake, stream, s3, ddb, stack):
    bucket = stack.env["EVIDENCE_BUCKET"]
    status, out, _ = post(intake, [item(0), item(1, action="update"), item(2, consumer={"id": "C-77"})])

    assert status == 202, out
    assert out["accepted"] == 3 and len(set(out["event_ids"])) == 3
    rows = {row.event_id: row for row in stored_rows(stream, s3, bucket)}
    assert set(rows) == set(out["event_ids"])
    objects = batch_objects(s3, bucket)  # an object per shard the batch's records went to, no per-event object
    assert 1 <= len(objects) < 3 and data_access_events() == []
    for key, version in objects:
        assert s3.head_object(Bucket=bucket, Key=key, VersionId=version)["ObjectLockMode"] == "COMPLIANCE"
    body = json.loads(rows[out["event_ids"][0]].envelope)
    details = body["details"]
    assert body["type"] == "data_access" and body["record_type"] == "access_event"
    assert body["actor"] == {"type": "service", "id": "local-service", "role": "service"}  # the producer
    assert details["class_uid"] == 6003 and details["activity_name"] == "Read"
    assert details["actor"]["user"]["uid"] == "agent-7@acme.example"
    assert details["unmapped"]["consumer"] == {"email": "ana@example.com"}
    assert details["unmapped"]["producer_event_id"] == "crm-0"
    assert body["occurred_at"] < body["recorded_at"]
    # Identifiers live only in the locked envelope: the search columns hold tags, and the index holds none.
    columns = json.dumps([{k: str(v) for k, v in vars(row).items() if k != "envelope"} for row in rows.values()])
    index_dump = json.dumps(ddb.scan(TableName=stack.env["INDEX_TABLE"])["Items"])  # the test may scan
    for text in (columns, index_dump):
        assert "ana@example.com" not in text and "agent-7@acme.example" not in text and "C-77" not in text


def test_one_bad_item_refuses_the_whole_batch_naming_its_index_and_nothing_is_stored(intake):
    bad_cases = [
        (item(1, action="peek"), "events[1].action"),
        (item(1, actor={"id": "x", "type": "robot"}), "events[1].actor.type"),
        (item(1, source={"service": "crm", "ip": "999.1.1.1"}), "events[1].source.ip"),
        (item(1, consumer={}), "events[1].consumer"),
        (item(1, data_categories=["identifiers", ""]), "events[1].data_categories"),
        (item(1, occurred_at="2026-13-01T00:00:00Z"), "events[1].occurred_at"),
        ({k: v for k, v in item(1).items() if k != "purpose"}, "events[1].purpose"),
        (item(1, extra="x"), "events[1].extra"),
    ]
    for bad, field in bad_cases:
        status, out, _ = post(intake, [item(0), bad, item(2)])
        assert status == 422, (field, out)
        assert any(detail["field"].startswith(field) for detail in out["details"]), (field, out)
        assert "1" in out["message"]
    for events in ([], [item(n) for n in range(501)]):
        status, out, _ = post(intake, events)
        assert status == 422 and out["details"][0]["field"] == "events", out
    assert data_access_events() == []


def test_a_key_given_twice_refuses_the_batch_as_any_body_would_and_nothing_is_stored(intake):
    # A valid batch but for one repeated key: read straight from its bytes it would validate (the parser keeps one
    # value), so the key count must send it to the I-JSON check, which names the key.
    good = json.dumps({"events": [item(0), item(1)]})
    for raw, field in ((good.replace('"action": "read"', '"action": "read", "action": "read"', 1), "events[0].action"),
                       (good.replace('"type": "user"', '"type": "user",  "type" : "user"', 2), "events[1].actor.type")):
        status, out, _ = intake("POST", "/access-events", raw=raw.encode(), token="local-service")
        assert (status, out["details"]) == (422, [{"field": field, "issue": "appears twice in one object"}]), out
    assert data_access_events() == []


def test_text_that_looks_like_keys_is_stored_as_sent(intake, stream, s3, stack):
    odd = item(0, purpose=" : support", resource=":", event_id="a:b")
    status, out, _ = intake("POST", "/access-events", raw=json.dumps({"events": [odd]}, indent=1).encode(),
                            token="local-service")
    assert status == 202, out
    [row] = stored_rows(stream, s3, stack.env["EVIDENCE_BUCKET"])
    assert json.loads(row.envelope)["details"]["unmapped"]["purpose"] == ": support"


def test_a_retried_batch_stores_nothing_twice(intake, stream, s3, stack):
    batch = [item(0), item(1), item(0)]  # the same producer id twice in one batch, too
    status, first, _ = post(intake, batch)
    status_again, again, _ = post(intake, batch)

    assert (status, status_again) == (202, 202)
    assert first["event_ids"] == again["event_ids"] and first["event_ids"][0] == first["event_ids"][2]
    stored = stored_rows(stream, s3, stack.env["EVIDENCE_BUCKET"])
    assert {row.event_id for row in stored} == set(first["event_ids"])  # copies may be stored; readers skip them
    assert seal()["sealed"] == 2  # one leaf each
    assert len(search(intake, "service=crm")) == 2
    other_service = post(intake, [item(0, source={"service": "billing"})])[1]
    assert other_service["event_ids"][0] not in first["event_ids"]  # ids are scoped by source service


def test_only_the_service_role_posts_access_events(intake):
    assert post(intake, [item()], token=None)[0] == 401
    for role in ("analyst", "auditor", "agent", "admin"):
        assert intake("POST", "/access-events", None, token=f"local-{role}", raw=b"not json")[0] == 403
    assert intake("GET", "/access-events", token="local-service")[0] == 403


def test_the_log_is_searched_by_consumer_actor_action_service_and_date(intake, aws_calls, clock):
    clock.offset = -timedelta(days=40)
    post(intake, [item(9, occurred_at=(clock() - timedelta(minutes=1)).isoformat())])
    clock.offset = timedelta()
    post(intake, [item(0), item(1, action="delete", actor={"id": "batch-job", "type": "service"},
                               source={"service": "warehouse"}, consumer={"email": "bo@example.com"})])

    def producer_ids(items):
        return sorted(i["producer_event_id"] for i in items if i["type"] == "data_access")

    assert producer_ids(search(intake, "consumer_email=ana@example.com")) == ["crm-0", "crm-9"]
    assert producer_ids(search(intake, "actor_id=batch-job")) == ["crm-1"]
    assert producer_ids(search(intake, "action=delete")) == ["crm-1"]
    assert producer_ids(search(intake, "service=crm")) == ["crm-0", "crm-9"]
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert producer_ids(search(intake, f"from={since}&action=read&service=crm")) == ["crm-0"]
    found = search(intake, "consumer_email=bo@example.com&action=delete")
    assert found[0]["actor"] == {"id": "batch-job", "type": "service"} and found[0]["service"] == "warehouse"
    assert found[0]["consumer"] == {"email": "bo@example.com"} and found[0]["outcome"] == "success"
    assert "Scan" not in aws_calls.ops("dynamodb") and "Query" in aws_calls.ops("dynamodb")


def test_the_log_pages_newest_first_with_a_cursor(intake):
    post(intake, [item(n, occurred_at=(datetime.now(UTC) - timedelta(minutes=30 - n)).isoformat()) for n in range(5)])
    status, page, _ = intake("GET", "/access-events?service=crm&limit=2", token="local-analyst")
    seen = [i["producer_event_id"] for i in page["items"]]
    while page["cursor"]:
        # Used as a client would, unquoted: the cursor is URL-safe (several events share a millisecond here).
        status, page, _ = intake("GET", f"/access-events?service=crm&limit=2&cursor={page['cursor']}",
                                 token="local-analyst")
        seen += [i["producer_event_id"] for i in page["items"]]
    assert sorted(seen) == [f"crm-{n}" for n in range(5)] and len(seen) == 5
    assert intake("GET", "/access-events?service=crm&cursor=%25%25", token="local-analyst")[0] == 422


def test_pages_hold_every_event_even_when_many_share_a_millisecond(intake, clock):
    from datetime import datetime as real_datetime

    frozen = real_datetime.now(UTC)
    clock.offset = timedelta()
    from shared import wiring

    wiring.ledger().now = lambda: frozen  # every event of the batch recorded at the same instant
    post(intake, [item(n) for n in range(7)])
    seen, cursor = [], None
    while True:
        query = "service=crm&limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page, _ = intake("GET", f"/access-events?{query}", token="local-analyst")
        seen += [i["producer_event_id"] for i in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(f"crm-{n}" for n in range(7))


def test_every_read_of_the_log_and_every_export_shows_in_the_log(intake, exporter):
    post(intake, [item(0)])
    search(intake, "consumer_email=ana@example.com", token="local-analyst")
    assert exporter("POST", "/exports", {"consumer_email": "ana@example.com"}, token="local-auditor")[0] == 201

    by_analyst = search(intake, "actor_id=local-analyst")
    assert [i["type"] for i in by_analyst] == ["audit_read"]
    assert by_analyst[0]["scope"]["access_log"]["consumer_tag"] and by_analyst[0]["service"] == "ccpa-audit"
    exports = search(intake, "action=export")
    assert [i["type"] for i in exports] == ["export_created"] and exports[0]["actor"]["id"] == "local-auditor"
    # the consumer's history shows who looked at it
    types = {i["type"] for i in search(intake, "consumer_email=ana@example.com")}
    assert {"data_access", "audit_read", "export_created"} <= types


def test_access_events_are_in_the_consumers_bundle_and_in_no_request_metric(intake, exporter, tmp_path):
    from ccpa_audit.cli import main as cli
    from tests.integration.test_exports import bundle_of

    intake("POST", "/requests", {"type": "delete", "channel": "web_form", "consumer": {"email": "ana@example.com"}})
    ids = post(intake, [item(0), item(1)])[1]["event_ids"]
    status, out, _ = exporter("POST", "/exports", {"consumer_email": "ana@example.com", "metrics_year":
                                                   datetime.now(UTC).year}, token="local-auditor")
    assert status == 201, out
    data, archive = bundle_of(out)
    lines = [json.loads(line) for line in archive.read("events.jsonl").splitlines()]
    assert {e["event_id"] for e in lines if e["type"] == "data_access"} == set(ids)
    html = archive.read("summary.html").decode()
    assert all(event_id in html for event_id in ids)
    metrics = json.loads(archive.read("metrics.json"))
    assert metrics["total"]["received"] == 1  # the one request; access events are not requests
    (tmp_path / "b.zip").write_bytes(data)
    assert cli(["verify", str(tmp_path / "b.zip")]) == 0


def test_cloudtrail_data_events_normalized_then_posted_are_searchable(intake):
    from shared.services.access_normalizers import CloudTrailMapping, from_eventbridge

    config = CloudTrailMapping.model_validate({"s3": [{
        "bucket": "acme-customer-docs", "prefix": "customers/", "consumer_pattern": r"^customers/(?P<consumer>[^/]+)/",
        "data_categories": ["identifiers", "customer_records"], "purpose": "customer support"}]})
    event = json.loads((CLOUDTRAIL / "eventbridge_s3_get_object.json").read_text())
    normalized = [e.model_dump(mode="json", exclude_none=True) for e in from_eventbridge(event, config)]
    assert normalized
    for entry in normalized:  # CloudTrail samples are dated; the API refuses nothing for being old
        assert entry["source"]["service"] == "s3.amazonaws.com"
    status, out, _ = post(intake, normalized)
    assert status == 202, out
    found = search(intake, "service=s3.amazonaws.com&from=2000-01-01T00:00:00Z")
    assert [i["producer_event_id"] for i in found] == [normalized[0]["event_id"]]
    assert found[0]["ocsf_class_uid"] == 6005  # Datastore Activity


@pytest.mark.parametrize("query", ["action=peek", "from=yesterday", "limit=0", "shoe=1"])
def test_bad_searches_are_422(intake, query):
    assert intake("GET", f"/access-events?{query}", token="local-analyst")[0] == 422


def stored_details(stream, s3, stack):
    return [json.loads(row.envelope)["details"] for row in stored_rows(stream, s3, stack.env["EVIDENCE_BUCKET"])]


def test_producers_own_labels_are_accepted_mapped_to_ccpa_categories_and_unknown_ones_kept(intake):
    events = [item(0, data_categories=["contact"]), item(1, data_categories=["Billing Address", "favourite_colour"])]
    status, out, _ = post(intake, events)
    assert status == 202, out
    found = {entry["producer_event_id"]: entry for entry in search(intake, "service=crm")}
    assert (found["crm-0"]["data_categories"], found["crm-0"]["unmapped_labels"]) == (["identifiers"], [])
    assert found["crm-1"]["data_labels"] == ["Billing Address", "favourite_colour"]
    assert found["crm-1"]["data_categories"] == ["customer_records"]
    assert found["crm-1"]["unmapped_labels"] == ["favourite_colour"]


def test_the_category_table_is_configurable(intake, monkeypatch):
    from shared import wiring

    monkeypatch.setenv("DATA_CATEGORY_MAP", json.dumps({"favourite_colour": "inferences"}))
    wiring.reset()
    assert post(intake, [item(0, data_categories=["favourite_colour"])])[0] == 202
    [entry] = search(intake, "service=crm")
    assert (entry["data_categories"], entry["unmapped_labels"]) == (["inferences"], [])


def test_every_stored_access_event_validates_against_the_published_ocsf_schema(intake, stream, s3, stack):
    from tests.ocsf_schema import ocsf_errors

    events = [item(0), item(1, actor={"id": "etl", "type": "service"}, resource="arn:aws:s3:::docs/c/1.json",
                                action="export", outcome="failure"),
              item(2, resource="db://crm/contacts", request_id="0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70"),
              item(3, data_categories=["favourite_colour"], source={"service": "crm"}, resource=None)]
    assert post(intake, events)[0] == 202
    bodies = stored_details(stream, s3, stack)
    assert len(bodies) == 4 and {body["class_uid"] for body in bodies} == {6003, 6005}
    assert [error for body in bodies for error in ocsf_errors(body)] == []
