"""Seal-time proofs (issue 16): the sealer records each event's inclusion path against the checkpoint it signs, and
an export through the handler builds its proofs from those paths, reading no Merkle tile for them; the one
consistency proof per sealing checkpoint is computed once (by the sealer, from the checkpoint before the one it
signs; otherwise by the first export that needs it) and then read back, with that checkpoint, as one object."""

import json
import zipfile
from datetime import UTC, datetime
from io import BytesIO

import pytest

from ccpa_audit.cli import main as cli
from shared import wiring
from shared.ledger import checkpoint, merkle
from shared.services.merkle_log import checkpoint_key, consistency_key, public_key_pem
from shared.services.sealed_access import sealed_access_events
from tests.bundles import proof_records
from tests.integration.test_exports import act, bundle_of, create, export, iso
from tests.integration.test_access_batches import batcher, item, post  # noqa: F401  (batcher: a fixture)
from tests.integration.test_ledger_seal import first_event_id, seal

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def s3_reads():
    """Keys of every S3 GetObject the functions make, in order."""
    keys: list[str] = []

    def record(params, **_):  # noqa: ANN001, ANN003
        keys.append(params.get("Key", ""))

    client = wiring.aws_client("s3")
    client.meta.events.register("provide-client-params.s3.GetObject", record, unique_id="seal-time-proofs")
    yield keys
    client.meta.events.unregister("provide-client-params.s3.GetObject", unique_id="seal-time-proofs")


def test_the_sealer_records_each_events_path_against_the_checkpoint_it_signs(intake):
    first = create(intake)
    for _ in range(4):
        create(intake, email="other@example.com")
    assert seal()["sealed"] == 5
    for _ in range(3):
        create(intake, email="later@example.com")
    assert seal() == {"tree_size": 8, "sealed": 3}

    log = wiring.merkle_log()
    pem = public_key_pem(log.signer.public_key_der()).encode()
    stored = wiring.ledger().index.find_event(first_event_id(intake, first))
    assert stored.sealed_size == 5 and stored.inclusion_path is not None
    note = log.objects.get_current(checkpoint_key(5))[0]
    _, size, root = checkpoint.open_signed_checkpoint(note, log.key_name, pem)
    path = [stored.inclusion_path[i:i + 32] for i in range(0, len(stored.inclusion_path), 32)]
    leaf = merkle.leaf_hash(merkle.leaf_data(stored.event_hash, stored.consumer_tag))
    assert merkle.verify_inclusion(leaf, stored.leaf_index, size, path, root)
    # The state item keeps the latest tree's right edge (8 leaves: one complete subtree), which gives its root.
    state = log.state.get()
    edge = dict(zip(merkle.edge_nodes(8), (bytes.fromhex(h) for h in state.edge), strict=True))
    assert merkle.root_at(8, lambda level, index: edge[level, index]).hex() == state.root


