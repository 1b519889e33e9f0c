"""Local-only endpoints and schedules: `POST /_local/sweep` and `POST /_local/seal` run the scheduled sweeper and
sealer at once, as if at a time."""

import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.timefmt import parse_rfc3339, rfc3339, utc_now

Invoke = Callable[[dict[str, Any], Any], dict[str, Any]]


def scheduled_event(moment: datetime, rule: str) -> dict[str, Any]:
    """The event EventBridge Scheduler / a schedule rule delivers to a function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": rfc3339(moment).replace(".000Z", "Z"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"],
        "detail": {},
    }


def print_alerts(result: dict[str, Any]) -> None:
    for alert in result.get("alerts", []):
        print(f"ALERT ccpa.clock.{alert['level']} request={alert['request_id']} clock={alert['clock']} "
              f"due={alert['due']} days_left={alert['days_left']}", flush=True)


def run_sweep(sweeper: Invoke, context_for: Callable[[str], Any], moment: datetime) -> dict[str, Any]:
    result = sweeper(scheduled_event(moment, "ccpa-local-sweep"), context_for("deadline_sweeper"))
    print_alerts(result)
    return result


def run_seal(sealer: Invoke, context_for: Callable[[str], Any], moment: datetime) -> dict[str, Any]:
    result = sealer(scheduled_event(moment, "ccpa-local-seal"), context_for("seal"))
    if result["sealed"]:
        print(f"SEALED {result['sealed']} events, tree size {result['tree_size']}", flush=True)
    return result


def control_handler(jobs: dict[str, Callable[[datetime], dict[str, Any]]]) -> Invoke:
    """API Gateway v2-shaped handler for /_local/*: `POST <path>` runs jobs[path] as if at the body's `time`.
    Needs no token and exists only under `ccpa-audit local`."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        method = event["requestContext"]["http"]["method"]
        path = event["rawPath"]
        if method != "POST" or path not in jobs:
            return _reply(404, {"error": "route_not_found", "message": "No such local endpoint.", "details": []})
        try:
            body = json.loads(event.get("body") or "{}") or {}
            moment = parse_rfc3339(body["time"]) if body.get("time") else utc_now()
        except (ValueError, TypeError, KeyError, AttributeError):
            return _reply(422, {"error": "validation_failed", "message": "Field time must be an RFC 3339 timestamp.",
                                "details": [{"field": "time", "issue": "must be an RFC 3339 timestamp"}]})
        return _reply(200, jobs[path](moment))

    return handle


def _reply(status: int, payload: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(payload)}


def every(seconds: float, job: Callable[[], None], stop: threading.Event) -> threading.Thread:
    """A schedule: run `job` every `seconds` until `stop` is set; a failing run is reported and the next one runs."""

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                job()
            except Exception as error:  # noqa: BLE001  a schedule keeps going, like EventBridge would
                if not stop.is_set():  # a job cut short by shutdown (its container closed) is not a failure
                    print(f"scheduled job failed: {type(error).__name__}: {error}", flush=True)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread
