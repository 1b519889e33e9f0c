"""GET /access-events answered by the analytics engine over batch objects in the evidence bucket (DuckDB over
moto S3; Athena's calls under moto), merged with the ledger's own events from the index under one cursor."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from shared import wiring
from tests.contract_batches import ledger_rows, put_contract_batch
from tests.integration.test_access_events import item, post


@pytest.fixture
def engine_env(stack, monkeypatch, tmp_path):
    monkeypatch.setenv("ACCESS_CACHE_DIR", str(tmp_path / "cache"))
    wiring.reset()
    return stack


def stored_batches(s3, stack, batches):
    """Each batch: (received_at, items); returns the rows written, per batch."""
    written = []
    for received_at, items in batches:
        rows = ledger_rows(wiring.ledger(), items, received_at)
        put_contract_batch(s3, stack.env["EVIDENCE_BUCKET"], rows)
        written.append(rows)
    return written


def pages(intake, query, limit):
    seen, cursor = [], None
    while True:
        suffix = f"&cursor={quote(cursor)}" if cursor else ""
        status, page, _ = intake("GET", f"/access-events?{query}&limit={limit}{suffix}", token="local-auditor")
        assert status == 200, page
        seen += page["items"]
        cursor = page["cursor"]
        if not cursor:
            return seen


def test_a_consumers_search_pages_through_batches_and_the_index_newest_first_each_event_once(intake, s3, engine_env):
    now = datetime.now(UTC).replace(microsecond=0)
    ana = {"email": "ana@example.com"}
    batches = [(now - timedelta(days=3, minutes=n), [item(10 * n + k, consumer=ana if k % 2 else {"email": "bo@x.org"},
                                                       occurred_at=(now - timedelta(days=4)).isoformat())
                                                  for k in range(6)]) for n in range(5)]
    written = stored_batches(s3, engine_env, batches)
    # At-least-once delivery: the first batch's rows delivered again in a later object.
    put_contract_batch(s3, engine_env.env["EVIDENCE_BUCKET"], written[0])
    status, posted, _ = post(intake, [item(99, consumer=ana)])  # recorded through today's index path
    assert status == 202

    items = pages(intake, "consumer_email=ana%40example.com", limit=4)

    expected = {row.event_id for rows in written for row in rows if row.consumer_tag == written[0][1].consumer_tag}
    assert len(expected) == 15
    assert [i["event_id"] for i in items if i["type"] == "data_access"] == [posted["event_ids"][0]] + [
        i["event_id"] for i in items if i["event_id"] in expected]
    assert {i["event_id"] for i in items} == expected | set(posted["event_ids"])
    assert len(items) == 16
    positions = [(i["recorded_at"], i["event_id"]) for i in items]
    assert positions == sorted(positions, reverse=True)
    batch_item = next(i for i in items if i["event_id"] in expected)
    assert batch_item["consumer"] == ana and batch_item["actor"]["id"] == "agent-7@acme.example"
    assert batch_item["service"] == "crm" and batch_item["action"] == "read"
    assert batch_item["producer"] == {"type": "service", "id": "local-service", "role": "service"}
    assert len(batch_item["event_hash"]) == 64

    # Every page read was itself recorded and is found by the next search of the same consumer.
    again = pages(intake, "consumer_email=ana%40example.com", limit=50)
    reads = [i for i in again if i["type"] == "audit_read"]
    assert len(reads) == 4  # 16 items in pages of 4
    assert again[:4] == reads


def test_actor_action_service_and_time_filters_reach_the_batches(intake, s3, engine_env):
    now = datetime.now(UTC).replace(microsecond=0)
    occurred = (now - timedelta(days=10)).isoformat()
    stored_batches(s3, engine_env, [
        (now - timedelta(days=2), [item(1, occurred_at=occurred), item(2, action="update", occurred_at=occurred),
                                   item(3, source={"service": "billing"}, occurred_at=occurred),
                                   item(4, actor={"id": "other", "type": "service"}, occurred_at=occurred)]),
        (now - timedelta(days=6), [item(5, occurred_at=occurred)]),
    ])

    def ids(query):
        return sorted(i["producer_event_id"] for i in pages(intake, query, limit=50) if i["type"] == "data_access")

    assert ids("actor_id=agent-7%40acme.example") == ["crm-1", "crm-2", "crm-3", "crm-5"]
    assert ids("action=update") == ["crm-2"]
    assert ids("service=billing") == ["crm-3"]
    assert ids("service=x%27%20OR%20%271%27%3D%271") == []
    start = (now - timedelta(days=3)).isoformat().replace("+00:00", "Z")
    assert ids(f"from={quote(start)}&service=crm") == ["crm-1", "crm-2", "crm-4"]


def test_a_cursor_that_is_not_a_position_is_refused(intake, engine_env):
    import base64

    cursor = base64.urlsafe_b64encode(b"not-a-time#x").decode()
    status, body, _ = intake("GET", f"/access-events?cursor={cursor}", token="local-auditor")
    assert status == 400 or status == 422, body
    assert body["details"][0]["field"] == "cursor"


def test_the_athena_engine_sends_the_query_with_parameters_and_reads_its_results(intake, s3, engine_env, monkeypatch):
    from moto.athena.models import QueryResults, athena_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    import boto3

    athena = boto3.client("athena", region_name="us-east-1")
    athena.create_work_group(Name="ccpa-access", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://ccpa-exports/athena/"}})
    monkeypatch.setenv("ACCESS_SEARCH_ENGINE", "athena")
    monkeypatch.setenv("ATHENA_WORKGROUP", "ccpa-access")
    wiring.reset()
    now = datetime.now(UTC).replace(microsecond=0)
    (row,) = ledger_rows(wiring.ledger(), [item(7, occurred_at=(now - timedelta(days=1)).isoformat())],
                         now - timedelta(hours=5))
    columns = ["event_id", "recorded_at", "action", "service", "event_hash", "envelope"]
    values = [row.event_id, row.recorded_at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], row.action, row.service,
              row.event_hash, row.envelope]
    backend = athena_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    backend.query_results_queue.append(QueryResults(
        rows=[{"Data": [{"VarCharValue": c} for c in columns]}, {"Data": [{"VarCharValue": v} for v in values]}],
        column_info=[{"Name": c, "Type": "varchar"} for c in columns]))

    status, page, _ = intake("GET", "/access-events?consumer_email=ana%40example.com&service=crm%27--",
                             token="local-auditor")

    assert status == 200, page
    assert [i["event_id"] for i in page["items"]] == [row.event_id]
    assert page["items"][0]["recorded_at"] == row.envelope.split('"recorded_at":"')[1][:24]
    (execution,) = backend.executions.values()
    workgroup = execution.workgroup
    assert getattr(workgroup, "name", workgroup) == "ccpa-access"
    assert execution.context == {"Database": "ccpa_audit"}
    assert '"ccpa_audit"."access_events"' in execution.query and "?" in execution.query
    assert "'crm''--'" in execution.execution_parameters
    assert row.consumer_tag not in execution.query  # values travel as parameters only
    assert f"'{row.consumer_tag}'" in execution.execution_parameters


def test_a_consumers_export_holds_every_access_event_across_many_batches(intake, exporter, s3, engine_env, tmp_path):
    import hashlib
    import json

    from tests.integration.test_exports import bundle_of, verify

    now = datetime.now(UTC).replace(microsecond=0)
    ana, bo = {"email": "ana@example.com"}, {"email": "bo@x.org"}
    occurred = (now - timedelta(days=40)).isoformat()
    batches = [(now - timedelta(days=30 - n, minutes=n), [item(100 * n + k, consumer=ana if k < 7 else bo,
                                                              occurred_at=occurred) for k in range(9)])
               for n in range(24)]  # 24 batch objects over 24 days, 7 of ana's events in each
    written = stored_batches(s3, engine_env, batches)
    put_contract_batch(s3, engine_env.env["EVIDENCE_BUCKET"], written[5][:4])  # redelivered: stored twice
    posted = post(intake, [item(999, consumer=ana)])[1]["event_ids"]

    status, out, _ = exporter("POST", "/exports", {"consumer_email": "ana@example.com"}, token="local-auditor")

    assert status == 201, out
    data, archive = bundle_of(out)
    lines = archive.read("events.jsonl").splitlines()
    events = [json.loads(line) for line in lines]
    in_batches = {row.event_id: row for rows in written for row in rows if row.consumer_tag == rows[0].consumer_tag}
    assert len(in_batches) == 24 * 7
    exported = [e["event_id"] for e in events if e["type"] == "data_access"]
    assert sorted(exported) == sorted(set(in_batches) | set(posted))  # each once
    for line, event in zip(lines, events, strict=True):  # the exact locked bytes, as the batch object holds them
        if event["event_id"] in in_batches:
            assert line.decode() == in_batches[event["event_id"]].envelope
            assert hashlib.sha256(line).hexdigest() == in_batches[event["event_id"]].event_hash
    assert all(e["consumer_tag"] == written[0][0].consumer_tag for e in events if e["type"] == "data_access")
    assert verify(data, tmp_path) == 0


def test_an_altered_batch_envelope_fails_the_export_naming_the_event(exporter, s3, engine_env):
    now = datetime.now(UTC).replace(microsecond=0)
    (row,) = ledger_rows(wiring.ledger(), [item(1, occurred_at=(now - timedelta(days=2)).isoformat())],
                         now - timedelta(days=1))
    forged = row.__class__(**{**row.__dict__, "envelope": row.envelope.replace("customer support", "marketing")})
    put_contract_batch(s3, engine_env.env["EVIDENCE_BUCKET"], [forged])

    status, out, _ = exporter("POST", "/exports", {"consumer_email": "ana@example.com"}, token="local-auditor")

    assert status >= 409, out
    assert any(d.get("event_id") == row.event_id for d in out["details"])


def test_batch_objects_are_listed_by_day_range_and_downloaded_once(s3, engine_env, tmp_path):
    from datetime import date

    from shared.adapters.s3_access_batches import S3AccessBatches
    from tests.contract_batches import synthetic_rows

    bucket = engine_env.env["EVIDENCE_BUCKET"]
    for day in (1, 2, 3, 5):
        rows = synthetic_rows(5, consumers=2, start=datetime(2026, 11, day, tzinfo=UTC), span_seconds=3600, seed=day)
        put_contract_batch(s3, bucket, rows, day=date(2026, 11, day))
    s3.put_object(Bucket=bucket, Key="access/batches/date=2026-11-02/notes.txt", Body=b"x",
                  ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=datetime(2029, 1, 1, tzinfo=UTC))
    gets = []
    s3_client = wiring.aws_client("s3")
    s3_client.meta.events.register("before-call.s3.GetObject", lambda **kwargs: gets.append(1))
    batches = S3AccessBatches(bucket, s3_client, str(tmp_path / "cache"))

    middle = batches.files(date(2026, 11, 2), date(2026, 11, 3))
    again = batches.files(date(2026, 11, 2), date(2026, 11, 3))

    assert [p.split("/")[-2] for p in middle] == ["date=2026-11-02", "date=2026-11-03"]
    assert again == middle and len(gets) == 2  # immutable objects: each downloaded once
    assert [p.split("/")[-2] for p in batches.files(date(2026, 11, 4), date(2026, 12, 1))] == ["date=2026-11-05"]
    assert batches.files(date(2026, 11, 6), date(2026, 11, 9)) == []


def test_on_athena_a_proof_of_a_stored_unsealed_event_is_409_and_of_an_unknown_one_404(intake, engine_env,
                                                                                       monkeypatch):
    from moto.athena.models import QueryResults, athena_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    import boto3

    boto3.client("athena", region_name="us-east-1").create_work_group(Name="ccpa-access", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://ccpa-exports/athena/"}})
    monkeypatch.setenv("ACCESS_SEARCH_ENGINE", "athena")
    monkeypatch.setenv("ATHENA_WORKGROUP", "ccpa-access")
    wiring.reset()
    backend = athena_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    backend.query_results_queue.append(QueryResults(  # a batch object holds the event
        rows=[{"Data": [{"VarCharValue": "event_id"}]}, {"Data": [{"VarCharValue": "0193-batched"}]}],
        column_info=[{"Name": "event_id", "Type": "varchar"}]))
    backend.query_results_queue.append(QueryResults(  # none does
        rows=[{"Data": [{"VarCharValue": "event_id"}]}], column_info=[{"Name": "event_id", "Type": "varchar"}]))

    status, out, _ = intake("GET", "/events/0193-batched/proof", token="local-auditor")
    assert (status, out["error"]) == (409, "not_sealed"), out
    status, out, _ = intake("GET", "/events/0193-unknown/proof", token="local-auditor")
    assert status == 404, out

    queries = [execution for execution in backend.executions.values()]
    assert len(queries) == 2 and all("event_id = ?" in q.query for q in queries)
    today = datetime.now(UTC).date()
    assert f"'{(today - timedelta(days=8)).isoformat()}'" in queries[0].execution_parameters
    assert "'0193-unknown'" in queries[1].execution_parameters
