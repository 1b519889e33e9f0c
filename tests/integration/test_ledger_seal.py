from datetime import UTC, datetime, timedelta

import pytest

from ccpa_audit.local.control import scheduled_event
from ccpa_audit.local.gateway import LambdaContext
from shared import wiring
from shared.ledger import checkpoint, merkle


def seal():
    from functions.seal import app

    return app.lambda_handler(scheduled_event(datetime.now(UTC), "test"), LambdaContext("seal", "t"))


def new_request(intake, email="ana@example.com"):
    status, created, _ = intake("POST", "/requests", {"type": "delete", "channel": "web_form",
                                                      "consumer": {"email": email}})
    assert status == 201, created
    return created["request_id"]


def first_event_id(intake, request_id):
    status, record, _ = intake("GET", f"/requests/{request_id}", token="local-analyst")
    assert status == 200, record
    return record["timeline"][0]["event_id"]


def latest(intake):
    status, out, _ = intake("GET", "/ledger/checkpoint", token="local-auditor")
    assert status == 200, out
    return out


def hexes(values):
    return [bytes.fromhex(value) for value in values]


def ledger_versions(s3, bucket):
    listing = s3.list_object_versions(Bucket=bucket, Prefix="ledger/")
    return sorted((v["Key"], v["VersionId"]) for v in listing.get("Versions", []))


def test_a_second_seal_appends_only_new_events_and_proves_it_extends_the_first(intake):
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        new_request(intake, email)
    first = seal()
    assert first == {"tree_size": 3, "sealed": 3}
    old = latest(intake)
    new_request(intake, "d@example.com")
    new_request(intake, "e@example.com")

    second = seal()

    assert second == {"tree_size": 5, "sealed": 2}
    assert seal() == {"tree_size": 5, "sealed": 0}
    new = latest(intake)
    status, out, _ = intake("GET", "/ledger/consistency?from=3&to=5", token="local-analyst")
    assert status == 200 and (out["from"], out["to"]) == (3, 5)
    assert merkle.verify_consistency(3, 5, bytes.fromhex(old["root"]), bytes.fromhex(new["root"]), hexes(out["proof"]))


def test_an_event_proof_verifies_offline_with_the_published_key_when_sealed(intake):
    event_id = first_event_id(intake, new_request(intake))
    seal()

    status, proof, _ = intake("GET", f"/events/{event_id}/proof", token="local-auditor")
    keys_status, keys, _ = intake("GET", "/ledger/keys")

    assert status == 200 and keys_status == 200, proof
    assert set(proof) >= {"event_id", "event_hash", "leaf_data", "leaf_hash", "leaf_index", "tree_size",
                          "inclusion_path", "checkpoint", "key_id"}
    leaf_data = bytes.fromhex(proof["leaf_data"])
    assert leaf_data.endswith(bytes.fromhex(proof["event_hash"]))
    assert merkle.leaf_hash(leaf_data).hex() == proof["leaf_hash"]
    (key,) = keys["keys"]
    assert key["algorithm"] == "ECDSA_P256_SHA256" and key["key_id"] == proof["key_id"]
    body, signatures = checkpoint.parse_signed_note(proof["checkpoint"])
    ((name, key_hash, signature),) = signatures
    assert key_hash.hex() == key["key_id"] and name == key["key_name"]
    assert checkpoint.verify_checkpoint_signature(body, signature, key["public_key_pem"].encode())
    origin, size, root = checkpoint.parse_checkpoint_body(body)
    assert size == proof["tree_size"] and origin == name
    assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], size,
                                   hexes(proof["inclusion_path"]), root)


def test_an_event_proof_is_refused_until_sealed_and_only_readers_may_ask(intake):
    event_id = first_event_id(intake, new_request(intake))

    status, out, _ = intake("GET", f"/events/{event_id}/proof", token="local-analyst")
    assert (status, out["error"]) == (409, "not_sealed")
    assert intake("GET", "/events/no-such-event/proof", token="local-analyst")[0] == 404
    assert intake("GET", f"/events/{event_id}/proof")[0] == 401
    assert intake("GET", f"/events/{event_id}/proof", token="local-agent")[0] == 403
    assert intake("GET", "/ledger/checkpoint", token="local-auditor")[1]["error"] == "checkpoint_not_found"
    assert intake("GET", "/ledger/checkpoint", token="local-service")[0] == 403


