"""The human-facing files of an evidence bundle: events.csv, summary.html and VERIFY.md. Pure: no AWS, no I/O.

These are convenience views. The evidence is events.jsonl with its proofs (docs/ledger-v1.md); the verifier
checks only these files' hashes, so nothing here may claim more than the ledger proves."""

import csv
import html
import io
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.clocks.engine import ClockRules, evaluate, receipt_day
from shared.ledger.envelope import Actor
from shared.models.domain import ClockName, EventType
from shared.models.export import ExportContents, ExportedEvent, ExportedRequest, MetricsReport
from shared.models.records import ClockRecord
from shared.timefmt import parse_rfc3339, rfc3339

_DESCRIPTIONS: dict[str, str] = {
    EventType.REQUEST_RECEIVED: "Request received",
    EventType.REQUEST_ACKNOWLEDGED: "Receipt acknowledged to the consumer",
    EventType.IDENTITY_VERIFIED: "Identity verified",
    EventType.IDENTITY_VERIFICATION_FAILED: "Identity could not be verified",
    EventType.REQUEST_EXTENDED: "Response deadline extended (consumer notified)",
    EventType.REQUEST_DENIED: "Request denied",
    EventType.RESPONSE_SENT: "Response sent to the consumer",
    EventType.CLOCK_AT_RISK: "Deadline at risk (alert)",
    EventType.CLOCK_OVERDUE: "Deadline passed (alert)",
    EventType.INSTRUCTION_SENT: "Instruction sent to a downstream system",
    EventType.CONFIRMATION_RECEIVED: "Downstream system confirmed",
    EventType.INSTRUCTION_FAILED: "Downstream instruction failed",
    EventType.INSTRUCTION_TIMED_OUT: "Downstream system did not confirm in time",
    EventType.CALLBACK_REFUSED: "Downstream callback refused",
    EventType.REQUEST_HONORED: "Request honored by every downstream system",
    EventType.REQUEST_PARTIALLY_HONORED: "Request honored in part",
    EventType.GPC_SIGNAL_RECEIVED: "Global Privacy Control signal received",
    EventType.DATA_ACCESS: "Personal data accessed",
    EventType.EXPORT_CREATED: "Evidence export created",
    EventType.AUDIT_READ: "Audit ledger read",
    EventType.SUPPRESSION_STARTED: "Downstream suppression started",
    EventType.SYSTEM_REGISTERED: "Downstream system registered",
    EventType.SYSTEM_UPDATED: "Downstream system updated",
    EventType.SYSTEM_REMOVED: "Downstream system removed",
}

_REQUEST_TYPES = {
    "opt_out_sale_sharing": "Opt-out of sale/sharing",
    "limit_sensitive_pi": "Limit use of sensitive PI",
    "delete": "Delete",
    "know": "Know (access)",
    "correct": "Correct",
    "total": "All request types",
}

# The detail keys that say how an event ended, in the order they are shown; free text (summaries, explanations)
# stays out because it may name people.
_OUTCOME_KEYS = ("outcome", "status", "basis", "result", "action", "error")
_OUTCOME_MAX = 120

CSV_COLUMNS = [
    "request_id", "request_type", "channel", "event_seq", "event_type", "event_description",
    "occurred_at", "recorded_at", "occurred_date_local", "actor_type", "actor_id", "actor_role", "system_id",
    "outcome", "event_id", "event_hash", "prev_event_hash", "sealed", "leaf_index",
]
# Spreadsheets run a cell starting with these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DASH = "\u2014"


def describe(event_type: str) -> str:
    return _DESCRIPTIONS.get(event_type) or event_type.replace("_", " ").capitalize()


def outcome(details: dict[str, Any]) -> str:
    values = [str(details[key]) for key in _OUTCOME_KEYS if isinstance(details.get(key), str | int | bool)]
    text = "; ".join(values)
    return text if len(text) <= _OUTCOME_MAX else text[: _OUTCOME_MAX - 1] + "\u2026"


