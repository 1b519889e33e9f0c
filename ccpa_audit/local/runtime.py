"""`ccpa-audit local`: moto in server mode, every resource built from template.yaml, the real handlers behind a
local HTTP front door. Everything lives in memory and is gone when the process stops."""

import logging
import os
import signal
import socket
import sys
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from ccpa_audit.local.control import control_handler, every, run_sweep
from ccpa_audit.local.gateway import LambdaContext, LocalGateway
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

    def stop(self) -> None:
        self.schedules.set()
        self.gateway.server.shutdown()
        self.gateway.server.server_close()
        self.moto.stop()


def start(host: str = "127.0.0.1", port: int = 3000, moto_port: int | None = None,
          sweep_every: float = 60.0) -> LocalRuntime:
    """Start moto, create the stack's resources, and serve the API; returns once both listen."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # per-request lines would flood the console
    moto_port = moto_port or free_port(host)
    moto = ThreadedMotoServer(ip_address=host, port=moto_port, verbose=False)
    moto.start()
    endpoint = f"http://{host}:{moto_port}"
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
    from shared import wiring

    wiring.reset()
    from functions.deadline_sweeper import app as sweeper
    from functions.intake import app as intake

    def context_for(name: str) -> LambdaContext:
        return LambdaContext(function_name=name, aws_request_id=str(uuid.uuid4()))

    routes = [
        ("/_local/", "local-control", control_handler(sweeper.lambda_handler, context_for)),
        ("/", "intake", intake.lambda_handler),
    ]
    gateway = LocalGateway(routes, host, port)
    threading.Thread(target=gateway.server.serve_forever, name="gateway", daemon=True).start()
    stop = threading.Event()
    every(sweep_every, lambda: gateway.exclusive(lambda: run_sweep(sweeper.lambda_handler, context_for, utc_now())),
          stop)
    return LocalRuntime(gateway=gateway, moto=moto, env={**env, **stack.env}, schedules=stop)


def serve(host: str, port: int) -> int:
    runtime = start(host, port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    tokens = ", ".join(f"Bearer local-{role}" for role in ROLES)
    print(f"ccpa-audit local ready at {runtime.gateway.url}", flush=True)
    print(f"  tokens: {tokens}", flush=True)
    print("  the deadline sweeper runs every minute (POST /_local/sweep {\"time\": ...} runs it now)", flush=True)
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
