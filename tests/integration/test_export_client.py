"""`ccpa-audit export` against a tiny fake API on loopback (here, not in tests/unit: unit tests block sockets):
ready at once, building then ready, SHA-256 mismatch, API errors, failed builds, timeouts, what is sent, --verify."""

import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ccpa_audit.cli import main
from ccpa_audit.export_client import Progress
from shared.ledger.bundle_format import to_zip
from tests.bundles import build_bundle, synthetic_envelopes

EXPORT_ID = "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000"
BUNDLE = b"PK not really a zip, but bytes to carry " * 5000  # ~200 KB: several chunks


class FakeApi:
    """POST /exports answers `post`; GET /exports/{id} answers `polls` in turn (the last one repeats);
    GET /bucket/... serves `bundle` the way a presigned S3 URL would."""

    def __init__(self):
        self.seen = []  # (method, path, headers, parsed body)
        self.bundle = BUNDLE
        self.post = (201, self.ready())
        self.polls = []
        self.url = ""

    def ready(self, sha256=None, **extra):
        return {"export_id": EXPORT_ID, "status": "ready", "url": "PLACEHOLDER", "expires_at": "2026-11-20T19:00:00Z",
                "sha256": sha256 or hashlib.sha256(self.bundle).hexdigest(), "event_count": 42, **extra}

    def building(self, done, total):
        return {"export_id": EXPORT_ID, "status": "building", "progress": {"done": done, "total": total}}

    def answer(self, method, path, headers, body):
        self.seen.append((method, path, headers, body))
        if method == "POST" and path == "/exports":
            return self.post
        if method == "GET" and path == f"/exports/{EXPORT_ID}":
            if not self.polls:
                return 404, {"error": "not_found", "message": "No such export.", "details": []}
            return self.polls.pop(0) if len(self.polls) > 1 else self.polls[0]
        return 404, {"error": "not_found", "message": "No such route.", "details": []}

    def requests(self, method, prefix):
        return [seen for seen in self.seen if seen[0] == method and seen[1].startswith(prefix)]


