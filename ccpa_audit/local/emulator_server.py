"""moto's server (its WSGI app and request handler, as `ThreadedMotoServer` builds them) on persistent HTTP/1.1
connections.

werkzeug's development server ends every response with `Connection: close`, so each of the ~20 calls an intake
makes to the emulator paid for a new TCP connection and a new server thread. Here a connection stays open between
calls and keeps its thread, as boto3's connection pools expect of AWS:

- a request's body is read whole before moto sees it, so bytes moto leaves unread never run into the next request;
- every answer carries a length and goes out in one write (headers and body), with Nagle's delay off;
- a request whose body is chunked is left to werkzeug's own handling, which closes the connection after it;
- `stop` closes the idle connections as well, so no client is answered by a stopped emulator and nothing waits.
"""

import io
import socket
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import ThreadedWSGIServer

BODILESS = (204, 304)  # and 1xx: never a body, never a length (RFC 9110 section 8.6)


class KeepAliveHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length", "")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower() or not (length or "0").isdigit():
            super().run_wsgi()  # closes the connection afterwards
            return
        body = self.rfile.read(int(length)) if length else b""
        if len(body) != int(length or 0):
            self.close_connection = True  # the client went away mid-body
            return
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        self.environ = environ  # werkzeug's handler reads it back for the client's address
        reply: list[Any] = []
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            reply[:] = [status, headers]
            return written.append  # WSGI's legacy write()

        try:
            result = self.server.app(environ, start_response)
            try:
                payload = b"".join([*written, *result])
            finally:
                getattr(result, "close", lambda: None)()
        except Exception as error:  # noqa: BLE001  moto's apps answer their own errors; this is a last resort
            self.log_error("emulator request failed: %r", error)
            reply[:], payload, self.close_connection = ["500 Internal Server Error", []], b"", True
        self._answer(reply[0], reply[1], payload)

    def _answer(self, status: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        code = int(status.split(None, 1)[0])
        self.log_request(code)
        names = {name.lower(): value for name, value in headers}
        if names.get("connection", "").lower() == "close":
            self.close_connection = True
        lines = [f"{self.protocol_version} {status}", f"Server: {self.version_string()}",
                 f"Date: {self.date_time_string()}", *(f"{name}: {value}" for name, value in headers)]
        has_body = code >= 200 and code not in BODILESS
        if has_body and "content-length" not in names and self.command != "HEAD":
            lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection and "connection" not in names:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + payload if has_body and self.command != "HEAD" else head)


class _Server(ThreadedWSGIServer):
    """Remembers its open connections, so that stopping can close the idle ones."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)


class EmulatorServer:
    """Listens from construction; `start` serves, `stop` stops serving and closes every connection."""

    def __init__(self, host: str, port: int) -> None:
        self._server = _Server(host, port, DomainDispatcherApplication(create_backend_app), KeepAliveHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        # werkzeug's serving loop closes the listening socket on its way out; closing it from here as well, while
        # that loop was still finishing, was seen to leave the port accepting connections
        self._thread.join()
        with self._server.connections_lock:
            open_now = list(self._server.connections)
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # wakes a thread waiting for the next request
            except OSError:
                pass  # already closed by its client