def test_reading_a_proof_is_itself_recorded_as_an_audit_read(intake, ddb, stack):
    event_id = first_event_id(intake, new_request(intake))
    seal()

    def audit_reads():
        return ddb.query(TableName=stack.env["INDEX_TABLE"], IndexName="ByKind",
                         KeyConditionExpression="kind_pk = :k",
                         ExpressionAttributeValues={":k": {"S": "T#audit_read"}})["Count"]

    before = audit_reads()
    assert intake("GET", f"/events/{event_id}/proof", token="local-auditor")[0] == 200
    assert audit_reads() == before + 1
    assert intake("GET", "/ledger/checkpoint", token="local-auditor")[0] == 200
    assert audit_reads() == before + 1  # tree hashes only: polling them does not grow the log


@pytest.mark.parametrize("query", ["", "?from=1", "?to=1", "?from=2&to=1", "?from=x&to=1", "?from=-1&to=1",
                                   "?from=0&to=2", "?from=0&to=1&extra=1"])
def test_consistency_answers_422_when_the_range_is_missing_reversed_or_beyond_the_log(intake, query):
    new_request(intake)
    seal()

    status, out, _ = intake("GET", f"/ledger/consistency{query}", token="local-auditor")

    assert (status, out["error"]) == (422, "validation_failed"), out
    assert out["details"][0]["field"] in {"from", "to", "extra"}


def test_log_objects_are_create_only_and_compliance_locked_when_sealed(intake, s3, stack, aws_calls):
    new_request(intake)
    seal()

    keys = [key for key, _ in ledger_versions(s3, stack.env["EVIDENCE_BUCKET"])]

    assert {key.split("/")[1] for key in keys} == {"batches", "checkpoints", "tile"}
    for key in keys:
        head = s3.head_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key=key)
        assert head["ObjectLockMode"] == "COMPLIANCE", key
        assert head["ObjectLockRetainUntilDate"] >= datetime.now(UTC) + timedelta(days=730)
    assert not {"PutObjectRetention", "DeleteObject", "DeleteObjects"} & set(aws_calls.ops("s3"))


def test_a_sealer_holding_a_stale_state_does_not_fork_the_log(intake, s3, stack, monkeypatch):
    new_request(intake, "a@example.com")
    seal()
    stale = wiring.merkle_log().state.get()
    old = latest(intake)
    new_request(intake, "b@example.com")
    seal()
    current = latest(intake)
    waiting = first_event_id(intake, new_request(intake, "c@example.com"))  # (the read adds an audit event)
    before = ledger_versions(s3, stack.env["EVIDENCE_BUCKET"])
    state = wiring.merkle_log().state
    answers = iter([stale])  # this sealer read the state just before the other one advanced the log
    monkeypatch.setattr(state, "get", lambda real=state.get: next(answers, None) or real())

    loser = seal()

    assert loser == {"tree_size": current["tree_size"], "sealed": 0}
    assert latest(intake) == current
    assert ledger_versions(s3, stack.env["EVIDENCE_BUCKET"]) == before
    assert intake("GET", f"/events/{waiting}/proof", token="local-auditor")[1]["error"] == "not_sealed"
    assert seal()["sealed"] >= 1
    newest = latest(intake)
    status, out, _ = intake("GET", f"/ledger/consistency?from={old['tree_size']}&to={newest['tree_size']}",
                            token="local-auditor")
    assert status == 200
    assert merkle.verify_consistency(old["tree_size"], newest["tree_size"], bytes.fromhex(old["root"]),
                                     bytes.fromhex(newest["root"]), hexes(out["proof"]))


def test_a_crash_between_the_swap_and_the_marks_is_repaired_by_the_next_run(intake, ddb, stack, monkeypatch):
    event_id = first_event_id(intake, new_request(intake))
    queue = wiring.merkle_log().queue

    def crash(batch):
        raise RuntimeError("the sealer's container died")

    monkeypatch.setattr(queue, "mark_sealed", crash)
    with pytest.raises(RuntimeError):
        seal()
    monkeypatch.undo()
    state = ddb.get_item(TableName=stack.env["INDEX_TABLE"], Key={"pk": {"S": "LOG#state"}, "sk": {"S": "META"}})
    assert state["Item"]["marked"] == {"BOOL": False} and state["Item"]["size"] == {"N": "2"}
    assert intake("GET", f"/events/{event_id}/proof", token="local-auditor")[0] == 409

    assert seal() == {"tree_size": 2, "sealed": 0}  # marked now, appended nothing again

    status, proof, _ = intake("GET", f"/events/{event_id}/proof", token="local-auditor")
    assert status == 200 and proof["tree_size"] == 2
    unsealed = ddb.query(TableName=stack.env["INDEX_TABLE"], IndexName="Unsealed",
                         KeyConditionExpression="unsealed_pk = :pk",
                         ExpressionAttributeValues={":pk": {"S": "U#0"}})["Items"]
    assert event_id not in {item["event_id"]["S"] for item in unsealed}


