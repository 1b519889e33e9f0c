"""Access events as batch objects (issue 17), under moto: accepted onto the Kinesis stream by POST /access-events
and by CloudTrail through EventBridge, written as COMPLIANCE-locked Parquet objects by the stream's consumer
(driven here by the local stand-in of the event source mapping), sealed one leaf per event, proven and verified."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest

from ccpa_audit.local.control import scheduled_event
from ccpa_audit.local.gateway import LambdaContext
from ccpa_audit.local.streams import StreamPoller
from shared import wiring
from shared.ledger.parquet_batches import decode_batch
from shared.ledger import merkle
from shared.ledger.canonical import sha256_hex
from shared.models.access_batch import PREFIX
from shared.services.sealed_access import sealed_access_events
from bench.access_ingest import item_size
from tests.bundles import proof_records
from tests.integration.test_access_events import batch_objects, rows_of, seal
from tests.integration.test_access_events import item as base_item

CLOUDTRAIL = Path(__file__).parent.parent / "events" / "cloudtrail"


def item(number=0, **overrides):
    """The access log's sample event, for one of five consumers."""
    return base_item(number, **{"consumer": {"email": f"c{number % 5}@example.com"}, **overrides})


def post(intake, events):
    return intake("POST", "/access-events", {"events": events}, token="local-service")


@pytest.fixture
def batcher(stream):
    return stream  # the poller the handlers' reads drain, so no record goes to two pollers


def proof_of(intake, event_id):
    status, proof, _ = intake("GET", f"/events/{event_id}/proof", token="local-auditor")
    assert status == 200, proof
    return proof


def assert_proof_verifies(proof):
    leaf = bytes.fromhex(proof["leaf_data"])
    assert leaf.startswith(merkle.BATCH_LEAF_LABEL)
    assert merkle.verify_inclusion(merkle.leaf_hash(leaf), proof["leaf_index"], proof["tree_size"],
                                   [bytes.fromhex(h) for h in proof["inclusion_path"]], bytes.fromhex(proof["root"]))


def test_api_batch_lands_as_one_locked_parquet_object_with_no_per_event_item(intake, batcher, s3, ddb, stack):
    bucket = stack.env["EVIDENCE_BUCKET"]
    status, out, _ = post(intake, [item(n) for n in range(120)])
    assert status == 202, out
    assert out["accepted"] == 120 and len(set(out["event_ids"])) == 120
    assert batch_objects(s3, bucket) == []  # accepted = on the stream; the object comes from its consumer
    assert batcher.pump_once() == 120
    objects = batch_objects(s3, bucket)
    shards = boto3.client("kinesis", region_name="us-east-1").list_shards(StreamName=stack.env["ACCESS_STREAM"])
    assert 1 <= len(objects) <= len(shards["Shards"])  # one object per shard's invocation, as Lambda's mapping
    days = int(stack.env["RETENTION_ACCESS_DAYS"])
    rows = []
    for key, version in objects:
        assert key.startswith(f"{PREFIX}date={datetime.now(UTC).date().isoformat()}/") and key.endswith(".parquet")
        head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["ObjectLockRetainUntilDate"] >= datetime.now(UTC) + timedelta(days=days, minutes=-5)
        found = rows_of(s3, bucket, key, version)
        assert [r.sort_key() for r in found] == sorted(r.sort_key() for r in found)
        rows += found
    assert sorted(r.event_id for r in rows) == sorted(out["event_ids"])
    for row in rows:
        envelope = json.loads(row.envelope)
        assert sha256_hex(row.envelope.encode()) == row.event_hash  # the canonical bytes, as a single object
        assert envelope["event_id"] == row.event_id and envelope["consumer_tag"] == row.consumer_tag
        assert envelope["type"] == "data_access" and envelope["record_type"] == "access_event"
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0).column(0).compression == "ZSTD"
    dump = json.dumps(ddb.scan(TableName=stack.env["INDEX_TABLE"])["Items"])
    assert "c0@example.com" not in dump and not any(event_id in dump for event_id in out["event_ids"])


