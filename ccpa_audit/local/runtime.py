"""`ccpa-audit local`: moto in server mode, every resource built from template.yaml, the real handlers behind a
local HTTP front door. Everything lives in memory and is gone when the process stops."""

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

from ccpa_audit.local.control import control_handler, every, run_seal, run_sweep
from ccpa_audit.local.demo_systems import DemoDownstream
from ccpa_audit.local.gateway import LambdaContext, LocalGateway
from ccpa_audit.local.queues import pump_once
from shared.timefmt import utc_now

ROLES = ("agent", "analyst", "auditor", "service", "admin")


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
    demo: DemoDownstream | None = None

    def stop(self) -> None:
        self.schedules.set()
        if self.demo is not None:
            self.demo.stop()
        self.gateway.server.shutdown()
        self.gateway.server.server_close()
        self.moto.stop()


def start(host: str = "127.0.0.1", port: int = 3000, moto_port: int | None = None,
          sweep_every: float = 60.0, seal_every: float = 5.0, demo_systems: bool = True) -> LocalRuntime:
    """Start moto, create the stack's resources, and serve the API; returns once both listen."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # per-request lines would flood the console
    moto_port = moto_port or free_port(host)
    moto = ThreadedMotoServer(ip_address=host, port=moto_port, verbose=False)
    moto.start()
    endpoint = f"http://{host}:{moto_port}"
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
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }
    os.environ.update(env)
    import boto3

    from ccpa_audit.local.resources import create_local_resources

    stack = create_local_resources(lambda service: boto3.client(service, endpoint_url=endpoint))
    os.environ.update(stack.env)
    os.environ["AUTH_MODE"] = "local"
    os.environ["PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    from shared import wiring

    wiring.reset()
    from functions.deadline_sweeper import app as sweeper
    from functions.export import app as export
    from functions.intake import app as intake
    from functions.seal import app as sealer
    from functions.suppress import app as suppress

    def context_for(name: str) -> LambdaContext:
        return LambdaContext(function_name=name, aws_request_id=str(uuid.uuid4()))

    def sweep(moment: datetime) -> dict[str, Any]:
        return run_sweep(sweeper.lambda_handler, context_for, moment)

    def seal(moment: datetime) -> dict[str, Any]:
        return run_seal(sealer.lambda_handler, context_for, moment)

    routes = [
        ("/_local/", "local-control", control_handler({"/_local/sweep": sweep, "/_local/seal": seal})),
        # The routes template.yaml gives ExportFunction; everything else is IntakeFunction's.
        ("/exports", "export", export.lambda_handler),
        ("/reports/", "export", export.lambda_handler),
        ("/", "intake", intake.lambda_handler),
    ]
    gateway = LocalGateway(routes, host, port)
    threading.Thread(target=gateway.server.serve_forever, name="gateway", daemon=True).start()
    stop = threading.Event()
    every(sweep_every, lambda: gateway.exclusive(lambda: sweep(utc_now())), stop)
    every(seal_every, lambda: gateway.exclusive(lambda: seal(utc_now())), stop)
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    queue = stack.env["INSTRUCTION_QUEUE_URL"]
    # SuppressFunction's event source mapping: long-polls the instruction queue (the wait paces the loop).
    every(0.0, lambda: pump_once(sqs, queue, suppress.lambda_handler, wait_seconds=1), stop)
    # ExportFunction's event source mapping: large exports are built from this queue (batch size 1).
    export_queue = stack.env["EXPORT_QUEUE_URL"]
    every(0.0, lambda: pump_once(sqs, export_queue, export.lambda_handler, wait_seconds=1, batch=1), stop)
    demo = seed_demo_systems(host) if demo_systems else None
    return LocalRuntime(gateway=gateway, moto=moto, env={**env, **stack.env}, schedules=stop, demo=demo)


def _moto_config(endpoint: str, config: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/config", data=json.dumps(config).encode(),  # noqa: S310
                                     method="POST", headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310  the local moto server
        pass


DEMO_SYSTEMS = (
    ("demo-email", "Email platform (confirms at once)", "email_marketing", "confirm"),
    ("demo-ads", "Ad audiences (calls back a few seconds later)", "ad_platform", "later"),
)


def seed_demo_systems(host: str) -> DemoDownstream:
    """Three downstream systems a newcomer can watch: one answers at once, one calls back signed, one is manual."""
    from shared import wiring
    from shared.ledger.envelope import Actor
    from shared.models.systems import SystemBody
    from shared.services.manage_systems import put_system

    secrets_by_system = {system_id: secrets.token_hex(32) for system_id, *_ in DEMO_SYSTEMS}
    demo = DemoDownstream(secrets_by_system, host=host).start()
    seeder = Actor(type="system", id="ccpa-audit-local")
    every_type = ["opt_out_sale_sharing", "limit_sensitive_pi", "delete"]
    for system_id, name, kind, behaviour in DEMO_SYSTEMS:
        body = SystemBody.model_validate({
            "name": name, "kind": kind, "applies_to": every_type, "sla_hours": 24, "retry_backoff_seconds": [2, 5],
            "identifiers": ["email", "device_id"],
            "connector": {"type": "webhook", "url": f"{demo.url}/{behaviour}", "secret": secrets_by_system[system_id]},
        })
        put_system(wiring.ledger(), wiring.downstream(), system_id, body, seeder)
    manual = SystemBody.model_validate({
        "name": "Analytics vendor (manual: confirm with evidence)", "kind": "service_provider",
        "applies_to": every_type, "sla_hours": 72, "identifiers": ["email"],
        "connector": {"type": "manual", "instructions": "Ask the vendor to delete or suppress; attach their reply."},
    })
    put_system(wiring.ledger(), wiring.downstream(), "demo-vendor", manual, seeder)
    return demo


def serve(host: str, port: int) -> int:
    runtime = start(host, port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    tokens = ", ".join(f"Bearer local-{role}" for role in ROLES)
    print(f"ccpa-audit local ready at {runtime.gateway.url}", flush=True)
    print(f"  tokens: {tokens}", flush=True)
    print("  the deadline sweeper runs every minute (POST /_local/sweep {\"time\": ...} runs it now)", flush=True)
    print("  the sealer appends new events to the Merkle log every 5 seconds (POST /_local/seal runs it now; then "
          "GET /events/{id}/proof, /ledger/checkpoint, /ledger/keys)", flush=True)
    if runtime.demo is not None:
        print(f"  demo downstream systems at {runtime.demo.url}: demo-email (confirms at once), demo-ads (calls "
              "back signed), demo-vendor (manual: confirm_system)", flush=True)
    print("  data lives in memory and is gone when this process stops; Ctrl-C to stop", flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    print("ccpa-audit local stopping", flush=True)
    runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(serve("127.0.0.1", int(os.environ.get("PORT", "3000"))))