def _system_id(details: dict[str, Any]) -> str:
    system = details.get("system")  # registry events hold the whole system snapshot
    found = details.get("system_id") or (system.get("system_id") if isinstance(system, dict) else None)
    return str(found) if found else ""


def _local(moment: datetime, rules: ClockRules) -> datetime:
    return moment.astimezone(ZoneInfo(rules.time_zone))


def _occurred(event: ExportedEvent) -> datetime:
    return parse_rfc3339(event.envelope.occurred_at)


# --- events.csv -----------------------------------------------------------------------------------------


def _neutralize(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def events_csv(contents: ExportContents, rules: ClockRules) -> bytes:
    """One row per event in bundle order; no consumer identifiers (they stay in events.jsonl)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    requests = [(request, event) for request in contents.requests for event in request.events]
    for request, event in requests + [(None, event) for event in contents.standalone]:
        envelope, stored = event.envelope, event.stored
        row = [
            request.record.request_id if request else "",
            request.record.type.value if request else "",
            request.record.channel.value if request else "",
            envelope.seq if request and envelope.seq is not None else "",
            envelope.type,
            describe(envelope.type),
            envelope.occurred_at,
            envelope.recorded_at,
            _local(_occurred(event), rules).date().isoformat(),
            envelope.actor.type,
            envelope.actor.id or "",
            envelope.actor.role or "",
            _system_id(envelope.details),
            outcome(envelope.details),
            envelope.event_id,
            stored.event_hash,
            envelope.prev_event_hash or "",
            "yes" if event.sealed else "no",
            stored.leaf_index if stored.leaf_index is not None else "",
        ]
        writer.writerow([_neutralize(value) for value in row])
    return out.getvalue().encode("utf-8")


# --- summary.html ---------------------------------------------------------------------------------------


class _Html(str):
    """Markup built here from escaped parts; every other cell value is escaped when rendered."""


def _e(value: object) -> str:
    return _DASH if value is None or value == "" else html.escape(str(value), quote=True)


def _cell(value: object) -> str:
    return value if isinstance(value, _Html) else _e(value)


def _table(headers: list[str], rows: list[tuple[str, list[object]]]) -> str:
    """rows: (css class, cells)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        (f'<tr class="{_e(css)}">' if css else "<tr>") + "".join(f"<td>{_cell(v)}</td>" for v in cells) + "</tr>"
        for css, cells in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n"


def _dl(items: list[tuple[str, object]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_cell(v)}</dd>" for k, v in items) + "</dl>"


def _actor(actor: Actor) -> str:
    return actor.type + (f" {actor.id}" if actor.id else "") + (f" ({actor.role})" if actor.role else "")


def _code(value: str) -> _Html:
    return _Html(f"<code>{_e(value)}</code>")


def _badge(event: ExportedEvent) -> _Html:
    if event.sealed:
        return _Html('<span class="badge sealed">sealed</span>')
    return _Html('<span class="badge unsealed">NOT YET SEALED</span>')


def _when(moment: datetime | None, rules: ClockRules) -> str | None:
    return _local(moment, rules).strftime("%Y-%m-%d %H:%M %Z") if moment else None


def clock_verdict(name: ClockName, clock: ClockRecord, now: datetime, rules: ClockRules) -> str:
    """Met / Missed (satisfied after the due day) / Overdue (still open past it) / Open, as the clock engine rules."""
    status = evaluate(name, clock.due, now, clock.satisfied_at, rules)
    if status.met:
        return "Met"
    if clock.satisfied_at is not None:
        return "Missed"
    if status.overdue:
        return "Overdue"
    return f"Open (due {clock.due.isoformat()}{', at risk' if status.at_risk else ''})"


def _consumer_email(request: ExportedRequest) -> str | None:
    for event in request.events:
        if event.envelope.type == EventType.REQUEST_RECEIVED:
            submission = event.envelope.details.get("submission")
            consumer = submission.get("consumer") if isinstance(submission, dict) else None
            email = consumer.get("email") if isinstance(consumer, dict) else None
            return email if isinstance(email, str) else None
    return None


def _scope_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _metrics_section(report: MetricsReport) -> str:
    def days(value: float | None) -> str:
        return _DASH if value is None else f"{value:.1f}"

    rows: list[tuple[str, list[object]]] = [
        ("", [_REQUEST_TYPES.get(row.request_type, row.request_type), row.received, row.complied_in_whole_or_in_part,
              row.denied, row.pending, days(row.median_days_to_respond), days(row.mean_days_to_respond)])
        for row in report.rows
    ]
    headers = ["Request type", "Received", "Complied with in whole or in part", "Denied", "Pending",
               "Median days to respond", "Mean days to respond"]
    return (f"<section id=\"metrics\"><h2>11 CCR 7102 metrics, {_e(report.year)}</h2>"
            f"<p>Calendar year by receipt day in {_e(report.time_zone)}; computed {_e(rfc3339(report.generated_at))}."
            f"</p>{_table(headers, rows)}</section>")


def _request_section(request: ExportedRequest, rules: ClockRules, now: datetime) -> str:
    record = request.record
    facts = _dl([
        ("Request id", record.request_id),
        ("Type", f"{_REQUEST_TYPES.get(record.type.value, record.type.value)} ({record.type.value})"),
        ("Channel", record.channel.value),
        ("Received", f"{rfc3339(record.received_at)} (local date {receipt_day(record.received_at, rules)})"),
        ("Status", record.status.value),
        ("Consumer", _consumer_email(request)),
        ("Denial basis", record.denial_basis),
    ])
    clock_rows: list[tuple[str, list[object]]] = []
    for name, clock in record.clocks.items():
        verdict = clock_verdict(name, clock, now, rules)
        css = {"Met": "ok", "Missed": "bad", "Overdue": "bad"}.get(verdict, "open")
        satisfied = rfc3339(clock.satisfied_at) if clock.satisfied_at else None
        clock_rows.append((css, [name.value, clock.due.isoformat(), satisfied, "yes" if clock.extended else "no",
                                 _Html(f"<strong>{_e(verdict)}</strong>")]))
    timeline = [
        ("" if event.sealed else "unsealed",
         [event.envelope.seq, _when(_occurred(event), rules), describe(event.envelope.type),
          _actor(event.envelope.actor), outcome(event.envelope.details), _code(event.envelope.event_id), _badge(event)])
        for event in request.events
    ]
    downstream = [
        ("", [system_id, state.status, rfc3339(state.instruction_sent_at) if state.instruction_sent_at else None,
              rfc3339(state.confirmed_at) if state.confirmed_at else None, state.attempts, state.last_error])
        for system_id, state in sorted(record.downstream.items())
    ]
    parts = [
        f'<section id="request-{_e(record.request_id)}"><h2>Request {_e(record.request_id)}</h2>', facts,
        "<h3>Clocks</h3>",
        _table(["Clock", "Due", "Satisfied at", "Extended", "Verdict"], clock_rows) if clock_rows
        else "<p>No clocks.</p>",
        "<h3>Timeline</h3>",
        _table(["Seq", "When (local)", "Event", "Actor", "Outcome", "Event id", "Seal"], timeline),
        "<h3>Downstream systems</h3>",
        _table(["System", "Status", "Instruction sent at", "Confirmed at", "Attempts", "Last error"], downstream)
        if downstream else "<p>No downstream systems for this request.</p>",
        "</section>",
    ]
    return "\n".join(parts)


def _standalone_section(events: list[ExportedEvent], rules: ClockRules) -> str:
    rows: list[tuple[str, list[object]]] = [
        ("" if event.sealed else "unsealed",
         [describe(event.envelope.type), event.envelope.type, _when(_occurred(event), rules),
          _actor(event.envelope.actor), outcome(event.envelope.details),
          _code(event.envelope.event_id), _badge(event)])
        for event in events
    ]
    table = _table(["Event", "Type", "When (local)", "Actor", "Outcome", "Event id", "Seal"], rows) if rows \
        else "<p>None in scope.</p>"
    return f'<section id="standalone"><h2>Events outside any request</h2>{table}</section>'


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1200px;
padding:0 1em;color:#1a1a1a}
h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f0f0f0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
code{font-size:.9em;word-break:break-all}
tr.ok td:last-child{color:#1b5e20}tr.bad td:last-child{color:#b71c1c}
tr.unsealed{background:#fff4e5}
.badge{padding:0 .4em;border-radius:3px;font-size:.85em;white-space:nowrap}
.sealed{background:#e8f5e9;color:#1b5e20}.unsealed .badge,.badge.unsealed{background:#b71c1c;color:#fff}
.warning{border:2px solid #b71c1c;padding:.5em 1em;background:#fff4e5}
footer{margin-top:3em;border-top:1px solid #ccc;padding-top:.5em;color:#555}
@media print{tr{break-inside:avoid}}
"""


def summary_html(contents: ExportContents, rules: ClockRules, now: datetime) -> bytes:
    """A person's view of the bundle, clocks judged at `now`; self-contained (no scripts, nothing fetched)."""
    events = contents.all_events()
    unsealed = sum(not event.sealed for event in events)
    header = [
        f"<h1>Evidence export {_e(contents.export_id)}</h1>",
        _dl([
            ("Requested by", _actor(contents.requested_by)),
            ("Requested at", f"{rfc3339(contents.requested_at)} ({_when(contents.requested_at, rules)})"),
            ("Clocks judged at", f"{rfc3339(now)} ({_when(now, rules)})"),
            ("Business time zone", rules.time_zone),
            ("Checkpoint tree size", contents.tree_size),
            ("Requests", len(contents.requests)),
            ("Events", len(events)),
            ("Unsealed events", unsealed),
        ]),
        "<h2>Scope</h2>",
        _dl([(key, _scope_value(value)) for key, value in sorted(contents.scope.items())])
        if contents.scope else "<p>Everything.</p>",
    ]
    if unsealed:
        header.append(f'<p class="warning"><strong>{unsealed} event(s) NOT YET SEALED</strong>: they are not in the '
                      "Merkle log yet, so this bundle has no inclusion proof for them. Export again later to get one."
                      "</p>")
    if contents.notes:
        header.append("<ul>" + "".join(f"<li>{_e(note)}</li>" for note in contents.notes) + "</ul>")
    if contents.requests:
        links = "".join(f'<li><a href="#request-{_e(r.record.request_id)}">{_e(r.record.request_id)}</a> '
                        f"({_e(r.record.type.value)}, {_e(r.record.status.value)})</li>" for r in contents.requests)
        header.append(f"<nav><h2>Requests</h2><ul>{links}</ul></nav>")
    body = [
        "<header>", *header, "</header>", "<main>",
        _metrics_section(contents.metrics) if contents.metrics else "",
        *(_request_section(request, rules, now) for request in contents.requests),
        _standalone_section(contents.standalone, rules),
        "</main>",
        "<footer><p>This file is a convenience view. The evidence is <code>events.jsonl</code> with its inclusion "
        "proofs, signed checkpoints and signed <code>manifest.json</code>: verify it with "
        "<code>ccpa-audit verify &lt;bundle&gt;.zip</code> (see <code>VERIFY.md</code>).</p></footer>",
    ]
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Belt and braces: even a value that escaped escaping could load or run nothing.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Evidence export {_e(contents.export_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        *body,
        "</body></html>",
    ]
    return ("\n".join(part for part in page if part) + "\n").encode("utf-8")


# --- VERIFY.md ------------------------------------------------------------------------------------------

# Standard library only, so an auditor can run it without trusting (or installing) our tool.
_CHECK_EVENTS_PY = '''\
# check_events.py: run inside the unzipped bundle, after steps 1-3. Python 3.10+, standard library only.
import base64
import hashlib
import json
import struct
from pathlib import Path


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(line, consumer_tag, batch_version=None):
    # docs/ledger-v1.md: leaf_data = "ccpa-audit-leaf-v1" || consumer tag (32 bytes, zeros when null) || event hash;
    # an access event in a batch object: "ccpa-audit-leaf-batch-v1" || tag || SHA-256(batch version) || event hash
    tag = bytes.fromhex(consumer_tag) if consumer_tag else bytes(32)
    if batch_version:
        return sha256(b"\\x00" + b"ccpa-audit-leaf-batch-v1" + tag + sha256(batch_version.encode()) + sha256(line))
    return sha256(b"\\x00" + b"ccpa-audit-leaf-v1" + tag + sha256(line))


def root_from_inclusion_path(leaf, index, size, path):
    # RFC 9162 section 2.1.3.2
    if index >= size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = sha256(b"\\x01" + sibling + node)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = sha256(b"\\x01" + node + sibling)
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else None


def read_proofs(data):
    # proofs/inclusion.bin: after its first line, per record ">BBBHQQ" (event id length, new siblings, kept siblings, batch
    # version length, leaf index, tree size), the event id, the batch version, the new siblings (32 bytes each);
    # the path is the new siblings then the last `kept` ones of the previous path of the same tree size
    magic = b"ccpa-audit/proofs/v3\\n"
    if not data.startswith(magic):
        raise SystemExit("proofs/inclusion.bin: FAIL (not a bundle v3 proof file)")
    at, proofs, last = len(magic), {}, {}
    while at < len(data):
        id_length, new, kept, batch_length, index, size = struct.unpack_from(">BBBHQQ", data, at)
        at += 21
        event_id = data[at:at + id_length].decode()
        batch_version = data[at + id_length:at + id_length + batch_length].decode() or None
        at += id_length + batch_length
        path = [data[at + 32 * k:at + 32 * k + 32] for k in range(new)]
        at += 32 * new
        previous = last.get(size, [])
        if kept > len(previous):
            path = None  # it keeps siblings the previous path does not have: no proof
        elif kept:
            path += previous[len(previous) - kept:]
        last[size] = path or []
        proofs[event_id] = {"leaf_index": index, "tree_size": size, "path": path, "batch_version": batch_version}
    return proofs


manifest = json.loads(Path("manifest.json").read_bytes())
unsealed = set(manifest.get("unsealed") or [])
proofs = read_proofs(Path("proofs/inclusion.bin").read_bytes())
failures, last_leaf, chains = 0, -1, {}
for line in Path("events.jsonl").read_bytes().splitlines():
    event = json.loads(line)
    event_id = event["event_id"]
    proof = proofs.pop(event_id, None)
    if proof is not None:
        note = (Path("checkpoints") / f"{proof['tree_size']}.note").read_text(encoding="utf-8")
        root = base64.b64decode(note.split("\\n")[2])
        leaf = leaf_hash(line, event["consumer_tag"], proof["batch_version"])
        included = proof["path"] is not None and root_from_inclusion_path(
            leaf, proof["leaf_index"], proof["tree_size"], proof["path"]) == root
        in_order = proof["leaf_index"] > last_leaf
        last_leaf = max(last_leaf, proof["leaf_index"])
        verdict = "OK" if included and in_order else "FAIL (not in the signed log, or out of order)"
    else:
        verdict = "UNSEALED (no proof yet)" if event_id in unsealed else "FAIL (no inclusion proof)"
    failures += verdict.startswith("FAIL")
    print(f"event {event_id}: {verdict}")
    if event["request_id"] is not None:
        chains.setdefault(event["request_id"], {})[event["seq"]] = (sha256(line).hex(), event["prev_event_hash"])
for event_id in proofs:
    failures += 1
    print(f"proofs/inclusion.bin: FAIL (a proof for {event_id}, which events.jsonl does not hold)")
for request_id, chain in sorted(chains.items()):
    for seq in sorted(chain):
        expected = None if seq == 1 else chain.get(seq - 1, ("missing",))[0]
        if chain[seq][1] != expected:
            failures += 1
            print(f"request {request_id} seq {seq}: FAIL (prev_event_hash does not match event {seq - 1})")
print(f"{failures} failure(s)")
raise SystemExit(1 if failures else 0)
'''


def verify_md(contents: ExportContents, origin: str, key_name: str, tool_version: str, fingerprint: str) -> bytes:
    """Instructions for an auditor: verify with our tool, or by hand with openssl, sha256sum, jq and Python."""
    events = contents.all_events()
    unsealed = [event.envelope.event_id for event in events if not event.sealed]
    size = contents.tree_size if contents.tree_size is not None else "<size>"
    unsealed_text = (
        f"{len(unsealed)} event(s) of this bundle were not yet sealed into the Merkle log when it was exported.\n"
        "They are listed under `unsealed` in `manifest.json` and have no inclusion proof yet, so only the manifest\n"
        "signature (step 2) covers their content; their `prev_event_hash` still links them to the events before\n"
        "them (step 5). Export again later to get a proof for them:\n\n"
        + "".join(f"- `{event_id}`\n" for event_id in unsealed)
        if unsealed else "Every event of this bundle is sealed: each has an inclusion proof.\n"
    )
    text = f"""# Verifying evidence bundle `{contents.export_id}`

This bundle is an export of a tamper-evident CCPA privacy-request audit ledger (format `ccpa-audit/bundle/v3`,
defined in `docs/bundle-v3.md` of the ccpa-audit source; hashing rules in `docs/ledger-v1.md`).

- Requests, each with its complete event chain: {len(contents.requests)}
- Events outside any request: {len(contents.standalone)}
- Events in all: {len(events)}, of which not yet sealed: {len(unsealed)}
- Requested by `{_actor(contents.requested_by)}` at `{rfc3339(contents.requested_at)}`
- Log origin: `{origin}`
- Signing key name: `{key_name}` (its public key is `keys/{key_name}.pem`)
- Latest checkpoint: tree size `{size}` (each inclusion proof is against the checkpoint that sealed its event,
  and each such checkpoint has a consistency proof to this one)

The key signs the checkpoints of the log and the manifest. A bundle can only prove it was signed by the key it
carries: anyone could rebuild a bundle under a key of their own. So obtain the business's public key through a
channel other than this bundle (its public `GET /ledger/keys` endpoint, or a key it gave you) and pin it:

```sh
ccpa-audit verify bundle.zip --key published.pem      # or --key <fingerprint>, or --key https://<api>/ledger/keys
```

Without `--key` the tool still checks everything, prints `Signed by key sha256:<fingerprint>` and says the key came
from the bundle itself. Compare that fingerprint with the `fingerprint` field of `GET /ledger/keys`, or compute
both by hand (`openssl pkey -pubin -in <pem> -outform DER | sha256sum`); this bundle's key has fingerprint
`{fingerprint}`. By hand (below), use the published PEM in place of `keys/{key_name}.pem`.

## Files

Each entry says what the file is, then what it proves.

- `manifest.json`: the format, origin, scope, the event ids in leaf order, the `unsealed` events, and every other
  file with its SHA-256 and size. Proves which files belong to the bundle: none changed, added or removed.
- `manifest.sig`: `{{"key_name", "signature"}}`, a base64 DER ECDSA P-256 SHA-256 signature over the exact bytes
  of `manifest.json`. Proves the manifest was issued by the holder of the signing key.
- `events.jsonl`: one event envelope per line in canonical JSON (keys sorted, no whitespace), in leaf order. The
  evidence itself: each line's SHA-256 is the event's `event_hash`.
- `proofs/inclusion.bin`: one binary record per sealed event, in leaf order: its event id, leaf index, the size of the
  checkpoint that sealed it and its inclusion path against that checkpoint (the upper siblings it shares with the
  previous record of the same checkpoint are written once; the script below reads it). Proves each sealed event is
  a leaf of the signed log.
- `checkpoints/`: `checkpoints/<size>.note` are C2SP signed-note checkpoints (origin, tree size, base64 root).
  Each fixes the log's root at that size, signed by the key.
- `consistency/`: `consistency/<m>-<n>.json` is `{{"from", "to", "proof"}}`, an RFC 6962 consistency proof from
  each earlier checkpoint `m` to the latest `n`. Proves the latest checkpoint extends each earlier one: nothing
  already in the log was rewritten.
- `keys/`: `keys/<key name>.pem`, the public keys (SubjectPublicKeyInfo PEM) the signatures are checked with.
- `events.csv`: the events as a flat table for spreadsheets. A convenience view: proves nothing by itself (its
  hash is in the manifest).
- `summary.html`: each request's timeline, clocks and downstream systems, for people. A convenience view, like
  `events.csv`.
- `VERIFY.md`: this file (its hash is in the manifest).

## Verify with the tool (offline)

```sh
pip install "ccpa-audit=={tool_version}"
ccpa-audit verify bundle.zip --key published.pem
```

Verification needs no network and no credentials (only the install does). It runs every check below and prints
each failure, naming the file, event or checkpoint. Exit code `0` means everything holds; any other exit code means
at least one check failed. `ccpa-audit verify` also accepts the unzipped folder.

## Verify by hand, without our tool

Unzip the bundle and run these from inside its folder. Scratch files go to a temporary folder, because a file
added to the bundle folder is itself a failure of step 1 (every file must be listed in the manifest).

```sh
work=$(mktemp -d)
# 1. Every file matches the SHA-256 in manifest.json (macOS: shasum -a 256 -c -)
jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c -
# 2. The manifest signature (openssl prints "Verified OK")
jq -r .key_name manifest.sig
jq -r .signature manifest.sig | base64 -d > "$work/manifest.sig.der"
openssl dgst -sha256 -verify keys/{key_name}.pem -signature "$work/manifest.sig.der" manifest.json
# 3. Each checkpoint's signature: the body is the text before the empty line; the signature line is
#    "— <key name> <base64(4-byte key id || DER signature)>", so drop the first 4 bytes
for note in checkpoints/*.note; do
  sed '/^$/,$d' "$note" > "$work/body"
  grep '^— {key_name} ' "$note" | cut -d' ' -f3 | base64 -d | tail -c +5 > "$work/note.sig.der"
  openssl dgst -sha256 -verify keys/{key_name}.pem -signature "$work/note.sig.der" "$work/body"
done
```

Also check that the folder holds no file the manifest does not list (other than `manifest.json` and
`manifest.sig`), and that the first line of every checkpoint is the origin `{origin}`.

**Checkpoints and consistency.** A checkpoint body is `<origin>\\n<tree size>\\n<base64 root>\\n` (C2SP
tlog-checkpoint), signed with ECDSA P-256 SHA-256 over those raw bytes. Two checkpoints of the same size with
different roots are a fork. For each checkpoint size `m` below the latest `n`, `consistency/<m>-<n>.json` is an
RFC 6962 consistency proof: check it with the algorithm of RFC 9162 section 2.1.4.2 against the roots of
`checkpoints/<m>.note` and `checkpoints/<n>.note`.

**4. Each event is in the signed log.** An event's `event_hash` is the SHA-256 of its line in `events.jsonl`
(without the line break). Its RFC 6962 leaf is `SHA-256(0x00 || leaf_data)` with
`leaf_data = "ccpa-audit-leaf-v1" (18 ASCII bytes) || consumer_tag (32 bytes from its hex; 32 zero bytes when null)
|| event_hash (32 bytes)`. Interior nodes are `SHA-256(0x01 || left || right)`. The event's record in `proofs/inclusion.bin`
gives the leaf's index and its inclusion path to the root of `checkpoints/<tree_size>.note` (RFC 9162 section
2.1.3.2).
Leaf indexes must increase record by record, and the event ids must be the manifest's `events`, in order.

**5. Request chains are linked.** Within a request, events have `seq` 1, 2, 3, ...; the first has
`prev_event_hash` null and each other one has the `event_hash` of the event before it. A deleted, inserted or
changed event breaks a link.

This script checks steps 4 and 5 (it trusts the checkpoint roots, so run it after step 3); it exits 0 when all hold:

```python
{_CHECK_EVENTS_PY}```

## Unsealed events

{unsealed_text}"""
    return text.encode("utf-8")