def test_batches_are_sealed_one_leaf_per_event_and_proofs_verify(intake, batcher, stack):
    ids = post(intake, [item(n) for n in range(30)])[1]["event_ids"]
    ids += post(intake, [item(n) for n in range(30, 50)])[1]["event_ids"]
    batcher.pump_once()
    result = seal()
    assert result["sealed"] == 50
    assert seal()["sealed"] == 0  # the objects are marked: nothing is appended twice
    proofs = [proof_of(intake, event_id) for event_id in ids]
    assert sorted(p["leaf_index"] for p in proofs) == list(range(result["tree_size"] - 50, result["tree_size"]))
    for proof in proofs[:5] + proofs[-5:]:
        assert_proof_verifies(proof)


def test_a_retried_event_in_another_batch_keeps_its_id_and_gets_one_leaf(intake, batcher, s3, stack):
    first = post(intake, [item(0), item(1)])[1]["event_ids"]
    batcher.pump_once()
    seal()
    retried = item(1, occurred_at="2026-01-01T00:00:00Z")  # crm-1 again, even with another time: the same event
    again = post(intake, [retried, item(2)])[1]["event_ids"]
    assert again[0] == first[1]
    batcher.pump_once()
    assert len(batch_objects(s3, stack.env["EVIDENCE_BUCKET"])) >= 2
    assert seal()["sealed"] == 1  # only crm-2 is new (no proof was read yet: reads are events too)
    assert proof_of(intake, first[1])["leaf_index"] < proof_of(intake, again[1])["leaf_index"]


def test_the_same_records_delivered_twice_are_sealed_once(intake, stack, s3):
    """At-least-once delivery: the consumer wrote its object, then failed before the mapping saw success, so the
    same records come again and become a second object."""
    from functions.access_batcher import app

    kinesis = boto3.client("kinesis", region_name="us-east-1")
    written = []

    def crashes_after_writing(event, context):
        written.append(app.lambda_handler(event, context))
        if len(written) == 1:
            raise RuntimeError("timed out after the PUT")

    poller = StreamPoller(kinesis, stack.env["ACCESS_STREAM"], crashes_after_writing, window=0.0)
    ids = post(intake, [item(n) for n in range(10)])[1]["event_ids"]
    with pytest.raises(RuntimeError):
        poller.pump_once()
    poller.pump_once()
    assert len(batch_objects(s3, stack.env["EVIDENCE_BUCKET"])) >= 2
    assert seal()["sealed"] == 10
    assert {proof_of(intake, event_id)["event_id"] for event_id in ids} == set(ids)


def test_a_crash_between_delivery_and_sealing_loses_nothing(intake, batcher, stack, monkeypatch):
    from shared.adapters.dynamo_access_leaves import DynamoAccessLeaves

    ids = post(intake, [item(n) for n in range(40)])[1]["event_ids"]
    batcher.pump_once()
    real_mark = DynamoAccessLeaves.mark

    def crash(self, objects):
        raise RuntimeError("sealer crashed before the sealed-batch marker")

    monkeypatch.setattr(DynamoAccessLeaves, "mark", crash)
    with pytest.raises(RuntimeError):
        seal()  # the checkpoint moved; the leaves were recorded; the object is not marked
    monkeypatch.setattr(DynamoAccessLeaves, "mark", real_mark)
    result = seal()  # finishes marking the crashed batch first, then finds nothing new
    assert result["sealed"] == 0
    sizes = {proof_of(intake, event_id)["tree_size"] for event_id in ids}
    assert len(sizes) == 1
    assert sorted(proof_of(intake, e)["leaf_index"] for e in ids) == list(range(sizes.pop() - 40, result["tree_size"]))


def test_unsealed_batched_events_have_no_proof_yet(intake, batcher):
    [event_id] = post(intake, [item(0)])[1]["event_ids"]
    batcher.pump_once()
    status, out, _ = intake("GET", f"/events/{event_id}/proof", token="local-auditor")
    assert (status, out["error"]) == (409, "not_sealed"), out  # stored in a batch object, not yet a leaf
    assert intake("GET", "/events/no-such-event/proof", token="local-auditor")[0] == 404
    seal()
    assert_proof_verifies(proof_of(intake, event_id))


