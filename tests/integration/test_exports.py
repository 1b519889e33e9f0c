"""Evidence exports through the export function's HTTP surface, against moto: scopes, bundle contents, offline
verification, delivery by presigned URL, the export's own audit event, queued builds and Query-only reads."""

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from ccpa_audit.cli import main as cli
from tests.bundles import proof_records

WEB = {"channel": "web_form", "consumer": {"email": "ana@example.com"}}



def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def create(intake, kind="delete", email="ana@example.com"):
    status, body, _ = intake("POST", "/requests", {"type": kind, "channel": "web_form",
                                                   "consumer": {"email": email}})
    assert status == 201, body
    return body["request_id"]


def act(intake, rid, **action):
    status, body, _ = intake("POST", f"/requests/{rid}/actions", action, token="local-analyst")
    assert status == 200, body
    return body


def export(exporter, token="local-auditor", **scope):
    return exporter("POST", "/exports", scope, token=token)


def download(url):
    """The presigned URL's object, fetched with the URL's own bucket, key and version (moto checks no signature)."""
    parts = urlsplit(url)
    host_bucket = parts.netloc.split(".s3")[0] if ".s3" in parts.netloc else None
    path = parts.path.lstrip("/")
    bucket, key = (host_bucket, path) if host_bucket else path.split("/", 1)
    version = parse_qs(parts.query)["versionId"][0]
    return boto3.client("s3", region_name="us-east-1").get_object(Bucket=bucket, Key=key, VersionId=version)


def bundle_of(out):
    data = download(out["url"])["Body"].read()
    return data, zipfile.ZipFile(io.BytesIO(data))


def verify(data, tmp_path, name="bundle.zip"):
    path = tmp_path / name
    path.write_bytes(data)
    return cli(["verify", str(path)])


def manifest(archive):
    return json.loads(archive.read("manifest.json"))


def events_in(archive):
    return [json.loads(line) for line in archive.read("events.jsonl").splitlines()]


# --------------------------------------------------------------------------------------------- one request


def test_a_request_spanning_fourteen_months_exports_its_complete_record_and_verifies_offline(
        intake, exporter, clock, tmp_path):
    clock.offset = -timedelta(days=426)
    rid = create(intake)
    act(intake, rid, action="acknowledge", sent_at=iso(clock()), method="email")
    clock.offset = -timedelta(days=424)
    act(intake, rid, action="verify", method="email_code", outcome="verified", level="reasonable")
    clock.offset = -timedelta(days=400)
    act(intake, rid, action="respond", sent_at=iso(clock()), method="email", summary="Deleted everywhere.")
    clock.offset = timedelta()

    status, out, headers = export(exporter, request_id=rid)

    assert status == 201, out
    assert out["status"] == "ready" and len(out["sha256"]) == 64
    assert headers["Location"] == f"/exports/{out['export_id']}"
    data, archive = bundle_of(out)
    import hashlib

    assert hashlib.sha256(data).hexdigest() == out["sha256"]
    names = set(archive.namelist())
    assert {"manifest.json", "manifest.sig", "events.jsonl", "events.csv", "summary.html", "VERIFY.md"} <= names
    assert any(n.startswith("keys/") and n.endswith(".pem") for n in names)
    assert any(n.startswith("checkpoints/") for n in names)
    types = [event["type"] for event in events_in(archive)]
    assert out["event_count"] == len(types) == manifest(archive)["counts"]["events"]
    assert [t for t in types if t != "suppression_started"] == [
        "request_received", "request_acknowledged", "identity_verified", "response_sent"]
    recorded = [event["recorded_at"] for event in events_in(archive)]
    assert recorded[0] < iso(datetime.now(UTC) - timedelta(days=420))  # the history really is 14 months old
    assert verify(data, tmp_path) == 0


