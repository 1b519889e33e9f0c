"""A local front door: each HTTP request becomes an API Gateway HTTP API (v2) event for the real handler."""

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024  # larger bodies never reach a handler behind API Gateway


@dataclass
class LambdaContext:
    """What Powertools reads from a Lambda context object."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    timeout_ms: int = 30_000

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_ms / 1000
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def http_api_event(method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
    parts = urlsplit(target)
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value  # API Gateway v2 joins repeats with commas
    lowered = {key.lower(): value for key, value in headers.items()}
    content_type = lowered.get("content-type", "application/json")
    is_text = not body or content_type.startswith(TEXT_TYPES)
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
        "body": body.decode("utf-8", "replace") if is_text else base64.b64encode(body).decode(),
        "isBase64Encoded": not is_text,
    }


class LocalGateway:
    """Routes by path prefix to handlers; one invocation at a time, like a single warm Lambda container."""

    def __init__(self, routes: list[tuple[str, str, Handler]], host: str, port: int) -> None:
        self._routes = routes  # (path prefix, function name, handler), first match wins
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._request_handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def exclusive(self, job: Callable[[], Any]) -> Any:
        """Run a scheduled job between requests, as one warm container would."""
        with self._lock:
            return job()

    def invoke(self, method: str, target: str, headers: dict[str, str], body: bytes, ip: str) -> dict[str, Any]:
        path = urlsplit(target).path
        name, handler = next((n, h) for prefix, n, h in self._routes if path.startswith(prefix))
        event = http_api_event(method, target, headers, body, ip)
        with self._lock:
            return handler(event, LambdaContext(function_name=name, aws_request_id=str(uuid.uuid4())))

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > API_GATEWAY_MAX_BODY:
                    self._send(413, {"content-type": "application/json"},
                               json.dumps({"error": "payload_too_large", "message": "Body too large.",
                                           "details": []}).encode())
                    return
                body = self.rfile.read(length) if length else b""
                result = gateway.invoke(self.command, self.path, dict(self.headers.items()), body,
                                        self.client_address[0])
                payload = result.get("body") or ""
                data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
                headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
                self._send(int(result.get("statusCode", 200)), headers, data)

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key not in ("content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's signature)
                return  # request lines could carry identifiers in query strings: keep them out of the console

        return RequestHandler
