"""The web pages under `ccpa-audit local`: files under web/ served on the API's own origin, with the security
headers CloudFront adds on AWS (template.yaml's response-headers policy carries the same values)."""

import base64
import json
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
SITES = ("privacy", "console", "shared")  # the top-level folders of web/, each served at /<name>/

# No inline script or style anywhere: every script and style sheet is a file on this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # Status pages carry their token in the URL: never hand it to another page.
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}
TEXT_PREFIXES = ("text/", "application/json", "image/svg+xml", "application/manifest+json")

Generated = Callable[[], dict[str, Any]]


def local_console_config() -> dict[str, Any]:
    """On AWS the deploy writes /console/config.json with the Cognito settings; locally staff paste a local token."""
    return {"auth": "local"}


GENERATED: dict[str, Generated] = {"/console/config.json": local_console_config}


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def resolve(raw_path: str, root: Path = WEB_ROOT) -> Path | None:
    """The file a URL path names, or None: only under web/<site>/, never through `..`, symlinks or encoded tricks."""
    path = unquote(raw_path)
    if "\x00" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part]
    if not parts or parts[0] not in SITES or any(part in (".", "..") or part.startswith(".") for part in parts):
        return None
    candidate = root.joinpath(*parts)
    if path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    try:
        real = candidate.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, OSError):
        return None
    site_root = (root / parts[0]).resolve()
    return real if real.is_file() and real.is_relative_to(site_root) else None


def _response(status: int, headers: dict[str, str], body: bytes, binary: bool = False) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, **headers},
        "body": base64.b64encode(body).decode() if binary else body.decode("utf-8"),
        "isBase64Encoded": binary,
    }


NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page not found</title><link rel="stylesheet" href="/shared/base.css"></head>
<body><main class="narrow"><h1>Page not found</h1><p>There is no page at this address.</p>
<p><a href="/privacy/">Go to the privacy center</a></p></main></body></html>
"""


def _not_found(event: dict[str, Any]) -> dict[str, Any]:
    """A person's browser gets a page; anything else gets the API's error shape."""
    accept = {k.lower(): v for k, v in (event.get("headers") or {}).items()}.get("accept", "")
    if "text/html" in accept:
        return _response(404, {"content-type": CONTENT_TYPES[".html"], "cache-control": "no-store"},
                         NOT_FOUND_PAGE.encode())
    body = json.dumps({"error": "not_found", "message": "There is no page at this address.", "details": []})
    return _response(404, {"content-type": "application/json", "cache-control": "no-store"}, body.encode())


def handler(event: dict[str, Any], context: Any = None, root: Path = WEB_ROOT) -> dict[str, Any]:
    """API Gateway v2 event in, API Gateway v2 response out, so the local gateway routes to it like a Lambda."""
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    raw_path = event.get("rawPath") or "/"
    if method not in ("GET", "HEAD"):
        body = json.dumps({"error": "method_not_allowed", "message": "Pages can only be read.", "details": []})
        return _response(405, {"content-type": "application/json", "allow": "GET, HEAD"}, body.encode())
    if raw_path.strip("/") in SITES and not raw_path.endswith("/"):
        return _response(301, {"location": f"/{raw_path.strip('/')}/", "cache-control": "no-cache"}, b"")
    if raw_path in GENERATED:
        body = json.dumps(GENERATED[raw_path]()).encode()
        return _response(200, {"content-type": "application/json", "cache-control": "no-store"}, body)
    found = resolve(raw_path, root)
    if found is None:
        return _not_found(event)
    kind = content_type(found)
    data = b"" if method == "HEAD" else found.read_bytes()
    # No build step and no hashed file names: the browser revalidates, so a deploy is seen at once.
    headers = {"content-type": kind, "cache-control": "no-cache"}
    return _response(200, headers, data, binary=not kind.startswith(TEXT_PREFIXES))
