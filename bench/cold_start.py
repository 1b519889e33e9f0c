"""Cold start per function: a fresh process imports the handler module and builds the AWS clients its first
request needs, against a fresh process that imports boto3 and builds the same clients (ratio target <= 1.5)."""

import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.table import row

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("COLD_START_RUNS", "7"))
TARGET = 1.5
ENV = {
    **os.environ,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
# What each function's first request builds through the composition root (shared/wiring.py).
FIRST_REQUEST = {
    "intake": ("ledger", "downstream", "status_tokens"),  # POST /requests from the web form
    "suppress": ("ledger", "downstream"),
    "deadline_sweeper": ("ledger", "alert_publisher", "downstream"),
    "export": ("ledger", "exports"),
    "seal": ("merkle_log",),
}
HANDLER = """
import time
t0 = time.perf_counter()
import functions.{name}.app
from shared import wiring
{builds}
print(time.perf_counter() - t0)
"""
# The same clients, built straight from boto3.
BASELINE = """
import time
t0 = time.perf_counter()
import boto3
from botocore.config import Config
config = Config(retries={{"mode": "standard", "max_attempts": 4}})
for service in {services!r}:
    boto3.client(service, config=config)
print(time.perf_counter() - t0)
"""


def _median(code: str) -> float:
    return statistics.median(float(_run(code)) for _ in range(RUNS))


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          check=True).stdout


def run():
    _run("import functions.intake.app, functions.export.app, functions.seal.app, functions.suppress.app, "
         "functions.deadline_sweeper.app, boto3")  # byte code cached once: every process below starts alike
    yield (f"cold start (median of {RUNS} fresh processes each; handler import + its first request's clients, "
           f"against `import boto3` + the same clients)")
    yield f"  {'function':18} {'handler ms':>10} {'boto3 ms':>9} {'clients':>7} {'ratio':>6}  clients built"
    worst = ("", 0.0)
    for name, builds in FIRST_REQUEST.items():
        handler = _median(HANDLER.format(name=name, builds="\n".join(f"wiring.{b}()" for b in builds)))
        services = _client_services(name, builds)
        baseline = _median(BASELINE.format(services=services))
        ratio = handler / baseline
        worst = max(worst, (name, ratio), key=lambda pair: pair[1])
        yield (f"  {name:18} {handler * 1000:10.0f} {baseline * 1000:9.0f} {len(services):7d} {ratio:6.2f}  "
               f"{' '.join(services)}")
    yield row("cold start / `import boto3`, clients included (worst function)", f"{worst[1]:.2f}x ({worst[0]})",
              f"<= {TARGET}x", worst[1] <= TARGET)


def _client_services(name: str, builds: tuple[str, ...]) -> list[str]:
    """Every client the function's first request creates (boto3.client calls, counted in a process of its own)."""
    code = (f"import functions.{name}.app\nfrom shared import wiring\nimport boto3\nmade = []\n"
            "real = boto3.client\n"
            "boto3.client = lambda service, **kw: made.append(service) or real(service, **kw)\n"
            + "".join(f"wiring.{build}()\n" for build in builds)
            + "print(' '.join(made))")
    return _run(code).split()