def test_cloudtrail_data_events_through_eventbridge_take_the_same_path(stack, batcher, s3, intake, monkeypatch):
    from functions.cloudtrail_access import app

    monkeypatch.setenv("CLOUDTRAIL_MAPPING", json.dumps({"s3": [{
        "bucket": "acme-customer-docs", "prefix": "customers/", "consumer_pattern": r"^customers/(?P<consumer>[^/]+)/",
        "data_categories": ["identifiers", "customer_records"], "purpose": "customer support"}]}))
    wiring.reset()
    event = json.loads((CLOUDTRAIL / "eventbridge_s3_get_object.json").read_text())
    out = app.lambda_handler(event, LambdaContext("cloudtrail-access", "t"))
    assert out["accepted"] == 1
    assert app.lambda_handler(event, LambdaContext("cloudtrail-access", "t"))["event_ids"] == out["event_ids"]
    batcher.pump_once()
    [(key, version)] = batch_objects(s3, stack.env["EVIDENCE_BUCKET"])  # one partition key: one shard
    [row] = rows_of(s3, stack.env["EVIDENCE_BUCKET"], key, version)  # the retry's copy is dropped in the object
    assert row.service == "s3.amazonaws.com" and row.event_id == out["event_ids"][0]
    assert json.loads(row.envelope)["actor"] == {"type": "service", "id": "aws.cloudtrail", "role": None}
    seal()
    assert_proof_verifies(proof_of(intake, row.event_id))


def test_events_outside_the_mapping_are_dropped(stack):
    from functions.cloudtrail_access import app

    event = json.loads((CLOUDTRAIL / "eventbridge_s3_get_object.json").read_text())
    assert app.lambda_handler(event, LambdaContext("cloudtrail-access", "t"))["accepted"] == 0


def test_a_bundle_of_batched_access_events_verifies(intake, batcher, stack, tmp_path):
    from ccpa_audit.cli import main as cli
    from shared.ledger.envelope import Actor
    from shared.models.export import ExportJob, ExportScope
    from shared.services.build_bundle import build_bundle
    from shared.services.export_selection import Selection

    ids = post(intake, [item(n) for n in range(0, 25, 5)])[1]["event_ids"]  # all five for c0@example.com
    batcher.pump_once()
    seal()
    log = wiring.merkle_log()
    events = list(sealed_access_events(log.access_leaves, log.objects, dict.fromkeys(ids)).values())
    job = ExportJob(export_id="e-1", status="building", scope=ExportScope(consumer_tag=events[0].consumer_tag),
                    requested_by=Actor(type="staff", id="auditor-1", role="auditor"), requested_at=datetime.now(UTC))
    built = build_bundle(wiring.ledger(), wiring.merkle_log(), Selection(requests=[], standalone=events), job, None,
                         lambda done, total: None)
    path = tmp_path / "access.zip"
    path.write_bytes(built.data)
    assert cli(["verify", str(path)]) == 0
    archive = zipfile.ZipFile(io.BytesIO(built.data))
    lines = [json.loads(line) for line in archive.read("events.jsonl").splitlines()]
    assert {line["event_id"] for line in lines} == set(ids)
    assert all(line["type"] == "data_access" for line in lines)
    proofs = proof_records(archive)
    assert [p.event_id for p in proofs] == [line["event_id"] for line in lines]  # one record per sealed event
    assert {p.leaf_index for p in proofs} == {event.leaf_index for event in events}
    assert {p.batch_version for p in proofs} == {event.s3_version_id for event in events}  # what each leaf binds


