"""Demo downstream systems for the local stack and tests, served on loopback. Each path behaves like one kind of
real system: it checks our HMAC signature first (as a real receiver must), then answers.

  /confirm   answers at once: 200 {"status": "completed"}
  /later     accepts (202) and calls back a few seconds later, signed
  /flaky     answers 503 to the first attempt of each instruction, then completes
  /reject    refuses the instruction (400)
  /silent    accepts and never answers (the fan-out times out)
"""

import json
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared.services import webhook_signing
from shared.timefmt import utc_now

Deliver = Callable[[str, bytes, dict[str, str]], None]
RECENT_INSTRUCTIONS = 100
# A real vendor retries a webhook that timed out or failed; so does the demo, or a busy local stack (intake
# queued behind a load test) would leave an opt-out waiting on a confirmation that was never sent again.
CALLBACK_ATTEMPTS = 5
CALLBACK_TIMEOUT = 60
CALLBACK_BACKOFF = 2.0


def http_deliver(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310  loopback demo
                                     headers={"content-type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT):  # noqa: S310
        pass


class DemoDownstream:
    def __init__(self, secrets: dict[str, str], host: str = "127.0.0.1", port: int = 0, callback_delay: float = 3.0,
                 deliver: Deliver = http_deliver) -> None:
        self.secrets = secrets  # system id -> shared signing secret
        self.callback_delay = callback_delay
        self.deliver = deliver
        # The latest instructions, for tests and a curious user: a long run must not keep every one it was sent.
        self.received: deque[dict[str, Any]] = deque(maxlen=RECENT_INSTRUCTIONS)
        self.refused = 0
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"

    def start(self) -> "DemoDownstream":
        threading.Thread(target=self.server.serve_forever, name="demo-downstream", daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, body: bytes, signature: str | None) -> tuple[int, dict[str, Any]]:
        instruction = json.loads(body or b"{}")
        secret = self.secrets.get(str(instruction.get("system_id")))
        parsed = webhook_signing.parse(signature)
        if secret is None or parsed is None or not webhook_signing.matches(secret, parsed, body):
            with self._lock:
                self.refused += 1
            return 401, {"error": "bad signature"}
        with self._lock:
            self.received.append(instruction)
        behaviour = path.strip("/").split("/")[0]
        attempts = self._attempt(f"{instruction['request_id']}|{instruction['system_id']}", behaviour)
        evidence = {"reference": f"demo-{instruction['instruction_id'][:8]}", "action": instruction["type"]}
        if behaviour == "confirm" or (behaviour == "flaky" and attempts > 1):
            return 200, {"status": "completed", "evidence": evidence}
        if behaviour == "flaky":
            return 503, {"error": "temporarily unavailable"}
        if behaviour == "reject":
            return 400, {"error": "unknown consumer"}
        if behaviour == "later":
            threading.Thread(target=self._call_back, args=(instruction, secret, evidence), daemon=True).start()
        return 202, {"status": "accepted"}

    def _attempt(self, key: str, behaviour: str) -> int:
        """Only the flaky system counts attempts, and forgets a delivery once it has succeeded."""
        if behaviour != "flaky":
            return 1
        with self._lock:
            attempts = self._attempts.pop(key, 0) + 1
            if attempts == 1:
                self._attempts[key] = attempts
        return attempts

    def _call_back(self, instruction: dict[str, Any], secret: str, evidence: dict[str, Any]) -> None:
        time.sleep(self.callback_delay)
        body = json.dumps({"instruction_id": instruction["instruction_id"], "request_id": instruction["request_id"],
                           "status": "completed", "evidence": evidence}).encode()
        for attempt in range(1, CALLBACK_ATTEMPTS + 1):
            headers = {"Ccpa-Signature": webhook_signing.sign(secret, body, utc_now())}  # signed afresh each time
            try:
                self.deliver(instruction["callback_url"], body, headers)
                return
            except urllib.error.HTTPError as error:
                if error.code < 500:  # answered: e.g. 409, the first attempt did land after all
                    return
                failure: Exception = error
            except Exception as error:  # noqa: BLE001  a demo system reports and tries again, as vendors do
                failure = error
            print(f"demo downstream: callback attempt {attempt} failed: {type(failure).__name__}: {failure}",
                  flush=True)
            time.sleep(CALLBACK_BACKOFF * 2 ** (attempt - 1))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        demo = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, payload = demo.answer(self.path, body, self.headers.get(webhook_signing.HEADER))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
