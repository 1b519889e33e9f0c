"""The bundle's human-facing files: events.csv, summary.html and VERIFY.md rendered from hand-built contents."""

import csv
import io
import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.clocks.engine import ClockRules
from shared.ledger import proof_file
from shared.ledger.bundle_format import write_folder
from shared.ledger.envelope import Actor, build_envelope
from shared.models.domain import Channel, ClockName, RequestStatus, RequestType
from shared.models.export import ExportContents, ExportedEvent, ExportedRequest, MetricsReport, MetricsRow
from shared.models.records import ClockRecord, DownstreamState, RequestRecord
from shared.services.export_documents import CSV_COLUMNS, clock_verdict, events_csv, summary_html, verify_md
from shared.services.ledger_writer import stored_event
from tests.bundles import KEY_NAME, ORIGIN, build_bundle, synthetic_envelopes

RULES = ClockRules()
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
EMAIL = "alice@example.com"
SCRIPT = "<script>alert('x')</script>"
STAFF = Actor(type="staff", id="agent-7", role="agent")
SUPPRESSOR = Actor(type="system", id="suppression")
DELETE_ID = "01890000-0000-7000-8000-0000000a0000"
OPT_OUT_ID = "01890000-0000-7000-8000-0000000b0000"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def chain(request_id: str, tag: str, steps: list[tuple], first_leaf: int) -> list[ExportedEvent]:
    """steps: (type, occurred_at, actor, details, sealed); sealed events get consecutive leaf indexes."""
    events, prev, leaf = [], None, first_leaf
    for seq, (kind, moment, actor, details, sealed) in enumerate(steps, start=1):
        envelope = build_envelope(
            event_id=f"{request_id[:-4]}{seq:04d}", type=kind, actor=actor, occurred_at=moment,
            recorded_at=moment + timedelta(seconds=2), record_type="consumer_request",
            retain_until=datetime(2030, 1, 1, tzinfo=UTC), details=details, request_id=request_id, seq=seq,
            prev_event_hash=prev, consumer_tag=tag, nonce="ab" * 32)
        stored = stored_event(envelope, f"events/requests/{request_id}/{seq:08d}.json", "v1")
        if sealed:
            stored = stored.model_copy(update={"leaf_index": leaf})
            leaf += 1
        events.append(ExportedEvent(stored=stored, envelope=envelope))
        prev = envelope.hash()
    return events


def record(request_id: str, kind: RequestType, channel: Channel, status: RequestStatus, events: list[ExportedEvent],
           clocks: dict[ClockName, ClockRecord], **extra) -> RequestRecord:
    return RequestRecord(
        request_id=request_id, type=kind, channel=channel, status=status,
        received_at=events[0].stored.occurred_at, recorded_at=events[0].stored.recorded_at,
        consumer_tag=events[0].stored.consumer_tag, clocks=clocks, chain_seq=len(events),
        chain_head=events[-1].stored.event_hash, intake_key=events[0].stored.s3_key, intake_version="v1", **extra)


def received(kind: str, channel: str) -> dict:
    return {"request": {"type": kind, "channel": channel},
            "submission": {"consumer": {"email": EMAIL, "name": "Alice Example"}}}


def delete_request() -> ExportedRequest:
    """A deletion whose history spans 14 months: acknowledged on time, answered late, confirmed by a slow system."""
    events = chain(DELETE_ID, "11" * 32, [
        ("request_received", at("2025-09-03T05:30:00"), STAFF, received("delete", "email"), True),  # 9-02 in LA
        ("request_acknowledged", at("2025-09-05T17:00:00"), STAFF, {"method": "email"}, True),
        ("identity_verified", at("2025-09-08T17:00:00"), STAFF, {"outcome": "verified", "level": "reasonable"}, True),
        ("suppression_started", at("2025-09-08T17:00:05"), SUPPRESSOR,
         {"execution": "x", "systems": [{"system_id": "crm"}]}, True),
        ("instruction_sent", at("2025-09-08T17:00:10"), SUPPRESSOR,
         {"system_id": "crm", "instruction_id": "i-1", "attempt": 1}, True),
        ("response_sent", at("2025-10-20T17:00:00"), Actor(type="staff", id=SCRIPT, role="agent"),
         {"outcome": SCRIPT, "summary": "deleted"}, True),
        ("confirmation_received", at("2026-11-02T17:00:00"), Actor(type="downstream", id="crm"),
         {"system_id": "crm", "instruction_id": "i-1", "via": "callback"}, True),
    ], first_leaf=0)
    clocks = {
        ClockName.ACKNOWLEDGE_BY: ClockRecord(due=date(2025, 9, 16), satisfied_at=at("2025-09-05T17:00:00")),
        ClockName.RESPOND_BY: ClockRecord(due=date(2025, 10, 17), satisfied_at=at("2025-10-20T17:00:00")),
    }
    downstream = {"crm": DownstreamState(status="confirmed", attempts=1, instruction_sent_at=at("2025-09-08T17:00:10"),
                                         confirmed_at=at("2026-11-02T17:00:00"))}
    return ExportedRequest(record(DELETE_ID, RequestType.DELETE, Channel.EMAIL, RequestStatus.RESPONDED, events,
                                  clocks, downstream=downstream), events)