def test_the_sealer_skips_an_event_the_unsealed_index_still_lists_after_its_mark(intake, ddb, stack, monkeypatch):
    event_id = first_event_id(intake, new_request(intake))
    sealed = seal()
    keys = ddb.query(TableName=stack.env["INDEX_TABLE"], IndexName="ByEventId",
                     KeyConditionExpression="event_id = :id",
                     ExpressionAttributeValues={":id": {"S": event_id}})["Items"][0]
    item = ddb.get_item(TableName=stack.env["INDEX_TABLE"], Key=keys)["Item"]
    lagging = {"pk": item["pk"]["S"], "sk": item["sk"]["S"], "event_id": event_id,
               "event_hash": item["event_hash"]["S"], "consumer_tag": item["consumer_tag"]["S"],
               "unsealed_sk": f"{item['recorded_at']['S']}#{event_id}"}  # as a GSI still showing the old keys
    from shared.adapters.dynamo_unsealed_events import DynamoUnsealedEvents

    monkeypatch.setattr(DynamoUnsealedEvents, "_shard_oldest", lambda self, shard, limit: [lagging] if shard == 0 else [])

    assert seal() == {"tree_size": sealed["tree_size"], "sealed": 0}


def test_events_sealed_by_the_real_sealer_verify_offline_as_a_bundle(intake, s3, stack, tmp_path):
    """The sealer, the proof endpoint and `ccpa-audit verify` agree on leaf data, notes and key ids."""
    import json

    import boto3

    from ccpa_audit.cli import main
    from shared.ledger.bundle_format import Bundle, seal_manifest, write_folder

    rid = new_request(intake)
    intake("POST", f"/requests/{rid}/actions", {"action": "acknowledge", "sent_at": datetime.now(UTC).isoformat(),
                                                "method": "email"}, token="local-agent")
    seal()
    first_size = latest(intake)["tree_size"]
    intake("POST", f"/requests/{rid}/actions", {"action": "verify", "method": "email_code", "outcome": "failed",
                                                "level": "reasonable"}, token="local-agent")
    seal()
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    keys = intake("GET", "/ledger/keys")[1]["keys"][0]
    files, lines, ids, checkpoints = {}, [], [], {}
    for event in record["timeline"]:
        proof = intake("GET", f"/events/{event['event_id']}/proof", token="local-auditor")[1]
        key = f"events/requests/{rid}/{len(lines) + 1:08d}.json"
        lines.append(s3.get_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key=key)["Body"].read())
        ids.append(event["event_id"])
        files[f"proofs/{event['event_id']}.json"] = json.dumps(
            {k: proof[k] for k in ("event_id", "leaf_index", "tree_size", "inclusion_path")}).encode()
        checkpoints[proof["tree_size"]] = proof["checkpoint"].encode()
    final = max(checkpoints)
    consistency = intake("GET", f"/ledger/consistency?from={first_size}&to={final}", token="local-auditor")[1]
    first_note = s3.get_object(Bucket=stack.env["EVIDENCE_BUCKET"],
                               Key=f"ledger/checkpoints/{first_size:020d}")["Body"].read()
    files |= {"events.jsonl": b"\n".join(lines) + b"\n", f"checkpoints/{final}.note": checkpoints[final],
              f"checkpoints/{first_size}.note": first_note,
              f"consistency/{first_size}-{final}.json": json.dumps(consistency).encode(),
              f"keys/{keys['key_name']}.pem": keys["public_key_pem"].encode()}
    bundle = Bundle(files)
    kms = boto3.client("kms", region_name="us-east-1")

    def sign(data):
        return kms.sign(KeyId=stack.env["CHECKPOINT_KEY_ID"], Message=data, MessageType="RAW",
                        SigningAlgorithm="ECDSA_SHA_256")["Signature"]

    origin = checkpoint.parse_checkpoint_body(checkpoint.parse_signed_note(checkpoints[final])[0])[0]
    seal_manifest(bundle, {"origin": origin, "scope": {"request_id": rid}, "events": ids,
                           "complete_chains": True}, keys["key_name"], sign)
    write_folder(bundle, tmp_path)
    assert main(["verify", str(tmp_path)]) == 0
    (tmp_path / "events.jsonl").write_bytes(b"\n".join(lines[:-1]) + b"\n")
    assert main(["verify", str(tmp_path)]) == 1
