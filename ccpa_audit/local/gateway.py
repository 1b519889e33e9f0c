"""A local front door: each HTTP request becomes an API Gateway HTTP API (v2) event for the function that owns its
path, invoked concurrently like Lambda (see containers.py), with API Gateway's answers at the edge."""

import base64
import json
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ccpa_audit.local.lambda_context import LambdaContext

__all__ = ["LambdaContext", "LocalGateway", "http_api_event"]

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]
# A route's target: a function name (run in a container) or an in-process handler (local-only endpoints).
Target = str | Handler
TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024  # larger bodies never reach a handler behind API Gateway
ROUTED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
LISTEN_BACKLOG = 1024  # a burst of clients waits in the kernel's queue instead of being reset


def http_api_event(method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
    parts = urlsplit(target)
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value  # API Gateway v2 joins repeats with commas
    lowered = {key.lower(): value for key, value in headers.items()}
    content_type = lowered.get("content-type", "application/json")
    text = _utf8(body) if not body or content_type.startswith(TEXT_TYPES) else None
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": lowered,
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": lowered.get("host", "127.0.0.1"),
            "http": {"method": method, "path": parts.path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": lowered.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        # A body that is not valid UTF-8 is passed base64-encoded, as API Gateway does for binary payloads, so the
        # handler sees the bytes that were sent rather than replacement characters.
        "body": text if text is not None else base64.b64encode(body).decode(),
        "isBase64Encoded": text is None,
    }


def _utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def joined_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers arrive joined with commas, as API Gateway v2 passes them (RFC 9110 section 5.3)."""
    joined: dict[str, str] = {}
    for key, value in pairs:
        name = key.lower()
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def error_reply(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json", **(headers or {})},
            "body": json.dumps({"error": code, "message": message, "details": []})}


class LocalGateway:
    """Routes by path prefix (first match wins) to a function; every request is its own invocation."""

    def __init__(self, routes: list[tuple[str, Target]], invoke: Invoke, host: str, port: int) -> None:
        self._routes = routes
        self._invoke = invoke

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = LISTEN_BACKLOG

        self.server = Server((host, port), self._request_handler())

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def invoke(self, method: str, target: str, headers: dict[str, str], body: bytes, ip: str) -> dict[str, Any]:
        if method not in ROUTED_METHODS:
            # HTTP API routes only the methods it was given; OPTIONS has no CORS answer because the pages are
            # served from the API's own origin.
            return error_reply(405, "method_not_allowed", f"Method {method} is not allowed here.",
                               {"allow": ", ".join(ROUTED_METHODS)})
        path = urlsplit(target).path
        route = next((t for prefix, t in self._routes if path.startswith(prefix)), None)
        if route is None:
            return error_reply(404, "route_not_found", "No route matches this path.")
        event = http_api_event(method, target, headers, body, ip)
        if callable(route):
            return route(event, LambdaContext(function_name="local-control", aws_request_id=str(uuid.uuid4())))
        return self._invoke(route, event)

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > API_GATEWAY_MAX_BODY:
                    self.close_connection = True  # the unread body must not be taken for the next request
                    self._send(error_reply(413, "payload_too_large", "Body too large."))
                    return
                body = self.rfile.read(length) if length else b""
                method = "GET" if self.command == "HEAD" else self.command
                headers = joined_headers(list(self.headers.items()))
                self._send(gateway.invoke(method, self.path, headers, body, self.client_address[0]))

            def _send(self, result: dict[str, Any]) -> None:
                payload = result.get("body") or ""
                data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
                self.send_response(int(result.get("statusCode", 200)))
                for key, value in (result.get("headers") or {}).items():
                    if key.lower() not in ("content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":  # HEAD answers like GET, without the body
                    try:
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):  # the client stopped waiting: its loss alone
                        self.close_connection = True

            def __getattr__(self, name: str) -> Any:
                if name.startswith("do_"):  # every method reaches the gateway, which answers as API Gateway does
                    return self._serve
                raise AttributeError(name)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's signature)
                return  # request lines could carry identifiers in query strings: keep them out of the console

        return RequestHandler