def test_the_manifest_says_what_was_asked_by_whom_and_lists_every_file_with_its_hash(intake, exporter):
    import hashlib

    rid = create(intake)
    status, out, _ = export(exporter, request_id=rid)
    _, archive = bundle_of(out)
    meta = manifest(archive)

    assert meta["format"] == "ccpa-audit/bundle/v3"
    assert meta["scope"] == {"request_id": rid}
    assert meta["requested_by"] == {"type": "staff", "id": "local-auditor", "role": "auditor"}
    assert meta["export_id"] == out["export_id"] and meta["requested_at"] == out["requested_at"]
    assert meta["tool"]["name"] == "ccpa-audit" and meta["tool"]["version"]
    assert meta["counts"]["events"] == 1 and meta["counts"]["requests"] == 1
    assert meta["keys"][0]["key_id"] and meta["keys"][0]["algorithm"] == "ECDSA_P256_SHA256"
    listed = {entry["path"]: entry["sha256"] for entry in meta["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json", "manifest.sig"}
    assert all(hashlib.sha256(archive.read(path)).hexdigest() == digest for path, digest in listed.items())
    assert "ana@example.com" not in archive.read("manifest.json").decode()


def test_unsealed_events_are_sealed_first_so_every_event_has_a_proof(intake, exporter, tmp_path):
    rid = create(intake)  # nothing has been sealed yet
    status, out, _ = export(exporter, request_id=rid)
    data, archive = bundle_of(out)
    meta = manifest(archive)

    assert out["unsealed_count"] == 0 and meta["unsealed"] == []
    event_id = meta["events"][0]
    proof = proof_records(archive)[0]
    assert proof.event_id == event_id and proof.tree_size == meta["tree_size"] >= 1
    assert verify(data, tmp_path) == 0


def test_any_tampering_with_an_exported_bundle_fails_verification(intake, exporter, tmp_path):
    rid = create(intake)
    act(intake, rid, action="acknowledge", sent_at=iso(datetime.now(UTC)), method="email")
    _, out, _ = export(exporter, request_id=rid)
    data, archive = bundle_of(out)

    def rezip(change):
        files = {name: archive.read(name) for name in archive.namelist()}
        change(files)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as target:
            for name, body in files.items():
                target.writestr(name, body)
        return buffer.getvalue()

    def edit_event(files):
        files["events.jsonl"] = files["events.jsonl"].replace(b"ana@example.com", b"bob@example.com")

    def edit_summary(files):
        files["summary.html"] = files["summary.html"].replace(b"</body>", b"<p>all clocks met</p></body>")

    def drop_event(files):
        files["events.jsonl"] = files["events.jsonl"].splitlines(keepends=True)[0]

    def edit_manifest(files):
        files["manifest.json"] = files["manifest.json"].replace(b'"complete_chains": true',
                                                                b'"complete_chains": false')

    for number, change in enumerate((edit_event, edit_summary, drop_event, edit_manifest)):
        assert verify(rezip(change), tmp_path, f"tampered-{number}.zip") == 1, change.__name__


# --------------------------------------------------------------------------------------------- scopes


@pytest.fixture
def mix(intake):
    """Two consumers, several request types, one of them read by an analyst (a standalone audit_read)."""
    ids = {
        "ana_delete": create(intake, "delete", "ana@example.com"),
        "ana_optout": create(intake, "opt_out_sale_sharing", "ana@example.com"),
        "bob_delete": create(intake, "delete", "bob@example.com"),
        "bob_know": create(intake, "know", "bob@example.com"),
    }
    assert intake("GET", f"/requests/{ids['ana_delete']}", token="local-analyst")[0] == 200
    return ids


def scoped(exporter, **scope):
    status, out, _ = export(exporter, **scope)
    assert status == 201, out
    _, archive = bundle_of(out)
    events = events_in(archive)
    return out, {event["request_id"] for event in events if event["request_id"]}, events


def test_consumer_scope_holds_the_consumers_requests_and_standalone_events_only(exporter, mix):
    out, requests, events = scoped(exporter, consumer_email="ANA@example.com ")
    assert requests == {mix["ana_delete"], mix["ana_optout"]}
    reads = [event for event in events if event["type"] == "audit_read"]
    assert reads and all(event["request_id"] is None for event in reads)
    assert out["scope"]["consumer_tag"] and "consumer_email" not in out["scope"]


def test_action_type_scope_takes_a_request_type_or_an_event_type(exporter, mix):
    _, requests, _ = scoped(exporter, action_type="delete")
    assert requests == {mix["ana_delete"], mix["bob_delete"]}
    _, requests, events = scoped(exporter, action_type="audit_read")
    assert requests == set() and {event["type"] for event in events} == {"audit_read"}


def test_scopes_combine_as_an_intersection(exporter, mix):
    _, requests, _ = scoped(exporter, consumer_email="bob@example.com", action_type="know")
    assert requests == {mix["bob_know"]}
    out, requests, _ = scoped(exporter, request_id=mix["ana_delete"], consumer_email="bob@example.com")
    assert requests == set() and out["event_count"] == 0


def test_date_range_scope_takes_requests_received_in_the_range(intake, exporter, clock, mix):
    clock.offset = -timedelta(days=60)
    old = create(intake, "know", "carla@example.com")
    clock.offset = timedelta()
    today = datetime.now(UTC)
    _, requests, _ = scoped(exporter, **{"from": (today - timedelta(days=2)).date().isoformat()})
    assert requests == set(mix.values())
    _, requests, _ = scoped(exporter, **{"from": iso(today - timedelta(days=61)), "to": iso(today - timedelta(days=59))})
    assert requests == {old}
    _, requests, _ = scoped(exporter, consumer_email="carla@example.com",
                            **{"to": (today - timedelta(days=30)).date().isoformat()})
    assert requests == {old}


def test_scopes_are_read_with_queries_only(exporter, mix, aws_calls):
    for scope in ({"request_id": mix["ana_delete"]}, {"consumer_email": "ana@example.com"},
                  {"action_type": "delete"}, {"action_type": "audit_read"},
                  {"from": datetime.now(UTC).date().isoformat()}):
        assert export(exporter, **scope)[0] == 201
    operations = aws_calls.ops("dynamodb")
    assert "Query" in operations and "Scan" not in operations


# --------------------------------------------------------------------------------------------- contents


def test_events_csv_has_analyst_columns_and_no_identifiers(exporter, mix):
    _, out, _ = export(exporter, consumer_email="ana@example.com")
    _, archive = bundle_of(out)
    text = archive.read("events.csv").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {"request_id", "request_type", "event_type", "occurred_at", "event_id", "event_hash"} <= set(rows[0])
    assert len(rows) == out["event_count"]
    assert "ana@example.com" not in text


def test_summary_html_shows_each_requests_timeline_and_clocks_offline(intake, exporter):
    rid = create(intake, "know")
    act(intake, rid, action="respond", sent_at=iso(datetime.now(UTC)), method="email", summary="Sent.")
    _, out, _ = export(exporter, request_id=rid)
    _, archive = bundle_of(out)
    html = archive.read("summary.html").decode()
    assert rid in html and "respond_by" in html and "Met" in html
    assert "<script" not in html and "https://" not in html and "http://" not in html


# --------------------------------------------------------------------------------------------- delivery


def test_the_bundle_is_locked_and_the_url_expires_in_fifteen_minutes_unless_configured(
        intake, exporter, s3, monkeypatch):
    rid = create(intake)
    _, out, _ = export(exporter, request_id=rid)
    query = parse_qs(urlsplit(out["url"]).query)
    assert query["X-Amz-Expires"] == ["900"] and "X-Amz-Signature" in query and "versionId" in query
    expires = datetime.fromisoformat(out["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    head = download(out["url"])
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] > datetime.now(UTC)

    from shared import wiring

    monkeypatch.setenv("PRESIGN_EXPIRY_SECONDS", "120")
    wiring.reset()
    status, again, _ = exporter("GET", f"/exports/{out['export_id']}", token="local-analyst")
    assert status == 200 and again["status"] == "ready" and again["sha256"] == out["sha256"]
    assert parse_qs(urlsplit(again["url"]).query)["X-Amz-Expires"] == ["120"]


def test_every_export_is_an_audit_event_and_so_is_minting_a_fresh_url(intake, exporter, ddb, stack):
    rid = create(intake)
    _, out, _ = export(exporter, request_id=rid)
    exporter("GET", f"/exports/{out['export_id']}", token="local-analyst")

    from shared import wiring

    created = wiring.exports().scopes.events(event_type="export_created")
    assert len(created) == 1
    body = wiring.ledger().evidence.get_version(created[0].s3_key, created[0].s3_version_id)
    event = json.loads(body)
    assert event["actor"] == {"type": "staff", "id": "local-auditor", "role": "auditor"}
    assert event["details"]["export_id"] == out["export_id"]
    assert event["details"]["scope"] == {"request_id": rid}
    assert event["details"]["event_count"] == 1 and event["details"]["bundle_sha256"] == out["sha256"]
    reads = [json.loads(wiring.ledger().evidence.get_version(e.s3_key, e.s3_version_id))
             for e in wiring.exports().scopes.events(event_type="audit_read")]
    assert any(read["details"]["scope"] == {"export_id": out["export_id"]} for read in reads)


def test_large_scopes_build_from_the_queue_with_progress_then_poll_to_ready(
        intake, exporter, stack, monkeypatch, tmp_path):
    from ccpa_audit.local.queues import pump_once
    from functions.export import app
    from shared import wiring

    for email in ("a@example.com", "b@example.com", "c@example.com"):
        create(intake, "delete", email)
    monkeypatch.setenv("EXPORT_SYNC_MAX_EVENTS", "2")
    wiring.reset()

    status, out, _ = export(exporter, action_type="delete")

    assert status == 202 and out["status"] == "building" and out["url"] is None
    assert out["progress"] == {"done": 0, "total": 3}
    status, polled, _ = exporter("GET", f"/exports/{out['export_id']}", token="local-analyst")
    assert status == 200 and polled["status"] == "building"
    sqs = boto3.client("sqs", region_name="us-east-1")
    assert pump_once(sqs, stack.env["EXPORT_QUEUE_URL"], app.lambda_handler, batch=1) == 1
    status, ready, _ = exporter("GET", f"/exports/{out['export_id']}", token="local-analyst")
    assert ready["status"] == "ready" and ready["event_count"] == 3
    assert ready["progress"] == {"done": 3, "total": 3}
    data, _ = bundle_of(ready)
    assert verify(data, tmp_path) == 0


def test_a_redelivered_job_builds_nothing_twice(intake, exporter, stack, monkeypatch):
    from functions.export import app
    from shared import wiring
    from shared.services.exports import run_export_job

    create(intake)
    create(intake, email="b@example.com")
    monkeypatch.setenv("EXPORT_SYNC_MAX_EVENTS", "1")
    wiring.reset()
    _, out, _ = export(exporter, action_type="delete")
    assert app  # the handler module is loaded; the service is driven directly to redeliver at will
    for _ in range(3):
        run_export_job(wiring.ledger(), wiring.exports(), out["export_id"], last_attempt=False)
    assert len(wiring.exports().scopes.events(event_type="export_created")) == 1
    versions = boto3.client("s3", region_name="us-east-1").list_object_versions(
        Bucket=stack.env["EXPORT_BUCKET"], Prefix=f"exports/{out['export_id']}")
    assert len(versions["Versions"]) == 1


# --------------------------------------------------------------------------------------------- refusals


def test_bad_scopes_are_refused_naming_the_field_and_nothing_is_written(exporter, intake, stack):
    from shared import wiring

    cases = [({}, 422, "request_id"), ({"action_type": "explode"}, 422, "action_type"),
             ({"consumer_email": "not-an-email"}, 422, "consumer_email"),
             ({"from": "2025-02-01", "to": "2025-01-01"}, 422, "to"),
             ({"request_id": "nope", "shoe": 1}, 422, "shoe"),
             ({"request_id": "01900000-0000-7000-8000-000000000000"}, 404, None)]
    for body, code, field in cases:
        status, out, _ = export(exporter, **body)
        assert status == code, (body, out)
        if field:
            assert out["error"] == "validation_failed" and field in json.dumps(out["details"]), out
    assert wiring.exports().scopes.events(event_type="export_created") == []
    assert exporter("GET", "/exports/none", token="local-auditor")[0] == 404


def test_only_analysts_and_auditors_export_and_roles_are_checked_before_the_body(exporter):
    assert export(exporter, token=None)[0] == 401
    for role in ("agent", "service", "admin"):
        assert exporter("POST", "/exports", None, token=f"local-{role}", raw=b"{not json")[0] == 403
    assert exporter("GET", "/reports/metrics?year=2026", token="local-agent")[0] == 403


# --------------------------------------------------------------------------------------------- 7102 metrics


@pytest.fixture
def year_mix(intake, clock):
    """2025: deletes answered in 10 and 20 days (complied, denied), one still open; a know answered the same
    day; an opt-out not yet honored. 2024: one delete that must not count."""
    start = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)

    def at(moment):
        clock.offset = moment - datetime.now(UTC)

    at(datetime(2024, 12, 2, 18, 0, tzinfo=UTC))
    create(intake, "delete", "old@example.com")
    at(start)
    complied, denied, _ = (create(intake, "delete", f"d{n}@example.com") for n in range(3))
    know = create(intake, "know", "k@example.com")
    act(intake, know, action="respond", sent_at=iso(clock()), method="email", summary="Here it is.")
    create(intake, "opt_out_sale_sharing", "o@example.com")
    at(start + timedelta(days=10))
    act(intake, complied, action="respond", sent_at=iso(clock()), method="email", summary="Deleted.")
    at(start + timedelta(days=20))
    act(intake, denied, action="deny", basis="not_california_consumer", explanation="Lives in Oregon.",
        sent_at=iso(clock()))
    clock.offset = timedelta()


def test_metrics_report_counts_a_known_mix_of_requests_from_the_ledger(exporter, year_mix):
    status, report, _ = exporter("GET", "/reports/metrics?year=2025", token="local-auditor")
    assert status == 200, report
    assert report["year"] == 2025 and report["regulation"] == "11 CCR 7102(a)"
    delete = report["by_type"]["delete"]
    assert (delete["received"], delete["complied_in_whole_or_in_part"], delete["denied"], delete["pending"]) == \
        (3, 1, 1, 1)
    assert (delete["median_days_to_respond"], delete["mean_days_to_respond"]) == (15.0, 15.0)
    know = report["by_type"]["know"]
    assert (know["received"], know["complied_in_whole_or_in_part"], know["median_days_to_respond"]) == (1, 1, 0)
    assert report["by_type"]["opt_out_sale_sharing"]["pending"] == 1
    assert report["by_type"]["correct"]["received"] == 0
    assert report["total"]["received"] == 5
    assert exporter("GET", "/reports/metrics?year=2024", token="local-auditor")[1]["total"]["received"] == 1


def test_metrics_csv_and_the_same_figures_in_an_export_of_that_year(exporter, year_mix, tmp_path):
    event = http_event("/reports/metrics?year=2025&format=csv")
    from functions.export import app
    from ccpa_audit.local.gateway import LambdaContext

    result = app.lambda_handler(event, LambdaContext(function_name="export", aws_request_id="t"))
    assert result["statusCode"] == 200 and result["headers"]["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(result["body"])))
    assert [row["request_type"] for row in rows][-1] == "total"
    assert next(r for r in rows if r["request_type"] == "delete")["denied"] == "1"

    status, out, _ = export(exporter, **{"from": "2025-01-01", "to": "2025-12-31", "metrics_year": 2025})
    assert status == 201, out
    data, archive = bundle_of(out)
    assert json.loads(archive.read("metrics.json"))["by_type"]["delete"]["denied"] == 1
    assert archive.read("metrics.csv").decode().replace("\r\n", "\n") == result["body"].replace("\r\n", "\n")
    assert "7102" in archive.read("summary.html").decode()
    assert verify(data, tmp_path) == 0


def test_bad_years_are_refused_and_reading_the_report_is_audited(exporter, stack):
    for query in ("", "?year=25", "?year=abcd", "?year=2025&format=xml"):
        status, out, _ = exporter("GET", f"/reports/metrics{query}", token="local-analyst")
        assert status == 422, (query, out)
    assert exporter("GET", "/reports/metrics?year=2026", token="local-analyst")[0] == 200
    from shared import wiring

    reads = [json.loads(wiring.ledger().evidence.get_version(e.s3_key, e.s3_version_id))
             for e in wiring.exports().scopes.events(event_type="audit_read")]
    assert [read["details"]["scope"] for read in reads] == [{"report": "ccpa_7102_metrics", "year": 2026}]


def http_event(path, token="local-auditor"):
    from ccpa_audit.local.gateway import http_api_event

    return http_api_event("GET", path, {"Authorization": f"Bearer {token}"}, b"", "198.51.100.7")


def test_verify_pins_the_key_published_at_ledger_keys_and_refuses_a_bundle_under_another_key(
        intake, exporter, tmp_path, capsys):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.bundles import build_bundle as forged_bundle
    from tests.bundles import synthetic_envelopes

    status, published, _ = intake("GET", "/ledger/keys")
    assert status == 200 and len(published["keys"][0]["fingerprint"]) == 64

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  http.server's naming
            body = json.dumps(published).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/ledger/keys"
    try:
        rid = create(intake)
        _, out, _ = export(exporter, request_id=rid)
        data, archive = bundle_of(out)
        assert published["keys"][0]["fingerprint"] in archive.read("VERIFY.md").decode()
        capsys.readouterr()
        assert cli(["verify", str(_saved(tmp_path, data)), "--key", url]) == 0
        printed = capsys.readouterr().out
        assert f"Signed by key sha256:{published['keys'][0]['fingerprint']}" in printed
        assert "Trust: pinned to published keys at" in printed
        assert cli(["verify", str(_saved(tmp_path, data)), "--key", published["keys"][0]["fingerprint"]]) == 0

        from shared.ledger.bundle_format import to_zip

        forged = to_zip(forged_bundle(synthetic_envelopes(2, 2), key=ec.generate_private_key(ec.SECP256R1())))
        assert cli(["verify", str(_saved(tmp_path, forged, "forged.zip"))]) == 0  # consistent under its own key
        assert cli(["verify", str(_saved(tmp_path, forged, "forged.zip")), "--key", url]) == 1
    finally:
        server.shutdown()


def _saved(tmp_path, data, name="bundle.zip"):
    path = tmp_path / name
    path.write_bytes(data)
    return path
