"""`ccpa-audit export`: build an evidence bundle through the HTTP API, wait for it, download it, check its SHA-256.

Standard library only (urllib). Results go to stdout; progress bars and errors go to stderr, so a script can read
stdout whatever the terminal. Exit 0 on success, 1 on any failure (API error, failed build, timeout, bad download),
2 on bad usage.
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

DEFAULT_API = "http://127.0.0.1:3000"
DEFAULT_TOKEN = "local-auditor"  # noqa: S105 (the documented local-mode role token, not a secret)
USER_AGENT = "ccpa-audit-cli/1"
CHUNK = 64 * 1024
REQUEST_TIMEOUT = 60.0  # seconds per HTTP call (connect, and each read while downloading)
POLL_RETRIES = 3  # consecutive transient failures (5xx, network) tolerated while polling

# flag -> field of the POST /exports body
SCOPE = {
    "request_id": "--request-id",
    "consumer_email": "--consumer-email",
    "action_type": "--action-type",
    "from": "--from",
    "to": "--to",
    "metrics_year": "--metrics-year",
}


class ExportError(Exception):
    """Printed as `error: <message> (<code>)`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def transient(self) -> bool:
        return self.code in ("connection_failed", "invalid_response") or self.code.startswith("http_5")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", default=os.environ.get("CCPA_AUDIT_API", DEFAULT_API),
                        help="API base URL (env CCPA_AUDIT_API; default %(default)s)")
    parser.add_argument("--token", default=os.environ.get("CCPA_AUDIT_TOKEN", DEFAULT_TOKEN),
                        help="bearer token (env CCPA_AUDIT_TOKEN; default local-auditor)")
    scope = parser.add_argument_group("scope (at least one)")
    scope.add_argument("--request-id", dest="request_id", metavar="ID")
    scope.add_argument("--consumer-email", dest="consumer_email", metavar="EMAIL")
    scope.add_argument("--action-type", dest="action_type", metavar="TYPE")
    scope.add_argument("--from", dest="from_", metavar="DATE", help="YYYY-MM-DD or RFC 3339")
    scope.add_argument("--to", dest="to", metavar="DATE", help="YYYY-MM-DD or RFC 3339")
    scope.add_argument("--metrics-year", dest="metrics_year", type=int, metavar="YYYY")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="where to save the zip (default ./ccpa-export-<export_id>.zip)")
    parser.add_argument("--verify", action="store_true", help="verify the bundle offline after downloading it")
    parser.add_argument("--key", help="with --verify: the key to trust (as `ccpa-audit verify --key`)")
    parser.add_argument("--poll-interval", type=float, default=1.0, metavar="SECONDS",
                        help="seconds between status checks while the bundle builds (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                        help="give up when the bundle is not ready after this long (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def scope_body(args: argparse.Namespace) -> dict[str, Any]:
    """The POST /exports body: only the scope flags given."""
    body = {}
    for field in SCOPE:
        value = getattr(args, "from_" if field == "from" else field, None)
        if value is not None:
            body[field] = value
    return body


def missing_scope_message() -> str:
    return "give at least one scope flag: " + ", ".join(SCOPE.values())


class Progress:
    """A one-line bar on a terminal (carriage-return redraw); on anything else an occasional plain line."""

    def __init__(self, stream: IO[str], label: str, *, quiet: bool = False, as_bytes: bool = False,
                 every: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.label, self.quiet, self.as_bytes = stream, label, quiet, as_bytes
        self.tty = _isatty(stream)
        self.every, self.clock = every, clock
        self.last_text: str | None = None
        self.last_at = float("-inf")
        self.open_line = False

    def update(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        if self.quiet:
            return
        text = self.render(done, total)
        if text == self.last_text:
            return
        now = self.clock()
        if self.tty:
            if not force and now - self.last_at < 0.1:  # no more than ten redraws a second
                return
            self.stream.write("\r" + text.ljust(len(self.last_text or "")))
            self.open_line = True
        else:
            if not force and now - self.last_at < self.every:
                return
            self.stream.write(text + "\n")
        self.stream.flush()
        self.last_text, self.last_at = text, now

    def finish(self, done: int, total: int | None = None) -> None:
        self.update(done, total, force=True)
        self.close()

    def close(self) -> None:
        """Ends the terminal line, so what follows (an error, say) starts on its own line."""
        if self.open_line:
            self.stream.write("\n")
            self.stream.flush()
            self.open_line = False

    def render(self, done: int, total: int | None, width: int = 30) -> str:
        shown = _size if self.as_bytes else str
        if not total or total <= 0:
            return f"{self.label} {shown(done)}"
        fraction = min(max(done / total, 0.0), 1.0)
        filled = int(fraction * width)
        return f"{self.label} [{'#' * filled}{'-' * (width - filled)}] {fraction:4.0%} {shown(done)}/{shown(total)}"


def run_export(args: argparse.Namespace, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Exit status: 0 saved (and verified with --verify), 1 failed, 2 no scope flag. Defaults: sys.stdout/stderr."""
    out = out or sys.stdout
    err = err or sys.stderr
    body = scope_body(args)
    if not body:
        print(f"error: {missing_scope_message()} (usage)", file=err)
        return 2
    client = _Client(args.api, args.token)
    try:
        export = _wait_until_ready(client, body, args, err)
        export_id = str(export["export_id"])
        path = _output_path(args.output, export_id)
        digest = _download(_bundle_url(client, export), path, export.get("sha256"), args.quiet, err)
    except ExportError as error:
        print(f"error: {error.message} ({error.code})", file=err)
        return 1
    count = export.get("event_count")
    print(f"export_id: {export_id}", file=out)
    print(f"path: {path}", file=out)
    print(f"event_count: {count if count is not None else 'unknown'}", file=out)
    print(f"sha256: {digest}", file=out)
    out.flush()
    if args.verify:
        from ccpa_audit.cli import run_verify

        with contextlib.redirect_stdout(out):
            return run_verify(str(path), args.key)
    return 0


class _Client:
    def __init__(self, api: str, token: str) -> None:
        self.api = api.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        url = self.api + path
        request = urllib.request.Request(_checked_url(url), method=method,  # noqa: S310 (scheme checked)
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
                return response.status, _json(response.read(), f"{method} {path}")
        except urllib.error.HTTPError as error:
            raise _api_error(error, f"{method} {path}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ExportError(f"cannot reach {url}: {reason}", "connection_failed") from None


def _wait_until_ready(client: _Client, body: dict[str, Any], args: argparse.Namespace,
                      err: IO[str]) -> dict[str, Any]:
    deadline = time.monotonic() + args.timeout
    _, export = client.call("POST", "/exports", body)
    if not export.get("export_id"):
        raise ExportError("POST /exports answered without an export_id", "invalid_response")
    export_id = str(export["export_id"])
    bar = Progress(err, f"building {export_id}", quiet=args.quiet)
    failures = 0
    try:
        while True:
            status = export.get("status")
            progress = export.get("progress") if isinstance(export.get("progress"), dict) else {}
            done, total = _int(progress.get("done")), _int(progress.get("total"))
            if status == "ready":
                if bar.last_text is not None:  # only when a build bar was drawn: end it at its final state
                    bar.finish(total or done, total)
                return export
            if status == "failed":
                error = export.get("error")
                if isinstance(error, dict):  # tolerate an error object as well as a string
                    error = error.get("message") or error.get("error")
                raise ExportError(f"export {export_id} failed: {error or 'no reason given'}", "export_failed")
            if status != "building":
                raise ExportError(f"export {export_id} has unknown status {status!r}", "invalid_response")
            bar.update(done, total)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ExportError(f"export {export_id} still building after {args.timeout:g} s "
                                  f"({done}/{total or '?'}); GET /exports/{export_id} shows it later", "timeout")
            time.sleep(min(max(args.poll_interval, 0.0), remaining))
            try:
                _, export = client.call("GET", f"/exports/{urllib.parse.quote(export_id, safe='')}")
                failures = 0
            except ExportError as error:
                failures += 1
                if not error.transient or failures > POLL_RETRIES:
                    raise
    finally:
        bar.close()


def _bundle_url(client: _Client, export: dict[str, Any]) -> str:
    url = export.get("url")
    if not url:  # ready without a URL: ask for a fresh one
        _, export = client.call("GET", f"/exports/{urllib.parse.quote(str(export['export_id']), safe='')}")
        url = export.get("url")
        if not url:
            raise ExportError(f"export {export['export_id']} is ready but the API gave no url", "invalid_response")
    return urllib.parse.urljoin(client.api + "/", str(url))


def _download(url: str, path: Path, expected: Any, quiet: bool, err: IO[str]) -> str:
    """Streams the presigned URL (no Authorization header: the URL carries its own signature) into a temporary
    file beside `path`, renamed into place only when complete and its SHA-256 matches the API's."""
    request = urllib.request.Request(_checked_url(url), headers={"User-Agent": USER_AGENT})  # noqa: S310
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    digest = hashlib.sha256()
    bar = Progress(err, "downloading", quiet=quiet, as_bytes=True)
    try:
        with os.fdopen(handle, "wb") as file, urllib.request.urlopen(  # noqa: S310
                request, timeout=REQUEST_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            bar.update(0, total, force=True)
            while chunk := response.read(CHUNK):
                file.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                bar.update(done, total)
            bar.finish(done, total)
            if total is not None and done != total:
                raise ExportError(f"download ended after {done} of {total} bytes", "incomplete_download")
        actual = digest.hexdigest()
        if not isinstance(expected, str) or not expected:
            print(f"warning: the API gave no sha256 for the bundle; downloaded {actual}", file=err)
        elif expected.strip().lower() != actual:
            raise ExportError(f"SHA-256 of the download is {actual}, the API said {expected}; file discarded",
                              "sha256_mismatch")
        Path(temporary).replace(path)
        return actual
    except urllib.error.HTTPError as error:
        raise ExportError(f"download failed: HTTP {error.code} {error.reason}", f"http_{error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ExportError(f"download failed: {reason}", "download_failed") from None
    finally:
        bar.close()
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()


def _output_path(output: str | None, export_id: str) -> Path:
    name = "ccpa-export-" + re.sub(r"[^A-Za-z0-9._-]", "_", export_id) + ".zip"
    if output is None:
        return Path(name)
    path = Path(output)
    return path / name if path.is_dir() else path


def _checked_url(url: str) -> str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ExportError(f"refusing to fetch {url!r}: only http and https URLs", "invalid_url")
    return url


def _api_error(error: urllib.error.HTTPError, what: str) -> ExportError:
    try:
        payload = json.loads(error.read() or b"null")
    except (ValueError, OSError):
        payload = None
    if isinstance(payload, dict) and payload.get("message"):
        return ExportError(str(payload["message"]), str(payload.get("error") or f"http_{error.code}"))
    return ExportError(f"{what} answered HTTP {error.code} {error.reason}", f"http_{error.code}")


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise ExportError(f"{what} did not answer a JSON object", "invalid_response")
    return payload


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
