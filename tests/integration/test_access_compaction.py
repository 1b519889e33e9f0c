"""AccessCompactorFunction under moto: closed days' batch objects rewritten as locked copies sorted by consumer tag,
each event once, checked before the watermark moves; a crash leaves the day to the next run; GET /access-events
answers the same before and after."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from ccpa_audit.local.control import scheduled_event
from ccpa_audit.local.gateway import LambdaContext
from shared import wiring
from shared.ledger.parquet_batches import event_digests
from shared.models import access_compaction as model
from shared.models.access_compaction import COMPACTED_PREFIX
from tests.contract_batches import put_contract_batch
from tests.fakes import CrashingPuts
from tests.integration.test_access_events import item
from tests.integration.test_access_search_engine import pages, stored_batches

NOW = datetime.now(UTC).replace(microsecond=0)
ANA = {"email": "ana@example.com"}


@pytest.fixture
def stored(stack, s3, monkeypatch, tmp_path):
    """Three received days of batch objects (two per day, the first re-delivered in a later object), and today's."""
    monkeypatch.setenv("ACCESS_CACHE_DIR", str(tmp_path / "cache"))
    wiring.reset()
    occurred = (NOW - timedelta(days=5)).isoformat()
    batches = [(NOW - timedelta(days=4 - day // 2, minutes=day),
                [item(100 * day + k, consumer=ANA if k % 3 else {"email": f"c{k}@example.org"}, occurred_at=occurred)
                 for k in range(12)]) for day in range(6)]
    batches.append((NOW, [item(999, consumer=ANA, occurred_at=occurred)]))
    written = stored_batches(s3, stack, batches)
    put_contract_batch(s3, stack.env["EVIDENCE_BUCKET"], written[0], day=written[1][0].recorded_at.date())
    return written


def compact(at=NOW):
    from functions.access_compactor import app

    return app.lambda_handler(scheduled_event(at, "test"), LambdaContext("access_compactor", "t"))


def compacted_objects(s3, bucket):
    return [(v["Key"], v["VersionId"]) for v in s3.list_object_versions(Bucket=bucket, Prefix=COMPACTED_PREFIX)
            .get("Versions", [])]


def watermark(ddb, stack):
    found = ddb.get_item(TableName=stack.env["INDEX_TABLE"],
                         Key={"pk": {"S": "ACCESS#compaction"}, "sk": {"S": "META"}}).get("Item")
    return found and found["compacted_before"]["S"]


def accesses(intake):
    return [(i["event_id"], i["recorded_at"], i["event_hash"]) for i in
            pages(intake, "consumer_email=ana%40example.com", limit=5) if i["type"] == "data_access"]


def test_closed_days_are_compacted_locked_each_event_once_and_search_answers_the_same(intake, s3, ddb, stack,
                                                                                      stored):
    bucket = stack.env["EVIDENCE_BUCKET"]
    before = accesses(intake)

    result = compact()

    days = sorted({row.recorded_at.date() for rows in stored[:-1] for row in rows})
    assert len(days) == model.DAYS_PER_RUN == result["days"]
    assert result["compacted_before"] == (days[-1] + timedelta(days=1)).isoformat()
    assert watermark(ddb, stack) == result["compacted_before"]
    objects = compacted_objects(s3, bucket)
    assert [key.split("/")[2] for key, _ in objects] == [f"date={day}" for day in days]  # today's stays open
    ids = [event_id for key, version in objects
           for event_id, _ in event_digests(s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read())]
    assert sorted(ids) == sorted({row.event_id for rows in stored[:-1] for row in rows})  # each exactly once
    assert result["events"] == len(ids)
    for key, version in objects:
        head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["ObjectLockRetainUntilDate"] >= NOW + timedelta(days=730)
        with pytest.raises(ClientError):
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert len(s3.list_objects_v2(Bucket=bucket, Prefix="access/batches/")["Contents"]) == 8  # the sources stay

    after = accesses(intake)
    assert after == before and len(after) == 1 + len({r.event_id for rows in stored for r in rows
                                                      if r.consumer_tag == stored[-1][0].consumer_tag}) - 1
    today = NOW.date().isoformat()
    assert compact() == {"days": 1, "events": 0, "compacted_before": today}  # yesterday: no batch objects
    assert compact() == {"days": 0, "events": 0, "compacted_before": today}  # today is still open


def test_a_crash_mid_day_leaves_it_to_the_next_run_which_finds_and_checks_the_parts(intake, s3, ddb, stack, stored,
                                                                                    monkeypatch):
    monkeypatch.setattr(model, "ROWS_PER_PART", 6)  # several parts a day
    before = accesses(intake)
    evidence = wiring.ledger().evidence
    real_put = evidence.put_new
    puts = CrashingPuts(real_put, allowed=2)
    monkeypatch.setattr(evidence, "put_new", puts)
    with pytest.raises(RuntimeError):
        compact()
    assert watermark(ddb, stack) is None and len(compacted_objects(s3, stack.env["EVIDENCE_BUCKET"])) == 2
    monkeypatch.setattr(evidence, "put_new", real_put)
    assert accesses(intake) == before  # the half-written day is read from its batch objects

    result = compact()

    assert result["compacted_before"] == (NOW.date() - timedelta(days=1)).isoformat()
    keys = [key for key, _ in compacted_objects(s3, stack.env["EVIDENCE_BUCKET"])]
    assert len(keys) == len(set(keys)) > 3 and set(puts.keys) <= set(keys)
    assert accesses(intake) == before