@pytest.fixture
def api(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "CCPA_AUDIT_API", "CCPA_AUDIT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/bucket/"):
                fake.seen.append(("GET", self.path, dict(self.headers), None))
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(fake.bundle)))
                self.end_headers()
                self.wfile.write(fake.bundle)
                return
            self._reply("GET")

        def do_POST(self):
            self._reply("POST")

        def _reply(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, payload = fake.answer(method, self.path, dict(self.headers), json.loads(raw) if raw else None)
            if isinstance(payload, dict) and payload.get("url") == "PLACEHOLDER":
                payload = {**payload, "url": fake.url}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    fake.url = f"{fake.base}/bucket/exports/{EXPORT_ID}.zip?X-Amz-Signature=abc&X-Amz-Expires=900"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def export(api, *flags):
    return main(["export", "--api", api.base, "--poll-interval", "0.01", *flags])


def test_a_ready_export_is_downloaded_checked_and_reported_on_stdout(api, tmp_path, capsys):
    target = tmp_path / "bundle.zip"

    assert export(api, "--request-id", "r-1", "-o", str(target), "--quiet") == 0

    out, err = capsys.readouterr()
    assert target.read_bytes() == BUNDLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.zip"]  # no temporary file left beside it
    assert f"path: {target}" in out
    assert "event_count: 42" in out
    assert f"sha256: {hashlib.sha256(BUNDLE).hexdigest()}" in out
    assert err == ""
    assert not api.requests("GET", "/exports/")  # ready at once: no polling


def test_a_building_export_is_polled_with_progress_on_stderr_and_saved_under_its_default_name(
        api, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    api.post = (202, api.building(0, 10))
    api.polls = [(200, api.building(4, 10)), (200, api.building(9, 10)),
                 (200, {**api.ready(), "progress": {"done": 10, "total": 10}})]

    assert export(api, "--consumer-email", "a@example.com") == 0

    out, err = capsys.readouterr()
    saved = tmp_path / f"ccpa-export-{EXPORT_ID}.zip"
    assert saved.read_bytes() == BUNDLE
    assert len(api.requests("GET", f"/exports/{EXPORT_ID}")) == 3
    assert f"building {EXPORT_ID}" in err and "0/10" in err and "10/10" in err and "100%" in err
    assert "downloading" in err
    assert "\r" not in err  # stderr is not a terminal: plain lines, no redraws
    assert f"path: ccpa-export-{EXPORT_ID}.zip" in out
    assert "building" not in out and "downloading" not in out


def test_the_scope_flags_become_the_json_body_and_the_token_a_bearer_header(api, tmp_path):
    assert export(api, "--token", "local-analyst", "--consumer-email", "a@example.com", "--action-type", "read",
                  "--from", "2025-01-01", "--to", "2025-12-31T23:59:59Z", "--metrics-year", "2025",
                  "-o", str(tmp_path / "b.zip"), "--quiet") == 0

    [(_, _, headers, body)] = api.requests("POST", "/exports")
    assert body == {"consumer_email": "a@example.com", "action_type": "read", "from": "2025-01-01",
                    "to": "2025-12-31T23:59:59Z", "metrics_year": 2025}
    assert headers["Authorization"] == "Bearer local-analyst"
    assert headers["Content-Type"] == "application/json"
    [(_, path, download_headers, _)] = api.requests("GET", "/bucket/")
    assert "X-Amz-Signature=abc" in path
    assert "Authorization" not in download_headers  # the presigned URL carries its own signature


def test_the_api_and_token_default_to_the_environment_then_local_auditor(api, tmp_path, monkeypatch):
    monkeypatch.setenv("CCPA_AUDIT_API", api.base + "/")
    assert main(["export", "--request-id", "r-1", "-o", str(tmp_path / "a.zip"), "--quiet"]) == 0
    monkeypatch.setenv("CCPA_AUDIT_TOKEN", "local-analyst")
    assert main(["export", "--request-id", "r-1", "-o", str(tmp_path / "b.zip"), "--quiet"]) == 0

    tokens = [headers["Authorization"] for _, _, headers, _ in api.requests("POST", "/exports")]
    assert tokens == ["Bearer local-auditor", "Bearer local-analyst"]


def test_the_api_flag_wins_over_the_environment_when_both_are_given(api, tmp_path, monkeypatch):
    # `make run` prints CCPA_AUDIT_API=...; an explicit --api still decides.
    monkeypatch.setenv("CCPA_AUDIT_API", "http://127.0.0.1:9/unreachable")

    assert main(["export", "--api", api.base, "--request-id", "r-1", "-o", str(tmp_path / "a.zip"), "--quiet"]) == 0

    assert len(api.requests("POST", "/exports")) == 1


def test_a_sha256_mismatch_exits_1_and_leaves_no_file(api, tmp_path, capsys):
    api.post = (201, api.ready(sha256="0" * 64))

    assert export(api, "--request-id", "r-1", "-o", str(tmp_path / "bundle.zip")) == 1

    out, err = capsys.readouterr()
    assert list(tmp_path.iterdir()) == []
    assert "(sha256_mismatch)" in err and "0" * 64 in err
    assert out == ""


def test_an_api_error_prints_its_message_and_code_and_exits_1(api, tmp_path, capsys):
    api.post = (403, {"error": "forbidden", "message": "This role cannot build exports.", "details": []})

    assert export(api, "--request-id", "r-1", "-o", str(tmp_path / "bundle.zip")) == 1

    out, err = capsys.readouterr()
    assert "error: This role cannot build exports. (forbidden)" in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []
    assert not api.requests("GET", "/bucket/")


def test_a_failed_build_exits_1_with_its_error(api, tmp_path, capsys):
    api.post = (202, api.building(0, 5))
    api.polls = [(200, {"export_id": EXPORT_ID, "status": "failed", "progress": {"done": 2, "total": 5},
                        "error": "the evidence bucket refused a read"})]

    assert export(api, "--request-id", "r-1", "-o", str(tmp_path / "bundle.zip")) == 1

    err = capsys.readouterr().err
    assert "error: export" in err and "the evidence bucket refused a read (export_failed)" in err
    assert list(tmp_path.iterdir()) == []


def test_a_build_that_outlasts_the_timeout_exits_1(api, tmp_path, capsys):
    api.post = (202, api.building(0, 5))
    api.polls = [(200, api.building(1, 5))]

    assert export(api, "--request-id", "r-1", "-o", str(tmp_path / "b.zip"), "--timeout", "0.2", "--quiet") == 1

    err = capsys.readouterr().err
    assert "still building after 0.2 s" in err and "(timeout)" in err
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_api_exits_1_with_a_message(tmp_path, capsys):
    assert main(["export", "--api", "http://127.0.0.1:9", "--request-id", "r-1", "-o", str(tmp_path / "b.zip")]) == 1
    assert "(connection_failed)" in capsys.readouterr().err


def test_without_a_scope_flag_the_command_is_refused_with_exit_2(api, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--api", api.base, "-o", "x.zip"])

    assert exit_.value.code == 2
    assert "at least one scope flag" in capsys.readouterr().err
    assert api.seen == []


def test_verify_runs_the_offline_verifier_on_the_download(api, tmp_path, capsys):
    api.bundle = to_zip(build_bundle(synthetic_envelopes(requests=2, per_request=3)))
    api.post = (201, api.ready())

    assert export(api, "--request-id", "r-1", "-o", str(tmp_path / "b.zip"), "--quiet", "--verify") == 0

    out = capsys.readouterr().out
    assert "6 events in 2 request chains" in out
    assert "OK: every event, chain, proof and signature holds" in out


def test_verify_with_a_key_pins_it_and_a_bundle_under_another_key_fails(api, tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    published = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "published.pem").write_bytes(published.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    pinned = ("--quiet", "--verify", "--key", str(tmp_path / "published.pem"))

    api.bundle = to_zip(build_bundle(synthetic_envelopes(requests=2, per_request=3), key=published))
    api.post = (201, api.ready())
    assert export(api, "--request-id", "r-1", "-o", str(tmp_path / "a.zip"), *pinned) == 0
    assert "Trust: pinned to PEM file" in capsys.readouterr().out

    api.bundle = to_zip(build_bundle(synthetic_envelopes(requests=2, per_request=3)))  # another key
    api.post = (201, api.ready())
    assert export(api, "--request-id", "r-1", "-o", str(tmp_path / "b.zip"), *pinned) == 1
    assert "not signed by the pinned key" in capsys.readouterr().out


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_bar_redraws_in_place_and_ends_its_line():
    stream = Terminal()
    ticks = iter(range(100))
    bar = Progress(stream, "downloading", as_bytes=True, clock=lambda: float(next(ticks)))

    bar.update(0, 4096)
    bar.update(2048, 4096)
    bar.finish(4096, 4096)

    text = stream.getvalue()
    assert text.startswith("\rdownloading [") and text.endswith("\n")
    assert text.count("\r") == 3 and text.count("\n") == 1
    assert "50%" in text and "100% 4.0 KiB/4.0 KiB" in text


def test_quiet_draws_nothing():
    stream = Terminal()
    bar = Progress(stream, "building", quiet=True)
    bar.update(1, 2)
    bar.finish(2, 2)
    assert stream.getvalue() == ""