def opt_out_request() -> ExportedRequest:
    """An opt-out still open; its latest event (a failure with a formula-looking error) is not sealed yet."""
    events = chain(OPT_OUT_ID, "22" * 32, [
        ("request_received", at("2026-11-10T20:00:00"), Actor(type="consumer"),
         received("opt_out_sale_sharing", "web_form"), True),
        ("instruction_failed", at("2026-11-19T20:00:00"), SUPPRESSOR,
         {"system_id": "@ads", "instruction_id": "i-2", "attempt": 1, "error": "=HYPERLINK(\"http://x\")",
          "will_retry": True}, False),
    ], first_leaf=7)
    clocks = {ClockName.HONOR_BY: ClockRecord(due=date(2026, 12, 2))}
    return ExportedRequest(record(OPT_OUT_ID, RequestType.OPT_OUT_SALE_SHARING, Channel.WEB_FORM,
                                  RequestStatus.IN_PROGRESS, events, clocks), events)


def standalone_event() -> ExportedEvent:
    envelope = build_envelope(
        event_id="01890000-0000-7000-8000-0000000000ff", type="data_access",
        actor=Actor(type="staff", id="analyst-1", role="analyst"), occurred_at=at("2026-11-15T16:00:00"),
        recorded_at=at("2026-11-15T16:00:01"), record_type="access_event",
        retain_until=datetime(2030, 1, 1, tzinfo=UTC), consumer_tag="11" * 32, nonce="cd" * 32,
        details={"action": "read", "consumer": {"email": EMAIL}, "resource": "orders"})
    stored = stored_event(envelope, "events/standalone/2026/11/15/x.json", "v1").model_copy(update={"leaf_index": 9})
    return ExportedEvent(stored=stored, envelope=envelope)


def contents(metrics: MetricsReport | None = None) -> ExportContents:
    return ExportContents(
        export_id="exp-1", scope={"consumer_tag": "11" * 32, "from": "2025-01-01"},
        requested_by=Actor(type="staff", id="auditor-1", role="auditor"), requested_at=NOW,
        requests=[delete_request(), opt_out_request()], standalone=[standalone_event()], tree_size=10,
        metrics=metrics)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


# --- events.csv -----------------------------------------------------------------------------------------


def test_csv_has_the_exact_header_and_one_row_per_event_in_bundle_order():
    data = events_csv(contents(), RULES)
    header = data.split(b"\r\n", 1)[0].decode()
    assert header.split(",") == CSV_COLUMNS == [
        "request_id", "request_type", "channel", "event_seq", "event_type", "event_description", "occurred_at",
        "recorded_at", "occurred_date_local", "actor_type", "actor_id", "actor_role", "system_id", "outcome",
        "event_id", "event_hash", "prev_event_hash", "sealed", "leaf_index"]
    rows = csv_rows(data)
    assert [row["event_id"] for row in rows] == [e.envelope.event_id for e in contents().all_events()]
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    first = rows[0]
    assert first["request_type"] == "delete" and first["channel"] == "email" and first["event_seq"] == "1"
    assert first["event_description"] == "Request received"
    assert first["occurred_at"] == "2025-09-03T05:30:00.000Z" and first["occurred_date_local"] == "2025-09-02"
    assert first["prev_event_hash"] == "" and rows[1]["prev_event_hash"] == first["event_hash"]
    assert rows[5]["outcome"] == SCRIPT and rows[6]["event_description"] == "Downstream system confirmed"
    assert rows[6]["system_id"] == "crm"