def test_a_retried_batch_and_repeats_within_it_are_one_sealed_event_each(intake, batcher):
    batch = [item(0), item(1), item(0)]  # the same producer id twice in one batch, too
    first, again = post(intake, batch)[1], post(intake, batch)[1]
    assert first["event_ids"] == again["event_ids"] and first["event_ids"][0] == first["event_ids"][2]
    other_service = post(intake, [item(0, source={"service": "billing"})])[1]
    assert other_service["event_ids"][0] not in first["event_ids"]  # ids are scoped by source service
    batcher.pump_once()
    assert seal()["sealed"] == 3


def test_every_batched_body_validates_against_the_published_ocsf_schema(intake, batcher, s3, stack):
    from tests.ocsf_schema import ocsf_errors

    events = [item(0), item(1, actor={"id": "etl", "type": "service"}, resource="arn:aws:s3:::docs/c/1.json",
                                action="export", outcome="failure"),
              item(2, resource="db://crm/contacts", request_id="0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70"),
              item(3, data_categories=["favourite_colour"], resource=None)]
    assert post(intake, events)[0] == 202
    batcher.pump_once()
    bucket = stack.env["EVIDENCE_BUCKET"]
    found = [row for key, version in batch_objects(s3, bucket) for row in rows_of(s3, bucket, key, version)]
    bodies = [json.loads(row.envelope)["details"] for row in found]
    assert len(bodies) == 4 and {body["class_uid"] for body in bodies} == {6003, 6005}
    assert [error for body in bodies for error in ocsf_errors(body)] == []
    by_request = {row.request_id for row in found}
    assert by_request == {None, "0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70"}


def test_nothing_is_promised_when_the_stream_does_not_take_the_batch(intake, monkeypatch):
    client = wiring.aws_client("kinesis")
    monkeypatch.setattr(client, "put_records", lambda **kwargs: {"FailedRecordCount": len(kwargs["Records"]),
                        "Records": [{"ErrorCode": "InternalFailure"} for _ in kwargs["Records"]]})
    status, out, _ = post(intake, [item(0), item(1)])
    assert status == 503 and out["error"] == "storage_unavailable", out


def leaf_items(ddb, stack):
    items = ddb.scan(TableName=stack.env["INDEX_TABLE"])["Items"]
    return [i for i in items if i["pk"]["S"].startswith("ALEAF#")]


def test_a_sealed_events_item_is_one_write_unit_and_its_path_a_record_of_a_locked_paths_object(
        intake, batcher, s3, ddb, stack):
    from shared.ledger.leaf_paths import decode_paths, paths_key

    ids = post(intake, [item(n) for n in range(60)])[1]["event_ids"]
    batcher.pump_once()
    sealed = seal()
    items = leaf_items(ddb, stack)
    assert sorted(i["pk"]["S"].removeprefix("ALEAF#") for i in items) == sorted(ids)
    assert {frozenset(i) for i in items} == {frozenset({"pk", "sk", "i", "r", "b"})}
    assert max(map(item_size, items)) < 1024  # one write unit, with its key
    dump = json.dumps(items)
    rows = [r for key, version in batch_objects(s3, stack.env["EVIDENCE_BUCKET"])
            for r in rows_of(s3, stack.env["EVIDENCE_BUCKET"], key, version)]
    assert not any(r.consumer_tag in dump or r.event_hash in dump for r in rows)  # nothing the row holds
    bucket = stack.env["EVIDENCE_BUCKET"]
    root = bytes.fromhex(wiring.merkle_log().state.get().root)
    for key, version in batch_objects(s3, bucket):
        head = s3.head_object(Bucket=bucket, Key=paths_key(key))
        batch_head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["ObjectLockRetainUntilDate"] >= batch_head["ObjectLockRetainUntilDate"]
        size, records = decode_paths(s3.get_object(Bucket=bucket, Key=paths_key(key))["Body"].read())
        assert size == sealed["tree_size"]
        assert len(records) == len({r.event_id for r in rows_of(s3, bucket, key, version)})
        for record in records:
            path = [record.path[i:i + 32] for i in range(0, len(record.path), 32)]
            assert merkle.verify_inclusion(record.leaf_hash, record.leaf_index, size, path, root)


