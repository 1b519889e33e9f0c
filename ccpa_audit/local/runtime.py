"""`ccpa-audit local`: moto in server mode, every resource built from template.yaml, the real handlers behind a
local HTTP front door. Everything lives in memory and is gone when the process stops."""

import gc
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Callable

from ccpa_audit.local import native_memory, static_site
from ccpa_audit.local.containers import ContainerPool, FunctionCrashedError
from ccpa_audit.local.control import control_handler, every, print_alerts, scheduled_event
from ccpa_audit.local.demo_systems import DemoDownstream
from ccpa_audit.local.gateway import LocalGateway, error_reply, http_api_event
from ccpa_audit.local.queues import pump_once
from ccpa_audit.local.streams import StreamPoller, reads_access_events
from shared.timefmt import utc_now

ROLES = ("agent", "analyst", "auditor", "service", "admin")
# Concurrent invocations (containers) across the functions; each is a process of about 100 MB. Two keep a slow
# query from holding up /health or an intake (tests/blackbox/test_local_concurrency.py) and save 100 MB over three.
DEFAULT_CONCURRENCY = 2
STOP_GRACE_SECONDS = 2.0
TRIM_EVERY_SECONDS = 10.0
# The access stream poller's pause after an empty round (an ON_DEMAND stream is 4 shards: 5 emulator calls a round).
# POST /access-events wakes it and readers drain it, so the pause only delays records put some other way.
STREAM_IDLE_SECONDS = 1.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalRuntime:
    gateway: LocalGateway
    moto: Any
    env: dict[str, str]
    schedules: threading.Event
    containers: ContainerPool
    demo: DemoDownstream | None = None

    def stop(self) -> None:
        """Everything is in memory, so stopping only has to be quick: no job is waited for beyond a moment."""
        self.schedules.set()
        self.containers.close()
        if self.demo is not None:
            self.demo.stop()
        self.gateway.server.shutdown()
        self.gateway.server.server_close()
        self.moto.stop()


def start(host: str = "127.0.0.1", port: int = 3000, moto_port: int | None = None,
          sweep_every: float = 60.0, seal_every: float | None = None, demo_systems: bool = True,
          concurrency: int | None = None) -> LocalRuntime:
    """Start moto, create the stack's resources, and serve the API; returns once both listen."""
    from ccpa_audit.local import emulator_fixes
    from ccpa_audit.local.emulator_server import EmulatorServer

    native_memory.limit_arenas(os.environ)  # before moto's threads; containers inherit it
    emulator_fixes.apply()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # per-request lines would flood the console
    moto_port = moto_port or free_port(host)
    moto = EmulatorServer(host, moto_port)
    moto.start()
    endpoint = moto.url
    # moto's Step Functions only interpret definitions when asked to (DESIGN section 9).
    _moto_config(endpoint, {"stepfunctions": {"execute_state_machine": True}})
    env = {
        "AWS_ENDPOINT_URL": endpoint,  # every boto3 client created from here on talks to the local moto server
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_PORT": str(moto_port),
        "POWERTOOLS_SERVICE_NAME": "ccpa-audit-local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as template.yaml's Globals: no plugin scan at each cold start
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }
    os.environ.update(env)
    import boto3

    from ccpa_audit.local.resources import create_local_resources

    from ccpa_audit.local import step_functions

    sqs = boto3.client("sqs", endpoint_url=endpoint)
    engine = step_functions.install(lambda url, body: sqs.send_message(QueueUrl=url, MessageBody=body))
    stack = create_local_resources(lambda service: boto3.client(service, endpoint_url=endpoint))
    os.environ.update(stack.env)
    os.environ["AUTH_MODE"] = "local"
    os.environ["PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    size = concurrency or int(os.environ.get("LOCAL_CONCURRENCY", str(DEFAULT_CONCURRENCY)))
    containers = ContainerPool(size, dict(os.environ))
    containers.prestart(min(2, size))

    # AccessBatcherFunction's Kinesis event source mapping (moto invokes nothing): a stand-in poller.
    kinesis = boto3.client("kinesis", endpoint_url=endpoint)
    poller = StreamPoller(kinesis, stack.env["ACCESS_STREAM"],
                          lambda event, _: containers.invoke("access_batcher", event, str(uuid.uuid4())))

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        http = event.get("requestContext", {}).get("http")
        if http and reads_access_events(http["method"], event["rawPath"]):
            try:
                poller.drain()  # read-your-writes: the access events accepted so far are in batch objects
            except FunctionCrashedError as error:  # the records stay on the stream for the next delivery
                print(f"access stream delivery failed: {error}", flush=True)
                return error_reply(503, "storage_unavailable", "Recent access events are not stored yet; retry.")
        try:
            result = containers.invoke(function, event, str(uuid.uuid4()))
        except FunctionCrashedError as error:
            if http is None:
                raise  # a scheduled or queued invocation: its caller retries, as Lambda's would
            print(f"function error: {error}", flush=True)
            return error_reply(500, "internal_error", "Something went wrong on our side; it was logged.")
        if http and event["rawPath"] == "/access-events" and http["method"] == "POST":
            poller.wake()
        return result

    def sweep(moment: datetime) -> dict[str, Any]:
        result = invoke("deadline_sweeper", scheduled_event(moment, "ccpa-local-sweep"))
        print_alerts(result)
        return result

    def seal(moment: datetime) -> dict[str, Any]:
        poller.drain()  # the sealer appends every access event accepted before it runs
        result = invoke("seal", scheduled_event(moment, "ccpa-local-seal"))
        if result["sealed"]:
            print(f"SEALED {result['sealed']} events, tree size {result['tree_size']}", flush=True)
        return result

    routes: list[tuple[str, Any]] = [
        ("/_local/", control_handler({"/_local/sweep": sweep, "/_local/seal": seal})),
        # The routes template.yaml gives ExportFunction; everything else is IntakeFunction's.
        ("/exports", "export"),
        ("/reports/", "export"),
        # The web pages: on AWS CloudFront serves them from a bucket on the same origin as the API.
        *((f"/{site}", static_site.handler) for site in static_site.SITES),
        ("/", "intake"),
    ]
    gateway = LocalGateway(routes, invoke, host, port)
    threading.Thread(target=gateway.server.serve_forever, name="gateway", daemon=True).start()
    stop = threading.Event()
    stop_engine = threading.Thread(target=lambda: (stop.wait(), engine.shutdown()), daemon=True)
    stop_engine.start()
    every(sweep_every, lambda: sweep(utc_now()), stop)
    every(seal_every or float(os.environ.get("LOCAL_SEAL_EVERY", "5")), lambda: seal(utc_now()), stop)
    # AccessCompactorFunction's schedule (hourly, as template.yaml): closed days of the access log, for search.
    every(3600.0, lambda: invoke("access_compactor", scheduled_event(utc_now(), "ccpa-local-compact")), stop)
    every(TRIM_EVERY_SECONDS, native_memory.trim, stop)
    queue = stack.env["INSTRUCTION_QUEUE_URL"]
    # SuppressFunction's event source mapping: long-polls the instruction queue (the wait paces the loop).
    every(0.0, lambda: pump_once(sqs, queue, lambda event, _: invoke("suppress", event), wait_seconds=1), stop)
    # ExportFunction's event source mapping: large exports are built from this queue (batch size 1).
    export_queue = stack.env["EXPORT_QUEUE_URL"]
    every(0.0, lambda: pump_once(sqs, export_queue, lambda event, _: invoke("export", event), wait_seconds=1, batch=1), stop)
    every(0.0, lambda: poller.pump_once() or poller.idle(STREAM_IDLE_SECONDS), stop)
    demo = seed_demo_systems(host, invoke) if demo_systems else None
    # Start-up leaves about 150 MB of long-lived objects (moto's and botocore's service models); the collector's
    # full passes need not walk them again for every few thousand objects the traffic keeps.
    gc.collect()
    gc.freeze()
    return LocalRuntime(gateway=gateway, moto=moto, env={**env, **stack.env}, schedules=stop, containers=containers,
                        demo=demo)


def _moto_config(endpoint: str, config: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/config", data=json.dumps(config).encode(),  # noqa: S310
                                     method="POST", headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310  the local moto server
        pass


DEMO_SYSTEMS = (
    ("demo-email", "Email platform (confirms at once)", "email_marketing", "confirm"),
    ("demo-ads", "Ad audiences (calls back a few seconds later)", "ad_platform", "later"),
)


def seed_demo_systems(host: str, invoke: Callable[[str, dict[str, Any]], dict[str, Any]]) -> DemoDownstream:
    """Three downstream systems a newcomer can watch: one answers at once, one calls back signed, one is manual.
    They are registered through the registry API, as an admin would."""
    secrets_by_system = {system_id: secrets.token_hex(32) for system_id, *_ in DEMO_SYSTEMS}
    demo = DemoDownstream(secrets_by_system, host=host).start()
    every_type = ["opt_out_sale_sharing", "limit_sensitive_pi", "delete"]
    bodies = {system_id: {
        "name": name, "kind": kind, "applies_to": every_type, "sla_hours": 24, "retry_backoff_seconds": [2, 5],
        "identifiers": ["email", "device_id"],
        "connector": {"type": "webhook", "url": f"{demo.url}/{behaviour}", "secret": secrets_by_system[system_id]},
    } for system_id, name, kind, behaviour in DEMO_SYSTEMS}
    bodies["demo-vendor"] = {
        "name": "Analytics vendor (manual: confirm with evidence)", "kind": "service_provider",
        "applies_to": every_type, "sla_hours": 72, "identifiers": ["email"],
        "connector": {"type": "manual", "instructions": "Ask the vendor to delete or suppress; attach their reply."},
    }
    for system_id, body in bodies.items():
        event = http_api_event("PUT", f"/systems/{system_id}", {"authorization": "Bearer local-admin",
                                                                 "content-type": "application/json"},
                               json.dumps(body).encode(), "127.0.0.1")
        answer = invoke("intake", event)
        if answer["statusCode"] not in (200, 201):
            raise RuntimeError(f"could not register demo system {system_id}: {answer['body']}")
    return demo


def serve(host: str, port: int) -> int:
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    runtime = start(host, port)
    tokens = ", ".join(f"Bearer local-{role}" for role in ROLES)
    print(f"ccpa-audit local ready at {runtime.gateway.url}", flush=True)
    print(f"  tokens: {tokens}", flush=True)
    print(f"  for the CLI (ccpa-audit export): export CCPA_AUDIT_API={runtime.gateway.url}", flush=True)
    print(f"  web pages: {runtime.gateway.url}/privacy/ (privacy center), {runtime.gateway.url}/console/ (console)",
          flush=True)
    print("  the deadline sweeper runs every minute (POST /_local/sweep {\"time\": ...} runs it now)", flush=True)
    print("  the sealer appends new events to the Merkle log every 5 seconds (POST /_local/seal runs it now; then "
          "GET /events/{id}/proof, /ledger/checkpoint, /ledger/keys)", flush=True)
    if runtime.demo is not None:
        print(f"  demo downstream systems at {runtime.demo.url}: demo-email (confirms at once), demo-ads (calls "
              "back signed), demo-vendor (manual: confirm_system)", flush=True)
    print("  data lives in memory and is gone when this process stops; Ctrl-C to stop", flush=True)
    while not stopping.wait(1.0):  # a timed wait lets the signal handlers run promptly
        pass
    try:
        _say("ccpa-audit local stopping")
        # Everything lives in memory: stop the containers and servers, and leave without waiting for in-flight jobs
        # (a fan-out thread in the emulator may be waiting hours for a confirmation).
        stopper = threading.Thread(target=runtime.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=STOP_GRACE_SECONDS)
        _say("ccpa-audit local stopped")
    finally:
        # never the interpreter's own exit: it would collect the whole in-memory stack first (tens of seconds)
        os._exit(0)


def _say(line: str) -> None:
    """A console line that may find nobody reading (the terminal or the pipe that started us is gone)."""
    try:
        print(line, flush=True)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(serve("127.0.0.1", int(os.environ.get("PORT", "3000"))))