def test_csv_marks_unsealed_events_and_leaves_request_columns_empty_when_standalone():
    rows = csv_rows(events_csv(contents(), RULES))
    unsealed = rows[8]
    assert unsealed["sealed"] == "no" and unsealed["leaf_index"] == ""
    assert rows[7]["sealed"] == "yes" and rows[7]["leaf_index"] == "7"
    standalone = rows[-1]
    assert standalone["request_id"] == standalone["request_type"] == standalone["event_seq"] == ""
    assert standalone["event_type"] == "data_access" and standalone["outcome"] == "read"
    assert standalone["actor_role"] == "analyst"


def test_csv_holds_no_consumer_email_when_events_carry_one():
    assert EMAIL.encode() not in events_csv(contents(), RULES)
    assert b"Alice" not in events_csv(contents(), RULES)


def test_csv_neutralizes_cells_that_a_spreadsheet_would_run_as_formulas():
    rows = csv_rows(events_csv(contents(), RULES))
    failed = rows[8]
    assert failed["system_id"] == "'@ads"
    assert failed["outcome"] == "'=HYPERLINK(\"http://x\")"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


# --- summary.html ---------------------------------------------------------------------------------------


def page(metrics: MetricsReport | None = None) -> str:
    return summary_html(contents(metrics), RULES, NOW).decode("utf-8")


def test_html_escapes_event_values_and_loads_nothing():
    text = page()
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text, re.IGNORECASE)
    assert "http://" not in text.replace("http://x", "") and "https://" not in text
    assert "@import" not in text and "url(" not in text


def test_html_has_one_section_per_request_with_consumer_timeline_and_downstream():
    text = page()
    assert re.findall(r'<section id="request-([^"]+)"', text) == [DELETE_ID, OPT_OUT_ID]
    assert text.count(EMAIL) == 2  # shown once per request, for the business and the regulator
    delete = text.split(f'id="request-{DELETE_ID}"')[1].split("</section>")[0]
    assert "Response sent to the consumer" in delete and "2025-09-02" in delete
    assert "<td>crm</td><td>confirmed</td><td>2025-09-08T17:00:10.000Z</td><td>2026-11-02T17:00:00.000Z</td>" in delete
    assert "Events outside any request" in text and "Personal data accessed" in text
    assert "ccpa-audit verify" in text and "VERIFY.md" in text and "events.jsonl" in text


def test_html_marks_and_counts_the_unsealed_event():
    text = page()
    assert "<dt>Unsealed events</dt><dd>1</dd>" in text
    assert text.count("NOT YET SEALED") == 2  # the warning and the event's badge
    opt_out = text.split(f'id="request-{OPT_OUT_ID}"')[1].split("</section>")[0]
    assert re.search(r'<tr class="unsealed">.*?NOT YET SEALED', opt_out)


def test_html_clock_verdicts_when_met_missed_and_open():
    delete = page().split(f'id="request-{DELETE_ID}"')[1].split("</section>")[0]
    assert re.search(r"<td>acknowledge_by</td><td>2025-09-16</td>.*?<strong>Met</strong>", delete)
    assert re.search(r"<td>respond_by</td><td>2025-10-17</td>.*?<strong>Missed</strong>", delete)
    assert "Open (due 2026-12-02" in page()


def test_clock_verdict_is_overdue_when_open_past_its_due_day():
    clock = ClockRecord(due=date(2026, 11, 10))
    assert clock_verdict(ClockName.RESPOND_BY, clock, NOW, RULES) == "Overdue"
    late = clock.model_copy(update={"satisfied_at": at("2026-11-11T08:00:00")})  # 11-11 00:00 in LA: a day late
    assert clock_verdict(ClockName.RESPOND_BY, late, NOW, RULES) == "Missed"
    in_time = clock.model_copy(update={"satisfied_at": at("2026-11-11T07:00:00")})  # still 11-10 in LA
    assert clock_verdict(ClockName.RESPOND_BY, in_time, NOW, RULES) == "Met"


def test_html_shows_metrics_only_when_given():
    assert "7102" not in page()
    report = MetricsReport(year=2025, time_zone="America/Los_Angeles", generated_at=NOW, rows=[
        MetricsRow("delete", received=12, complied_in_whole_or_in_part=9, denied=2, pending=1,
                   median_days_to_respond=20.5, mean_days_to_respond=None)])
    text = page(report)
    assert "11 CCR 7102 metrics, 2025" in text
    assert "<td>Delete</td><td>12</td><td>9</td><td>2</td><td>1</td><td>20.5</td><td>\u2014</td>" in text


def test_html_is_deterministic_for_the_same_inputs():
    assert summary_html(contents(), RULES, NOW) == summary_html(contents(), RULES, NOW)


# --- VERIFY.md ------------------------------------------------------------------------------------------


FINGERPRINT = "ab" * 32


def instructions() -> str:
    return verify_md(contents(), ORIGIN, KEY_NAME, "0.1.0", FINGERPRINT).decode("utf-8")


def test_verify_md_says_how_to_pin_the_published_key_and_compare_fingerprints():
    text = instructions()
    assert "ccpa-audit verify bundle.zip --key published.pem" in text
    assert f"`{FINGERPRINT}`" in text and "GET /ledger/keys" in text and "fingerprint" in text
    assert "openssl pkey -pubin -in <pem> -outform DER | sha256sum" in text
    assert "came from the bundle itself" in " ".join(text.split())


def test_verify_md_names_every_file_the_key_and_the_unsealed_event():
    text = instructions()
    for name in ("manifest.json", "manifest.sig", "events.jsonl", "events.csv", "summary.html", "proofs/inclusion.bin",
                 "checkpoints/", "consistency/", "keys/", "VERIFY.md"):
        assert f"`{name}" in text, name
    assert KEY_NAME in text and f"keys/{KEY_NAME}.pem" in text and ORIGIN in text
    assert 'pip install "ccpa-audit==0.1.0"' in text and "ccpa-audit verify bundle.zip" in text
    assert "ccpa-audit-leaf-v1" in text and "SHA-256(0x00 || leaf_data)" in text
    assert "`unsealed`" in text and "- `01890000-0000-7000-8000-0000000b0002`" in text


def code_block(text: str, language: str, containing: str) -> str:
    return next(b for b in re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL) if containing in b)


@pytest.fixture
def bundle_folder(tmp_path):
    lines = synthetic_envelopes(requests=3, per_request=4)
    write_folder(build_bundle(lines, [5, 9, 12], version=3), tmp_path)
    return tmp_path


def run_check_events(folder, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.chdir(folder)
    script = code_block(instructions(), "python", "root_from_inclusion_path")
    with pytest.raises(SystemExit) as exited:
        exec(compile(script, "check_events.py", "exec"), {"__name__": "__main__"})  # noqa: S102 - our own text
    return exited.value.code, capsys.readouterr().out


def test_verify_md_script_passes_a_valid_bundle(bundle_folder, monkeypatch, capsys):
    code, out = run_check_events(bundle_folder, monkeypatch, capsys)
    assert code == 0, out
    assert out.count(": OK") == 12 and "0 failure(s)" in out


def test_verify_md_script_fails_a_modified_event_and_reports_a_listed_unsealed_one(bundle_folder, monkeypatch,
                                                                                    capsys):
    events = bundle_folder / "events.jsonl"
    lines = events.read_bytes().splitlines()
    last = json.loads(lines[-1])["event_id"]
    proofs = bundle_folder / "proofs/inclusion.bin"
    proofs.write_bytes(proof_file.encode(p for p in proof_file.decode([proofs.read_bytes()]) if p.event_id != last))
    manifest = json.loads((bundle_folder / "manifest.json").read_bytes())
    (bundle_folder / "manifest.json").write_text(json.dumps({**manifest, "unsealed": [last]}))
    lines[4] = lines[4].replace(b'"step":1', b'"step":7')
    events.write_bytes(b"\n".join(lines) + b"\n")
    code, out = run_check_events(bundle_folder, monkeypatch, capsys)
    assert code == 1
    assert f"event {json.loads(lines[4])['event_id']}: FAIL" in out
    assert "FAIL (prev_event_hash does not match" in out
    assert f"event {last}: UNSEALED" in out


def test_verify_md_shell_steps_pass_a_valid_bundle_and_catch_an_edit(bundle_folder):
    script = "set -euo pipefail\n" + code_block(instructions(), "sh", "openssl")
    ok = subprocess.run(["bash", "-c", script], cwd=bundle_folder, capture_output=True, text=True, check=False)  # noqa: S603, S607
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("Verified OK") == 4  # the manifest and three checkpoints
    (bundle_folder / "events.jsonl").write_bytes(b"{}\n")
    bad = subprocess.run(["bash", "-c", script], cwd=bundle_folder, capture_output=True, text=True, check=False)  # noqa: S603, S607
    assert bad.returncode != 0 and "events.jsonl: FAILED" in bad.stdout