def test_a_crash_after_the_paths_object_is_finished_with_the_same_object(intake, batcher, s3, stack, monkeypatch):
    from shared.adapters.dynamo_access_leaves import DynamoAccessLeaves
    from shared.ledger.leaf_paths import paths_key

    ids = post(intake, [item(n) for n in range(12)])[1]["event_ids"]
    batcher.pump_once()
    monkeypatch.setattr(DynamoAccessLeaves, "put", lambda self, leaves: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError):
        seal()
    monkeypatch.undo()
    bucket = stack.env["EVIDENCE_BUCKET"]
    keys = [key for key, _ in batch_objects(s3, bucket)]
    written = {key: s3.head_object(Bucket=bucket, Key=paths_key(key))["VersionId"] for key in keys}
    status, out, _ = intake("GET", f"/events/{ids[0]}/proof", token="local-auditor")
    assert (status, out["error"]) == (409, "not_sealed")  # no leaf item yet: the engine holds it unsealed
    assert seal()["sealed"] == 0  # the crashed batch is finished, nothing appended again
    for key in keys:
        versions = s3.list_object_versions(Bucket=bucket, Prefix=paths_key(key))["Versions"]
        assert [v["VersionId"] for v in versions] == [written[key]]
    for event_id in ids:
        assert_proof_verifies(proof_of(intake, event_id))


def test_items_written_before_slim_items_still_prove_and_export(intake, batcher, ddb, stack, tmp_path):
    from ccpa_audit.cli import main as cli
    from shared.ledger.envelope import Actor
    from shared.models.export import ExportJob, ExportScope
    from shared.services.build_bundle import build_bundle
    from shared.services.export_selection import Selection

    ids = post(intake, [item(n) for n in range(0, 20, 5)])[1]["event_ids"]  # one consumer's four events
    batcher.pump_once()
    seal()
    log = wiring.merkle_log()
    events = sealed_access_events(log.access_leaves, log.objects, dict.fromkeys(ids))
    table = stack.env["INDEX_TABLE"]
    for event in events.values():  # as the sealer wrote items before they were slim
        ddb.put_item(TableName=table, Item={"pk": {"S": f"ALEAF#{event.event_id}"}, "sk": {"S": "LEAF"},
                                            "entity": {"S": "access_leaf"}, "event": {"S": event.model_dump_json()},
                                            "path": {"B": event.inclusion_path}})
    old = leaf_items(ddb, stack)
    assert {frozenset(i) for i in old} == {frozenset({"pk", "sk", "entity", "event", "path"})}
    assert sealed_access_events(log.access_leaves, log.objects, dict.fromkeys(ids)) == events
    for event_id in ids:
        proof = proof_of(intake, event_id)
        assert proof["leaf_index"] == events[event_id].leaf_index
        assert_proof_verifies(proof)
    job = ExportJob(export_id="e-old", status="building", scope=ExportScope(consumer_tag=events[ids[0]].consumer_tag),
                    requested_by=Actor(type="staff", id="auditor-1", role="auditor"), requested_at=datetime.now(UTC))
    built = build_bundle(wiring.ledger(), log, Selection(requests=[], standalone=list(events.values())), job, None,
                         lambda done, total: None)
    (tmp_path / "old.zip").write_bytes(built.data)
    assert cli(["verify", str(tmp_path / "old.zip")]) == 0


def test_a_batched_events_proof_makes_only_the_calls_the_api_function_may(intake, batcher, stack, aws_calls):
    from ccpa_audit.local.resources import load_template

    [event_id] = post(intake, [item(3)])[1]["event_ids"]
    batcher.pump_once()
    seal()
    statements = load_template()["Resources"]["IntakeFunction"]["Properties"]["Policies"]
    allowed = {action for policy in statements for statement in policy["Statement"]
               for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])}
    aws_calls.calls.clear()
    assert_proof_verifies(proof_of(intake, event_id))
    assert {f"dynamodb:{op}" for op in aws_calls.ops("dynamodb")} <= allowed
    assert "GetItem" in aws_calls.ops("dynamodb")