def test_an_export_reads_no_tile_for_its_proofs_and_the_consistency_proof_once(intake, exporter, s3_reads, tmp_path,
                                                                                capsys):
    rid = create(intake)
    create(intake, email="other@example.com")
    assert seal()["sealed"] == 2
    act(intake, rid, action="acknowledge", sent_at=iso(datetime.now(UTC)), method="email")
    middle = seal()["tree_size"]
    for _ in range(2):
        create(intake, email="later@example.com")
    latest = seal()["tree_size"]
    assert 2 < middle < latest

    s3_reads.clear()
    status, out, _ = export(exporter, request_id=rid)
    assert status in (200, 201, 202), out
    data, archive = bundle_of(out)
    first_reads = list(s3_reads)
    names = set(archive.namelist())
    meta = json.loads(archive.read("manifest.json"))
    proofs = proof_records(archive)
    assert meta["format"] == "ccpa-audit/bundle/v3" and [n for n in names if n.startswith("proofs/")] == ["proofs/inclusion.bin"]
    assert [p.tree_size for p in proofs] == [2, middle]  # each against the checkpoint that sealed it
    assert {"checkpoints/2.note", f"checkpoints/{middle}.note", f"checkpoints/{latest}.note",
            f"consistency/2-{latest}.json", f"consistency/{middle}-{latest}.json"} <= names
    with zipfile.ZipFile(BytesIO(data)) as zipped:
        assert {i.compress_type for i in zipped.infolist()} == {zipfile.ZIP_DEFLATED}
    (tmp_path / "bundle.zip").write_bytes(data)
    assert cli(["verify", str(tmp_path / "bundle.zip")]) == 0
    assert "OK: every event" in capsys.readouterr().out
    tile_reads = [k for k in first_reads if k.startswith("ledger/tile/")]
    assert tile_reads, "the first export computes the consistency proof 2 -> latest from tiles"
    # The sealer stored the proof from the checkpoint before the latest as it signed the latest, with that
    # checkpoint: one object, no tiles and no checkpoint object for it.
    assert consistency_key(middle, latest) in first_reads and checkpoint_key(middle) not in first_reads

    s3_reads.clear()
    status, again, _ = export(exporter, request_id=rid)
    bundle_of(again)
    assert not [k for k in s3_reads if k.startswith(("ledger/tile/", "ledger/checkpoints/"))], s3_reads
    assert [k for k in s3_reads if k.startswith("ledger/")] == [consistency_key(2, latest),
                                                               consistency_key(middle, latest)]


def test_an_event_sealed_before_paths_were_recorded_gets_its_proof_from_the_tiles(intake, exporter, tmp_path, stack):
    import boto3

    rid = create(intake)
    seal()
    create(intake, email="other@example.com")
    latest = seal()["tree_size"]
    event_id = first_event_id(intake, rid)
    table = stack.env["INDEX_TABLE"]
    db = boto3.client("dynamodb", region_name="us-east-1")
    items = db.scan(TableName=table, FilterExpression="event_id = :e",
                    ExpressionAttributeValues={":e": {"S": event_id}})["Items"]
    for item in items:  # as the sealer left events before it recorded paths
        db.update_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="REMOVE inclusion_path")

    status, out, _ = export(exporter, request_id=rid)
    data, archive = bundle_of(out)
    proofs = proof_records(archive)
    assert [p.tree_size for p in proofs] == [latest]
    (tmp_path / "bundle.zip").write_bytes(data)
    assert cli(["verify", str(tmp_path / "bundle.zip")]) == 0


def test_batched_access_events_keep_their_path_so_their_bundle_reads_no_tile(intake, batcher, s3_reads, tmp_path):
    from shared.ledger.envelope import Actor
    from shared.models.export import ExportJob, ExportScope
    from shared.services.build_bundle import build_bundle
    from shared.services.export_selection import Selection

    ids = post(intake, [item(n) for n in range(0, 25, 5)])[1]["event_ids"]  # all five for one consumer
    batcher.pump_once()
    seal()
    create(intake)  # a later checkpoint: the batched events' proofs are against the one before it
    seal()
    log = wiring.merkle_log()
    events = list(sealed_access_events(log.access_leaves, log.objects, dict.fromkeys(ids)).values())
    assert all(e.inclusion_path is not None and e.sealed_size < log.state.get().size for e in events)

    s3_reads.clear()
    job = ExportJob(export_id="e-1", status="building", scope=ExportScope(consumer_tag=events[0].consumer_tag),
                    requested_by=Actor(type="staff", id="auditor-1", role="auditor"), requested_at=datetime.now(UTC))
    built = build_bundle(wiring.ledger(), log, Selection(requests=[], standalone=events), job, None,
                         lambda done, total: None)

    assert not [k for k in s3_reads if k.startswith(("ledger/tile/", "ledger/checkpoints/"))], s3_reads
    archive = zipfile.ZipFile(BytesIO(built.data))
    proofs = proof_records(archive)
    assert {p.tree_size for p in proofs} == {events[0].sealed_size}
    (tmp_path / "access.zip").write_bytes(built.data)
    assert cli(["verify", str(tmp_path / "access.zip")]) == 0
